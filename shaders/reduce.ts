// Per-bin reductions over the particle buffers, the GPU twin of src/core/analysis/bins.ts:
// summary_main counts status, minimum, value range and value histogram per bin with
// atomics; density_main adds one recorded iterate to the bifurcation image;
// sharpness_main writes each particle's top Hessian eigenvalue.

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import { TOP_EIGENVALUE_WGSL } from './sharpness';
import { surfaceFunctions } from './step';
import type { ValueKind } from '../src/core/analysis/bins';
import type { Surface } from '../src/core/surfaces';

/** The reductions' uniform, written by GpuReducer when the histogram changes. */
export const ReduceParams = struct(
  'ReduceParams',
  {
    n: 'u32',
    groupsX: 'u32',
    div: 'u32',
    modulo: 'u32',
    minima: 'u32',
    stride: 'u32',
    buckets: 'u32',
    offset: 'f32',
    zero: 'u32',
    statusAt: 'u32',
    minimaAt: 'u32',
    rangeAt: 'u32',
    bucketsAt: 'u32',
  },
  {
    uniform: true,
    docs: {
      div: 'bin of particle i: (i / div) % modulo',
      minima: 'known minima of the surface',
      stride: 'u32 per bin in the summary',
      offset: 'subtracted from each value before it is bucketed',
      zero: 'always 0: XOR-ing a value with it hides the value from the compiler',
      statusAt: "where the parts of a bin's summary start (summaryLayout, core/analysis/bins.ts)",
    },
  },
);

export interface ReduceKernelOptions {
  surface: Surface;
  value: ValueKind;
  /** Compile sharpness_main (per-particle sharpness). */
  sharpness: boolean;
}

export function buildReduceKernel({ surface, value, sharpness }: ReduceKernelOptions): string {
  const hessian = sharpness || value === 'sharpness';
  const read = value === 'sharpness' ? 'sharpness_at(q.x, q.y)' : `q.${value}`;
  return wgsl`
${COMMON_WGSL}

${ReduceParams.wgsl}

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read> info: array<ParticleInfo>;
// The buckets - 1 inner edges on value - offset, ascending.
@group(0) @binding(3) var<storage, read> thresholds: array<f32>;
@group(0) @binding(4) var<storage, read_write> summary: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> density: array<atomic<u32>>;
#if ${sharpness}
@group(0) @binding(6) var<storage, read_write> sharp: array<f32>;
#endif

#if ${hessian}
${MATHLIB_WGSL}
${surfaceFunctions(surface)}

// The value, unknown to the compiler: SwiftShader otherwise folds the Hessian's constants
// into the sums below (2 - a + 1 -> 3 - a), which rounds differently.
fn opaque(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

${TOP_EIGENVALUE_WGSL}

fn sharpness_at(x: f32, y: f32) -> f32 {
  let hs = surface_hessian(x, y);
  return top_eigenvalue(vec3<f32>(opaque(hs.x), opaque(hs.y), opaque(hs.z)));
}
#endif

// By bits, as compilers may assume no NaN; subnormals to +0 on every GPU alike.
fn is_nan_bits(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
fn flush(v: f32) -> f32 {
  return select(v, 0.0f, (bitcast<u32>(v) & 0x7f800000u) == 0u);
}
// Unsigned order of the keys is the order of the floats.
fn ordered_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
// Number of thresholds <= u (binary search): the bucket.
fn bucket_of(u: f32) -> u32 {
  var lo = 0u;
  var hi = params.buckets - 1u;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (thresholds[mid] <= u) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

fn particle(wid: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
}
fn bin_of(i: u32) -> u32 {
  return (i / params.div) % params.modulo;
}
// Only running and converged particles are histogrammed.
fn in_histogram(status: u32) -> bool {
  return status == RUNNING || status == CONVERGED;
}
fn value_of(i: u32) -> f32 {
  let q = pos[i];
  return ${read};
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn summary_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = particle(wid, lid);
  if (i >= params.n) { return; }
  let m = info[i];
  let base = bin_of(i) * params.stride;
  atomicAdd(&summary[base + params.statusAt + min(m.status, NONFINITE)], 1u);
  atomicAdd(&summary[base + params.minimaAt + min(m.minimum, params.minima)], 1u);
  if (!in_histogram(m.status)) { return; }
  let v0 = value_of(i);
  if (is_nan_bits(v0)) { return; }
  let v = flush(v0);
  let k = ordered_key(v);
  let r = base + params.rangeAt;
  atomicMax(&summary[r], ~k);
  atomicMax(&summary[r + 1u], k);
  atomicAdd(&summary[base + params.bucketsAt + bucket_of(flush(v - params.offset))], 1u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn density_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = particle(wid, lid);
  if (i >= params.n) { return; }
  if (!in_histogram(info[i].status)) { return; }
  let v0 = value_of(i);
  if (is_nan_bits(v0)) { return; }
  atomicAdd(&density[bin_of(i) * params.buckets + bucket_of(flush(flush(v0) - params.offset))], 1u);
}

#if ${sharpness}
@compute @workgroup_size(WORKGROUP_SIZE)
fn sharpness_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = particle(wid, lid);
  if (i >= params.n) { return; }
  let q = pos[i];
  sharp[i] = sharpness_at(q.x, q.y);
}
#endif
`;
}
