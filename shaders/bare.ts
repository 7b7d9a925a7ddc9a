// The bare kernel: the step kernel's arithmetic and nothing else. The same generated
// surface gradient and optimizer update, the same per-particle hyperparameter loads and
// state in registers, but no status, no checks, no loss: what the device does for the
// same work, which `etascape bench` sets the engine against.

import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import type { CompiledOptimizer } from '../src/core/optimizers';
import type { Surface } from '../src/core/surfaces';
import { surfaceFunctions } from './step';
import { optimizerPieces, unrollFor } from './update';

export const BareParams = struct(
  'BareParams',
  { n: 'u32', steps: 'u32', groupsX: 'u32', firstStep: 'u32' },
  { uniform: true, docs: { steps: 'steps in this dispatch', firstStep: 'the step counter t at the start of the dispatch' } },
);

export function buildBareKernel(surface: Surface, optimizer: CompiledOptimizer): string {
  const { H, S, hess, hyperLoads, stateVars, stateStores, update } = optimizerPieces(optimizer);
  const pad = (code: string, p: string) =>
    code
      .split('\n')
      .map((l) => (l ? p + l : l))
      .join('\n');
  // Unrolled as the engine's fast pass is (unrollFor), so that both loops have one shape.
  const U = unrollFor(surface, optimizer);
  const step = `{
  let e = surface_step(x, y);
  let L = e.x;
  let gx = e.y;
  let gy = e.z;
  let t = f32(steps);
  let gnorm = sqrt(gx * gx + gy * gy);
  let cgx = gx;
  let cgy = gy;
${hess ? '  let hs = surface_hessian(x, y);\n' : ''}  {
${pad(update, '    ')}
  }
  steps = steps + 1u;
}
`;
  return `${COMMON_WGSL}
${MATHLIB_WGSL}

${BareParams.wgsl}

@group(0) @binding(0) var<uniform> params: BareParams;
@group(0) @binding(1) var<storage, read_write> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read_write> hyper: array<f32>;
@group(0) @binding(3) var<storage, read_write> ostate: array<f32>;

${surfaceFunctions(surface)}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let q = pos[i];
  var x = q.x;
  var y = q.y;
  var steps = params.firstStep;
  let hb = i * ${H}u;
  let sb = i * ${S}u;
  ${hyperLoads}
  ${stateVars}${S === 0 ? '\n  _ = ostate[0];' : ''}
  let whole = params.steps - params.steps % ${U}u;
  var k = 0u;
  for (; k < whole; k += ${U}u) {
${pad(step.repeat(U), '    ')}
  }
  for (; k < params.steps; k++) {
${pad(step, '    ')}
  }
  pos[i] = ParticlePos(x, y, q.loss, q.prevLoss);
  ${stateStores}
}
`;
}
