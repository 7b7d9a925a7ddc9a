// The history kernel: appends one sample per selected particle to its ring of `len`
// samples (HistorySample: x, y, loss, sharpness, lr, step, status). Sharpness is the top
// eigenvalue of the surface's Hessian, generated from the surface like the step kernel's.
// src/gpu/history.ts dispatches it; src/core/analysis/history.ts is its CPU reference.

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import { TOP_EIGENVALUE_WGSL } from './sharpness';
import { surfaceFunctions } from './step';
import type { Surface } from '../src/core/surfaces';

export const HistoryParams = struct(
  'HistoryParams',
  { count: 'u32', len: 'u32', head: 'u32' },
  { uniform: true, docs: { count: 'selected particles', len: 'samples per ring', head: 'ring index this dispatch writes' } },
);

/** One element of the ring; HistoryRecorder.read reads them back. */
export const HistorySample = struct('HistorySample', {
  x: 'f32',
  y: 'f32',
  loss: 'f32',
  sharpness: 'f32',
  lr: 'f32',
  step: 'u32',
  status: 'u32',
});

export interface HistoryKernelOptions {
  surface: Surface;
  /** Floats per particle in the hyper buffer (lr is the first). */
  hyperStride: number;
  /** Floats per particle in the state buffer. */
  stateStride: number;
  /** Float index of the schedule's last lr in a particle's state, or -1 (then the lr is hyper lr). */
  lrSlot: number;
}

export function buildHistoryKernel({ surface, hyperStride, stateStride, lrSlot }: HistoryKernelOptions): string {
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}

${HistoryParams.wgsl}

${HistorySample.wgsl}

@group(0) @binding(0) var<uniform> params: HistoryParams;
@group(0) @binding(1) var<storage, read> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read> hyper: array<f32>;
@group(0) @binding(3) var<storage, read> ostate: array<f32>;
@group(0) @binding(4) var<storage, read> info: array<ParticleInfo>;
@group(0) @binding(5) var<storage, read> selected: array<u32>;
@group(0) @binding(6) var<storage, read_write> ring: array<HistorySample>;

${surfaceFunctions(surface)}

${TOP_EIGENVALUE_WGSL}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= params.count) { return; }
  let i = selected[j];
  let q = pos[i];
  let m = info[i];
  var lr = hyper[i * ${hyperStride}u];
#if ${lrSlot >= 0}
  // The schedule's lr of the last step; before any step, the base lr.
  if (m.steps > 0u) { lr = ostate[i * ${Math.max(1, stateStride)}u + ${Math.max(0, lrSlot)}u]; }
#else
  _ = ostate[0];
#endif
  ring[j * params.len + params.head] = HistorySample(q.x, q.y, q.loss, top_eigenvalue(surface_hessian(q.x, q.y)), lr, m.steps, m.status);
}
`;
}
