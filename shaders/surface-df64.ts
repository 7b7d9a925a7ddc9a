// The df64 surface-map kernel: one thread per particle, the loop body traced from
// dfSurfaceStep (src/core/engine/surface-df64.ts), the definition the CPU reference
// (CpuEngineDF64) runs through DF_CPU. Every float32 operation of the definition is one
// `let`; the df64 table routines are calls to the df_ functions shaders/df64.ts prints
// from the same tables. Positions, hyperparameters, optimizer state and losses are
// vec2<f32> (hi, lo); the particle record is the float32 kernels' ParticleInfo.

import { COMMON_WGSL } from './common';
import { df64Wgsl, DFTracer, type DFCalls } from './df64';
import { struct } from './layout';
import type { DF } from '../src/core/df64';
import { dfSurfaceLoss, dfSurfaceStep, type StepLimits } from '../src/core/engine/surface-df64';
import type { CompiledOptimizer } from '../src/core/optimizers';
import type { Surface } from '../src/core/surfaces';

export const SurfaceDF64Params = struct('SurfaceDF64Params', { n: 'u32', steps: 'u32', groupsX: 'u32' }, { uniform: true, docs: { n: 'particles' } });

const vec = ([hi, lo]: DF<string>) => `vec2<f32>(${hi}, ${lo})`;
const parts = (v: string): DF<string> => [`${v}.x`, `${v}.y`];

export interface SurfaceKernelDF64Options {
  surface: Surface;
  /** Specialized to the run's shared hyperparameters (surfaceSetupDF64). */
  optimizer: CompiledOptimizer;
  limits: StepLimits;
}

export function buildSurfaceKernelDF64({ surface, optimizer, limits }: SurfaceKernelDF64Options): string {
  const H = optimizer.hyperStride;
  const S = optimizer.stateStride;
  // The routines the traced code calls: the kernel prints each once (df64Wgsl).
  const calls: DFCalls = new Map();
  const step = new DFTracer(calls, 't', '');
  const hyper = Array.from({ length: H }, (_, h) => parts(`h${h}`));
  const state = Array.from({ length: S }, (_, s) => parts(`s${s}`));
  const r = dfSurfaceStep(step, { surface, optimizer }, limits, { x: parts('px'), y: parts('py'), prevLoss: parts('prev'), hyper, state }, 'tt', 'started');
  const loss = new DFTracer(calls, 'u', '');
  const final = dfSurfaceLoss(loss, surface, parts('px'), parts('py'));
  const ind = (pad: string, lines: string[]) => lines.map((l) => pad + l).join('\n');
  return `
${COMMON_WGSL}
${df64Wgsl([], calls)}

${SurfaceDF64Params.wgsl}

@group(0) @binding(0) var<uniform> params: SurfaceDF64Params;
// x (hi, lo), y (hi, lo) per particle.
@group(0) @binding(1) var<storage, read_write> pos: array<vec4<f32>>;
// n x ${H}: ${optimizer.def.hyper.map((h) => h.name).join(', ')}.
@group(0) @binding(2) var<storage, read> hyper: array<vec2<f32>>;
// n x ${S}: ${optimizer.state.map((s) => `${s}_x, ${s}_y`).join(', ') || 'none'}.
@group(0) @binding(3) var<storage, read_write> ostate: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> info: array<ParticleInfo>;
// The loss at (x, y) and the loss before the last update.
@group(0) @binding(5) var<storage, read_write> losses: array<vec4<f32>>;
// (1, 0, 0, 0): df_one, a 1 the compiler cannot see.
@group(0) @binding(6) var<uniform> one: vec4<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  df_one = one.x;
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  if (m.status != RUNNING) { return; }
${ind(
  '  ',
  hyper.map((_, h) => `let h${h} = hyper[i * ${H}u + ${h}u];`),
)}
${ind(
  '  ',
  state.map((_, s) => `var s${s} = ostate[i * ${S}u + ${s}u];`),
)}${S === 0 ? '\n  _ = ostate[0];' : ''}${H === 0 ? '\n  _ = hyper[0];' : ''}
  let p = pos[i];
  var px = p.xy;
  var py = p.zw;
  var prev = losses[i].zw;
  var steps = m.steps;
  var status = RUNNING;
  var event = m.eventStep;
  for (var k = 0u; k < params.steps; k++) {
    let tt = f32(steps);
    let started = select(0.0f, 1.0f, steps > 0u);
${ind('    ', step.lines)}
    if (${r.status} > 0.0f) {
      status = u32(${r.status});
      event = steps;
      break;
    }
    px = ${vec(r.x)};
    py = ${vec(r.y)};
${ind(
  '    ',
  r.state.map((v, s) => `s${s} = ${vec(v)};`),
)}
    prev = ${vec(r.loss)};
    steps = steps + 1u;
  }
${ind('  ', loss.lines)}
  pos[i] = vec4<f32>(px, py);
${ind(
  '  ',
  state.map((_, s) => `ostate[i * ${S}u + ${s}u] = s${s};`),
)}
  losses[i] = vec4<f32>(${final[0]}, ${final[1]}, prev);
  info[i] = ParticleInfo(status, steps, event, m.minimum);
}
`;
}
