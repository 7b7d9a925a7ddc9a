// Kernels that analyse trained networks, one thread per network, reading the training
// engine's buffers in place: sharpness (power iteration on the exact Hessian-vector
// product, printed from powerRoutine in src/core/nn/sharpness.ts, the routine the CPU
// reference interprets) and the fractal notebook's convergence measure (the WGSL twin
// of fractalMeasure32 in src/core/nn/measure.ts, operation by operation).

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import { f32Literal } from './codegen';
import { accessFor, activationFunction, privateDecls } from './network';
import { printStmts } from './network-print';
import { powerRoutine } from '../src/core/nn/sharpness';
import { MEASURE_CLIP, MEASURE_TAIL } from '../src/core/nn/measure';
import type { Model } from '../src/core/nn/model';

export const SharpnessParams = struct('SharpnessParams', { n: 'u32', groupsX: 'u32' }, { uniform: true, docs: { n: 'networks' } });

export function buildSharpnessKernel({ model, points, iters }: { model: Model; points: number; iters: number }): string {
  const P = model.params;
  const power = powerRoutine(model, { points, iters });
  const access = accessFor(model, points, 0);
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}

${SharpnessParams.wgsl}

@group(0) @binding(0) var<uniform> params: SharpnessParams;
// n x ${P} parameters (the training engine's buffer).
@group(0) @binding(1) var<storage, read> theta: array<f32>;
// n x ${P} directions: the start of power iteration in, the eigenvector estimate out.
@group(0) @binding(2) var<storage, read_write> dirs: array<f32>;
// Per network: the top eigenvalue estimate, the loss.
@group(0) @binding(3) var<storage, read_write> result: array<vec2<f32>>;
// ${points} rows of ${model.inputs} inputs, then ${points} rows of ${model.outputs} targets.
@group(0) @binding(4) var<storage, read> data: array<f32>;

${privateDecls([power], model)}

${activationFunction(model)}

fn net_power() -> vec2<f32> {
${power.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printStmts(power.body, access)}
  return vec2<f32>(l_lam, l_loss);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  for (var q = 0u; q < ${P}u; q++) {
    th[q] = theta[i * ${P}u + q];
    dir[q] = dirs[i * ${P}u + q];
  }
  result[i] = net_power();
  for (var q = 0u; q < ${P}u; q++) { dirs[i * ${P}u + q] = dir[q]; }
}
`;
}

export const MeasureParams = struct(
  'MeasureParams',
  { n: 'u32', groupsX: 'u32', steps: 'u32', history: 'u32' },
  {
    uniform: true,
    docs: { n: 'networks', steps: 'losses measured per network (L_0 .. L_{steps-1})', history: 'losses recorded per network (the row stride)' },
  },
);

export function buildMeasureKernel(): string {
  const clip = f32Literal(Math.fround(MEASURE_CLIP));
  return wgsl`
${COMMON_WGSL}

${MeasureParams.wgsl}

@group(0) @binding(0) var<uniform> params: MeasureParams;
@group(0) @binding(1) var<storage, read> info: array<ParticleInfo>;
// n x params.history recorded losses (the training engine's buffer).
@group(0) @binding(2) var<storage, read> hist: array<f32>;
// Per network: 1 if converged else 0, the ranking value.
@group(0) @binding(3) var<storage, read_write> result: array<vec2<f32>>;

fn finite_or_clip(x: f32) -> f32 {
  return select(${clip}, x, is_finite(x));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  let row = i * params.history;
  let steps = params.steps;
  let l0 = finite_or_clip(hist[row]);
  let stopped = m.status != RUNNING;
  let conv_stop = m.status == CONVERGED;
  let keep = select(m.eventStep, m.eventStep + 1u, conv_stop);
  let fill = select(l0 * ${clip}, finite_or_clip(hist[row + min(m.eventStep, steps - 1u)]), conv_stop);
  let tail_from = select(0u, steps - ${MEASURE_TAIL}u, steps > ${MEASURE_TAIL}u);
  var sum = 0.0f;
  var inv = 0.0f;
  var tail = 0.0f;
  for (var t = 0u; t < steps; t++) {
    let x = select(finite_or_clip(hist[row + t]), fill, stopped && t >= keep);
    let v = min(x / l0, ${clip});
    sum = sum + v;
    inv = inv + 1.0f / v;
    if (t >= tail_from) { tail = tail + v; }
  }
  let converged = tail / f32(steps - tail_from) < 1.0f;
  result[i] = vec2<f32>(select(0.0f, 1.0f, converged), select(inv, -sum, converged));
}
`;
}
