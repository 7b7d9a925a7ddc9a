// The map kernel: one packed RGBA8 pixel per particle from its outcome (info), its
// loss now (pos.loss) and at its start (start.loss). A line-by-line twin of mapPixel in
// src/core/analysis/map.ts; the colour tables are printed from the same arrays.

import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { BASIN_DIVERGED, BASIN_OTHER, BASIN_PALETTE, BASIN_RUNNING, CONVERGED_LUT, DIVERGED_LUT, RUNNING_LUT } from '../src/core/analysis/map';

const table = (name: string, lut: Uint32Array) => `const ${name} = array<u32, ${lut.length}>(${Array.from(lut, (c) => `0x${c.toString(16)}u`).join(', ')});`;
const u32 = (c: number) => `0x${c.toString(16)}u`;

/** The map kernel's uniform, written by MapColorizer.render. */
export const MapParams = struct(
  'MapParams',
  { n: 'u32', coloring: 'u32', steps: 'u32', groupsX: 'u32', floor: 'f32' },
  {
    uniform: true,
    docs: {
      coloring: '0 outcome, 1 basin',
      steps: 'total steps of the run: the end of the step scales',
      floor: 'L*: running particles are graded by the gap loss - floor',
    },
  },
);

export function buildMapKernel(): string {
  return `${COMMON_WGSL}

${MapParams.wgsl}

@group(0) @binding(0) var<uniform> params: MapParams;
@group(0) @binding(1) var<storage, read> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read> info: array<ParticleInfo>;
@group(0) @binding(3) var<storage, read> start: array<ParticlePos>;
@group(0) @binding(4) var<storage, read_write> image: array<u32>;

${table('CONVERGED_LUT', CONVERGED_LUT)}
${table('DIVERGED_LUT', DIVERGED_LUT)}
${table('RUNNING_LUT', RUNNING_LUT)}
${table('BASIN_PALETTE', BASIN_PALETTE)}

const MIN_NORMAL_BITS: u32 = 0x00800000u;
const INF_BITS: u32 = 0x7f800000u;

// log2 in fixed point (16 fraction bits), piecewise linear between powers of 2; v >= 1.
fn plog2(v: u32) -> u32 {
  let m = firstLeadingBit(v);
  let r = v - (1u << m);
  var f: u32;
  if (m >= 16u) { f = r >> (m - 16u); } else { f = r << (16u - m); }
  return (m << 16u) | f;
}

fn step_bucket(event_step: u32, size: u32) -> u32 {
  let den = max(1u, plog2(params.steps + 1u));
  return min(size - 1u, ((size - 1u) * plog2(event_step + 1u)) / den);
}

// Octaves the gap loss - floor fell below start - floor, read off the float bits.
fn fall_bucket(loss: f32, start_loss: f32, size: u32) -> u32 {
  let gs = bitcast<u32>(start_loss - params.floor);
  if (gs >= INF_BITS || gs < MIN_NORMAL_BITS) { return 0u; }
  let g = bitcast<u32>(loss - params.floor);
  let a = g & 0x7fffffffu;
  if (a >= INF_BITS) { return 0u; }
  if (g >= 0x80000000u || a < MIN_NORMAL_BITS) { return size - 1u; }
  if (gs > g) { return min(size - 1u, (gs - g) >> 23u); }
  return 0u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.groupsX * WORKGROUP_SIZE + gid.x;
  if (i >= params.n) { return; }
  let s = info[i];
  var c: u32;
  if (params.coloring == 1u) {
    if (s.status == CONVERGED) {
      if (s.minimum == NO_MINIMUM) { c = ${u32(BASIN_OTHER)}; } else { c = BASIN_PALETTE[s.minimum % ${BASIN_PALETTE.length}u]; }
    } else if (s.status == RUNNING) {
      c = ${u32(BASIN_RUNNING)};
    } else {
      c = ${u32(BASIN_DIVERGED)};
    }
  } else if (s.status == CONVERGED) {
    c = CONVERGED_LUT[step_bucket(s.eventStep, ${CONVERGED_LUT.length}u)];
  } else if (s.status == RUNNING) {
    c = RUNNING_LUT[fall_bucket(pos[i].loss, start[i].loss, ${RUNNING_LUT.length}u)];
  } else {
    c = DIVERGED_LUT[step_bucket(s.eventStep, ${DIVERGED_LUT.length}u)];
  }
  image[i] = c;
}
`;
}
