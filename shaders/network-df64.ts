// The network training kernel in double-float: the loop programs (src/core/nn/ir.ts)
// printed with every value a vec2<f32> (hi, lo) and every operation a df_ call
// (shaders/df64.ts), the twin of DFRoutineRunner (src/core/nn/interp-df64.ts), which
// refuses the same constructs. Weights, hyperparameters and optimizer state live in
// array<vec2<f32>> buffers; the stop checks read the loss's high word, as
// NetworkTrainerWide does. Otherwise the kernel is shaders/network.ts's, line by line.

import { COMMON_WGSL } from './common';
import { DF64_WGSL, wgslFunction } from './df64';
import { f32Literal } from './codegen';
import { NetParams, stopChecks } from './network';
import { arrayExtents, type Expr, type Index, type Routine, type Stmt } from '../src/core/nn/ir';
import { DF64Error, dfActivation, dfProgramOps, dfUnsupported } from '../src/core/nn/interp-df64';
import { networkRoutine } from '../src/core/nn/routines';
import { hyperStride, stateStride, stepGradientRoutine, updateRoutine } from '../src/core/nn/train';
import { DEFAULT_NET_CONFIG, type NetTrainConfig } from '../src/core/nn/train';
import type { Model } from '../src/core/nn/model';
import type { CompiledOptimizer } from '../src/core/optimizers';

type Access = Record<string, (idx: string) => string>;

function printIndex(idx: Index): string {
  const parts = idx.terms.map(([v, m]) => (m === 1 ? `v_${v}` : `v_${v} * ${m}u`));
  if (idx.c !== 0 || parts.length === 0) parts.unshift(`${idx.c}u`);
  return parts.join(' + ');
}

const dfLit = (v: number) => `vec2<f32>(${f32Literal(v)}, 0.0f)`;
const BIN = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' } as const;

function printExpr(e: Expr, access: Access): string {
  const bad = dfUnsupported(e);
  if (bad) throw new DF64Error(bad);
  switch (e.k) {
    case 'num':
      return dfLit(e.v);
    case 'local':
      return `l_${e.name}`;
    case 'load':
      return access[e.arr](printIndex(e.idx));
    case 'bin':
      return `df_${BIN[e.op as keyof typeof BIN]}(${printExpr(e.a, access)}, ${printExpr(e.b, access)})`;
    case 'fn':
      return `df_${e.fn}(${printExpr(e.a, access)})`;
    case 'call':
      return `df_act_${e.out}(${printExpr(e.a, access)})`;
    default:
      throw new DF64Error(`expression '${e.k}' is not supported`);
  }
}

function printStmts(ss: Stmt[], access: Access, pad = '  ', counter = { n: 0 }): string {
  const out: string[] = [];
  for (const s of ss) {
    const bad = dfUnsupported(s);
    if (bad) throw new DF64Error(bad);
    switch (s.k) {
      case 'for':
        out.push(`${pad}for (var v_${s.v} = 0u; v_${s.v} < ${s.n}u; v_${s.v}++) {`, printStmts(s.body, access, pad + '  ', counter), `${pad}}`);
        break;
      case 'set':
        out.push(`${pad}l_${s.name} = ${printExpr(s.e, access)};`);
        break;
      case 'store':
        out.push(`${pad}${access[s.arr](printIndex(s.idx))} = ${printExpr(s.e, access)};`);
        break;
      case 'program': {
        const p = s.prog;
        dfProgramOps(p, 'the optimizer');
        const id = counter.n++;
        const name = (k: number): string => {
          const v = p.values[k];
          return v.kind === 'input' ? `pi${id}_${v.name}` : v.kind === 'const' ? dfLit(v.value) : `pv${id}_${k}`;
        };
        const lines = p.inputs.map((k) => `let pi${id}_${k} = ${printExpr(s.inputs[k], access)};`);
        p.values.forEach((v, k) => {
          if (v.kind !== 'instr') return;
          const [a, b] = v.instr.args;
          const unary = ['neg', 'sqrt', 'exp', 'tanh'].includes(v.instr.op);
          lines.push(`let pv${id}_${k} = df_${v.instr.op}(${unary ? name(a) : `${name(a)}, ${name(b)}`});`);
        });
        // Every output captured before any store: an output may read a stored array.
        const outs = Object.entries(s.outputs);
        outs.forEach(([n], k) => lines.push(`let po${id}_${k} = ${name(p.outputs[n])};`));
        outs.forEach(([, o], k) => lines.push(`${access[o.arr](printIndex(o.idx))} = po${id}_${k};`));
        out.push(`${pad}{`, ...lines.map((l) => `${pad}  ${l}`), `${pad}}`);
        break;
      }
      default:
        throw new DF64Error(`statement '${s.k}' is not supported`);
    }
  }
  return out.join('\n');
}

/** df_act_a, df_act_d1, df_act_d2: the activation and its derivatives (core/nn/interp-df64.ts's dfActivation). */
function activationFunctions(model: Model): string {
  return ['a', 'd1', 'd2'].map((out) => wgslFunction(`act_${out}`, ['u'], (o, [u]) => dfActivation(o, model.spec.activation, out, u))).join('\n\n');
}

function privateDecls(routines: Routine[], model: Model): string {
  const ext = new Map<string, number>();
  for (const r of routines) for (const [k, v] of arrayExtents(r)) ext.set(k, Math.max(ext.get(k) ?? 0, v));
  const decls: string[] = [];
  for (const [k, v] of ext) {
    if (['xs', 'ys', 'hyper', 'ost'].includes(k)) continue;
    const own = k === 'th' || k === 'gr';
    decls.push(`var<private> ${own ? k : `w_${k}`}: array<vec2<f32>, ${own ? model.params : v}>;`);
  }
  return decls.join('\n');
}

export interface NetworkKernelDF64Options {
  model: Model;
  points: number;
  optimizer: CompiledOptimizer;
  config?: NetTrainConfig;
}

export function buildNetworkKernelDF64({ model, points, optimizer, config = DEFAULT_NET_CONFIG }: NetworkKernelDF64Options): string {
  const S = optimizer.state.length;
  const HS = hyperStride({ model, optimizer, config });
  const SS = stateStride({ model, optimizer });
  const P = model.params;
  const grad = stepGradientRoutine(model, points, optimizer, config);
  const loss = networkRoutine(model, { points, gradient: false, hvp: false });
  const update = updateRoutine(model, optimizer);
  const Y = points * model.inputs;
  const work = (name: string) => (name === 'th' || name === 'gr' ? name : `w_${name}`);
  const access: Access = new Proxy({} as Access, {
    get: (_, arr: string) => {
      if (arr === 'xs') return (i: string) => `vec2<f32>(data[${i}], 0.0f)`;
      if (arr === 'ys') return (i: string) => `vec2<f32>(data[${Y}u + ${i}], 0.0f)`;
      if (arr === 'hyper') return (i: string) => `hyper[hb + ${i}]`;
      if (arr === 'ost') return (i: string) => (S > 0 ? `ostate[sb + ${i}]` : 'vec2<f32>(0.0f)');
      return (i: string) => `${work(arr)}[${i}]`;
    },
  });
  const locals = (r: Routine) => r.locals.map((l) => `  var l_${l} = vec2<f32>(0.0f);`).join('\n');
  return `
${COMMON_WGSL}
${DF64_WGSL}

${NetParams.wgsl}

@group(0) @binding(0) var<uniform> params: NetParams;
// n x ${P} parameters, (hi, lo).
@group(0) @binding(1) var<storage, read_write> theta: array<vec2<f32>>;
// n x ${HS}: ${optimizer.def.hyper.map((h) => h.name).join(', ')}, then lr per layer.
@group(0) @binding(2) var<storage, read> hyper: array<vec2<f32>>;
// n x ${SS} optimizer state (${optimizer.state.join(', ') || 'none'}), parameter-major.
@group(0) @binding(3) var<storage, read_write> ostate: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> info: array<ParticleInfo>;
// first loss, current loss (high words).
@group(0) @binding(5) var<storage, read_write> losses: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> hist: array<f32>;
// ${points} rows of ${model.inputs} inputs, then ${points} rows of ${model.outputs} targets.
@group(0) @binding(7) var<storage, read> data: array<f32>;
// (1, 0, 0, 0): df_one, a 1 the compiler cannot see.
@group(0) @binding(8) var<uniform> one: vec4<f32>;

${privateDecls([grad, loss, update], model)}
var<private> hb: u32;
var<private> sb: u32;

${activationFunctions(model)}

// (loss, gnorm) of the gradient step.
fn net_grad() -> vec4<f32> {
${locals(grad)}
${printStmts(grad.body, access)}
  return vec4<f32>(l_loss, l_gnorm);
}

fn net_loss() -> vec2<f32> {
${locals(loss)}
${printStmts(loss.body, access)}
  return l_loss;
}

fn net_update(loss_in: vec2<f32>, t_in: vec2<f32>, gnorm_in: vec2<f32>) {
  var l_loss = loss_in;
  var l_t = t_in;
  var l_gnorm = gnorm_in;
${printStmts(update.body, access)}
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  df_one = one.x;
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  if (m.status != RUNNING) { return; }
  hb = i * ${HS}u;
  sb = i * ${SS}u;${SS === 0 ? '\n  _ = ostate[0];' : ''}
  for (var q = 0u; q < ${P}u; q++) { th[q] = theta[i * ${P}u + q]; }
  var steps = m.steps;
  var status = RUNNING;
  var event = m.eventStep;
  let lv = losses[i];
  var l0 = lv.x;
  var cur = lv.y;
  for (var k = 0u; k < params.steps; k++) {
    let gl = net_grad();
    let L = gl.x;
    ${stopChecks()}
    net_update(gl.xy, vec2<f32>(f32(steps), 0.0f), gl.zw);
    steps = steps + 1u;
  }
  if (status == RUNNING) { cur = net_loss().x; }
  for (var q = 0u; q < ${P}u; q++) { theta[i * ${P}u + q] = th[q]; }
  info[i] = ParticleInfo(status, steps, event, m.minimum);
  losses[i] = vec2<f32>(l0, cur);
}
`;
}
