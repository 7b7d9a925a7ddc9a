// Network training kernels, printed from the same loop programs (src/core/nn/ir.ts)
// the CPU reference interprets. Layout: one thread per network, its parameters and
// gradient in private arrays, the data read from a storage buffer every thread shares
// (the same address in every lane at once, so it is served as a broadcast).
// The kernel's control flow mirrors NetworkTrainerCpu.stepNetwork (src/core/nn/train.ts).

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import random from './random.wgsl?raw';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import { emitWGSL } from './codegen';
import { arrayExtents, type Routine } from '../src/core/nn/ir';
import { printStmts, type ArrayAccess } from './network-print';
import { networkRoutine } from '../src/core/nn/routines';
import { updateRoutine, hyperStride, stateStride, stepGradientRoutine } from '../src/core/nn/train';
import { DEFAULT_NET_CONFIG, type NetTrainConfig } from '../src/core/nn/train';
import type { Model } from '../src/core/nn/model';
import type { CompiledOptimizer } from '../src/core/optimizers';

export function activationFunction(model: Model): string {
  const em = emitWGSL(model.act, { inputs: { u: 'u' }, prefix: 'a' });
  return `// ${model.spec.activation}: value, first and second derivative\nfn act_eval(u: f32) -> vec3<f32> {\n${em.code
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n')}\n  return vec3<f32>(${em.outputs.a}, ${em.outputs.d1}, ${em.outputs.d2});\n}`;
}

export interface NetworkKernelOptions {
  model: Model;
  points: number;
  optimizer: CompiledOptimizer;
  /** The gradient's settings (minibatch, SAM, noise, clipping), compiled in; absent: plain full batch. */
  config?: NetTrainConfig;
  /** Statements up to which the point loop's body is unrolled (network-print.ts); default NETWORK_UNROLL. */
  unroll?: number;
}

/** The training kernel unrolls point bodies of up to this many statements (the fractal setup's: ~700). */
const NETWORK_UNROLL = 800;

/** The training kernels' uniform (both layouts), written once per dispatch by NetworkEngine.step. */
export const NetParams = struct(
  'NetParams',
  { n: 'u32', steps: 'u32', groupsX: 'u32', history: 'u32', divergeRatio: 'f32', convergeLoss: 'f32', seed: 'u32' },
  {
    uniform: true,
    docs: {
      n: 'networks',
      steps: 'steps in this dispatch',
      groupsX: 'workgroups along x (the grid is 2-D for many networks)',
      history: 'losses kept per network',
      divergeRatio: 'diverged once the loss exceeds this times the first loss',
      convergeLoss: 'converged at or below this loss',
      seed: 'seed of the minibatch and gradient-noise draws',
    },
  },
);

/** The Hessian-vector product kernel's uniform, written by NetworkHvp.run. */
export const HvpParams = struct('HvpParams', { n: 'u32', groupsX: 'u32' }, { uniform: true, docs: { n: 'networks' } });

/** Storage arrays: private to the thread (work arrays) or a slice of a storage buffer. */
export function accessFor(model: Model, points: number, S: number): ArrayAccess {
  const Y = points * model.inputs;
  const priv = (name: string) => (i: string) => `${name}[${i}]`;
  return {
    th: priv('th'),
    gr: priv('gr'),
    dir: priv('dir'),
    hv: priv('hv'),
    ths: priv('w_ths'),
    nz: priv('w_nz'),
    h: priv('w_h'),
    z: priv('w_z'),
    ga1: priv('w_ga1'),
    gga2: priv('w_gga2'),
    dz: priv('w_dz'),
    sd: priv('w_sd'),
    pr: priv('w_pr'),
    rh: priv('w_rh'),
    rz: priv('w_rz'),
    rdz: priv('w_rdz'),
    srd: priv('w_srd'),
    xs: (i) => `data[${i}]`,
    ys: (i) => `data[${Y}u + ${i}]`,
    hyper: (i) => `hyper[hb + ${i}]`,
    ost: (i) => (S > 0 ? `ostate[sb + ${i}]` : '0.0f'),
  };
}

/** Private declarations of a routine's work arrays (those in `skip` are declared elsewhere). */
export function privateDecls(routines: Routine[], model: Model, skip: string[] = []): string {
  const ext = new Map<string, number>();
  for (const r of routines) for (const [k, v] of arrayExtents(r)) ext.set(k, Math.max(ext.get(k) ?? 0, v));
  const names: Record<string, string> = { th: 'th', gr: 'gr', dir: 'dir', hv: 'hv' };
  const decls: string[] = [];
  for (const [k, v] of ext) {
    if (['xs', 'ys', 'hyper', 'ost', ...skip].includes(k)) continue;
    const name = names[k] ?? `w_${k}`;
    decls.push(`var<private> ${name}: array<f32, ${k in names ? model.params : v}>;`);
  }
  return decls.join('\n');
}

/**
 * The training kernels' parameters and bindings: one bind group layout, which both the
 * thread-per-network and the workgroup-per-network kernel use (NetworkEngine binds it).
 */
/**
 * The training loop's checks on the full-batch loss L of step `steps`, one definition for
 * the three training kernels (thread, workgroup, df64); the CPU twin is
 * NetworkTrainerCpu.stepNetwork. `historyGuard` limits the history write (e.g. to one
 * thread of a workgroup).
 */
export function stopChecks(historyGuard = ''): string {
  return `if (steps == 0u) { l0 = L; }
    if (steps < params.history${historyGuard}) { hist[i * params.history + steps] = L; }
    let bad = !is_finite(L);
    let ref_loss = select(1.0f, l0, l0 > 0.0f);
    let out = L > params.divergeRatio * ref_loss;
    let conv = L <= params.convergeLoss;
    if (bad | out | conv) {
      status = select(select(CONVERGED, DIVERGED, out), NONFINITE, bad);
      event = steps;
      cur = L;
      break;
    }`;
}

export function trainingBindings({ model, points, optimizer, config }: NetworkKernelOptions): string {
  const P = model.params;
  const HS = hyperStride({ model, optimizer, config });
  const SS = stateStride({ model, optimizer });
  return `${NetParams.wgsl}

@group(0) @binding(0) var<uniform> params: NetParams;
// n x ${P} parameters.
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
// n x ${HS}: ${optimizer.def.hyper.map((h) => h.name).join(', ')}, then lr per layer${config?.perNetwork?.length ? `, then ${config.perNetwork.join(', ')}` : ''}.
@group(0) @binding(2) var<storage, read> hyper: array<f32>;
// n x ${SS} optimizer state (${optimizer.state.join(', ') || 'none'}), parameter-major.
@group(0) @binding(3) var<storage, read_write> ostate: array<f32>;
@group(0) @binding(4) var<storage, read_write> info: array<ParticleInfo>;
// first loss, current loss.
@group(0) @binding(5) var<storage, read_write> losses: array<vec2<f32>>;
// n x params.history losses.
@group(0) @binding(6) var<storage, read_write> hist: array<f32>;
// ${points} rows of ${model.inputs} inputs, then ${points} rows of ${model.outputs} targets.
@group(0) @binding(7) var<storage, read> data: array<f32>;
`;
}

export function buildNetworkKernel({ model, points, optimizer, config = DEFAULT_NET_CONFIG, unroll = NETWORK_UNROLL }: NetworkKernelOptions): string {
  const S = optimizer.state.length;
  const HS = hyperStride({ model, optimizer, config });
  const SS = stateStride({ model, optimizer });
  const P = model.params;
  const grad = stepGradientRoutine(model, points, optimizer, config);
  const loss = networkRoutine(model, { points, gradient: false, hvp: false });
  const update = updateRoutine(model, optimizer);
  const access = accessFor(model, points, S);
  const minibatch = config.batch > 0;
  const rng = minibatch || config.noise > 0 || (config.perNetwork?.includes('noise') ?? false);
  const counter = { n: 0 };
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}
#if ${rng}
${random}
#endif

${trainingBindings({ model, points, optimizer, config })}

${privateDecls([grad, loss, update], model)}
var<private> hb: u32;
var<private> sb: u32;
// What the minibatch and noise draws are keyed by (RoutineRunner.rng on the CPU).
var<private> rng_seed: u32;
var<private> rng_net: u32;
var<private> rng_step: u32;

${activationFunction(model)}

// The gradient the optimizer sees (core/nn/gradient.ts): (loss, norm of the raw gradient).
fn net_grad() -> vec2<f32> {
${grad.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printStmts(grad.body, access, '  ', counter, { unroll })}
  return vec2<f32>(l_loss, l_gnorm);
}

fn net_loss() -> f32 {
${loss.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printStmts(loss.body, access, '  ', counter, { unroll })}
  return l_loss;
}

fn net_update(loss_in: f32, t_in: f32, gnorm_in: f32) {
  var l_loss = loss_in;
  var l_t = t_in;
  var l_gnorm = gnorm_in;
${printStmts(update.body, access, '  ', counter, { unroll })}
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  if (m.status != RUNNING) { return; }
  hb = i * ${HS}u;
  sb = i * ${SS}u;${SS === 0 ? '\n  _ = ostate[0]; // no state: still a static use, so the auto layout keeps binding 3' : ''}
  rng_seed = params.seed;
  rng_net = i;
  for (var q = 0u; q < ${P}u; q++) { th[q] = theta[i * ${P}u + q]; }
  var steps = m.steps;
  var status = RUNNING;
  var event = m.eventStep;
  let lv = losses[i];
  var l0 = lv.x;
  var cur = lv.y;
  for (var k = 0u; k < params.steps; k++) {
    rng_step = steps;
    let gl = net_grad();
    // The checks and the history read the full-batch loss.
    let L = ${minibatch ? 'net_loss()' : 'gl.x'};
    ${stopChecks()}
    net_update(L, f32(steps), gl.y);
    steps = steps + 1u;
  }
  if (status == RUNNING) { cur = net_loss(); }
  for (var q = 0u; q < ${P}u; q++) { theta[i * ${P}u + q] = th[q]; }
  info[i] = ParticleInfo(status, steps, event, m.minimum);
  losses[i] = vec2<f32>(l0, cur);
}
`;
}

/**
 * Loss, gradient and exact Hessian-vector product of n networks at n parameter vectors
 * along n directions (one thread each): the building block of sharpness (power
 * iteration) and the tests of the R-operator on the GPU.
 */
export function buildHvpKernel({ model, points }: { model: Model; points: number }): string {
  const P = model.params;
  const hvp = networkRoutine(model, { points, gradient: true, hvp: true });
  const access = accessFor(model, points, 0);
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}

${HvpParams.wgsl}

@group(0) @binding(0) var<uniform> params: HvpParams;
// n x ${P} parameters, then n x ${P} directions.
@group(0) @binding(1) var<storage, read> theta_dir: array<f32>;
// n x ${P} products H v, then n x ${P} gradients, then n losses.
@group(0) @binding(2) var<storage, read_write> result: array<f32>;
@group(0) @binding(3) var<storage, read> data: array<f32>;

${privateDecls([hvp], model)}

${activationFunction(model)}

fn net_hvp() -> f32 {
${hvp.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printStmts(hvp.body, access)}
  return l_loss;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let nP = params.n * ${P}u;
  for (var q = 0u; q < ${P}u; q++) {
    th[q] = theta_dir[i * ${P}u + q];
    dir[q] = theta_dir[nP + i * ${P}u + q];
  }
  let L = net_hvp();
  for (var q = 0u; q < ${P}u; q++) {
    result[i * ${P}u + q] = hv[q];
    result[nP + i * ${P}u + q] = gr[q];
  }
  result[2u * nP + i] = L;
}
`;
}
