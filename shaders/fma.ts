// The FP32 multiply-add yardstick: each thread runs CHAINS independent vec4 chains
// a = a * b + c for `iters` iterations and nothing else (no memory traffic in the loop).
// `etascape bench`'s TensorFlow.js comparison reports each network implementation's
// multiply-adds per second as a fraction of this kernel's rate on the same device.

import { WORKGROUP_SIZE } from './common';
import { struct } from './layout';

/** Independent vec4 chains per thread: enough to hide the latency of each multiply-add. */
export const FMA_CHAINS = 8;
/** Scalar multiply-adds per thread per iteration. */
export const FMA_PER_ITERATION = 4 * FMA_CHAINS;

export const FmaParams = struct('FmaParams', { n: 'u32', iters: 'u32', groupsX: 'u32', pad: 'u32' }, { uniform: true });

export function buildFmaKernel(): string {
  const chains = Array.from({ length: FMA_CHAINS }, (_, k) => k);
  return `${FmaParams.wgsl}

@group(0) @binding(0) var<uniform> params: FmaParams;
@group(0) @binding(1) var<storage, read_write> data: array<vec4<f32>>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * ${WORKGROUP_SIZE}u + lid;
  if (i >= params.n) { return; }
  let b = data[i];
  let c = vec4<f32>(0.25);
${chains.map((k) => `  var a${k} = b + vec4<f32>(${k}.0);`).join('\n')}
  for (var k = 0u; k < params.iters; k++) {
${chains.map((k) => `    a${k} = a${k} * b + c;`).join('\n')}
  }
  data[i] = ${chains.map((k) => `a${k}`).join(' + ')};
}
`;
}
