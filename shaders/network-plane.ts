// The loss on a plane through parameter space, and the networks' places on it
// (core/nn/plane.ts defines the plane): `planeLoss` evaluates the loss at each grid point
// theta = c + a d1 + b d2 (one thread each, the same loss routine the training kernel
// and the CPU reference run), `project` writes each trained network's (a, b, loss) into
// the particle buffers the renderer draws (one thread each), at the plane's edge when
// beyond it (a diverging network flies far off; its trail stays on the drawn plane).

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import { struct } from './layout';
import { MATHLIB_WGSL } from './mathlib';
import { accessFor, activationFunction, privateDecls } from './network';
import { printStmts } from './network-print';
import { networkRoutine } from '../src/core/nn/routines';
import type { Model } from '../src/core/nn/model';

/** The plane-loss kernel's uniform: the grid over the plane's domain. */
export const PlaneParams = struct(
  'PlaneParams',
  { res: 'u32', groupsX: 'u32', a0: 'f32', a1: 'f32', b0: 'f32', b1: 'f32' },
  { uniform: true, docs: { res: 'grid points per side (res x res threads)', groupsX: 'workgroups along x' } },
);

/** The projection kernel's uniform: the networks and the plane's inverse Gram matrix. */
export const ProjectParams = struct(
  'ProjectParams',
  { n: 'u32', groupsX: 'u32', g11: 'f32', g12: 'f32', g22: 'f32', a0: 'f32', a1: 'f32', b0: 'f32', b1: 'f32' },
  {
    uniform: true,
    docs: { n: 'networks', g11: 'inverse Gram matrix of (d1, d2), symmetric', a0: 'the drawn domain (networks beyond it are drawn at its edge)' },
  },
);

export function buildPlaneLossKernel({ model, points }: { model: Model; points: number }): string {
  const P = model.params;
  const loss = networkRoutine(model, { points, gradient: false, hvp: false });
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}

${PlaneParams.wgsl}

@group(0) @binding(0) var<uniform> params: PlaneParams;
// c, d1, d2: ${P} floats each.
@group(0) @binding(1) var<storage, read> plane: array<f32>;
// res x res losses, rows of a from b0 upwards.
@group(0) @binding(2) var<storage, read_write> grid: array<f32>;
// ${points} rows of ${model.inputs} inputs, then ${points} rows of ${model.outputs} targets.
@group(0) @binding(3) var<storage, read> data: array<f32>;

${privateDecls([loss], model)}

${activationFunction(model)}

fn net_loss() -> f32 {
${loss.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printStmts(loss.body, accessFor(model, points, 0))}
  return l_loss;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  let res = params.res;
  if (g >= res * res) { return; }
  let fi = f32(g % res) / f32(res - 1u);
  let fj = f32(g / res) / f32(res - 1u);
  let a = params.a0 + (params.a1 - params.a0) * fi;
  let b = params.b0 + (params.b1 - params.b0) * fj;
  for (var q = 0u; q < ${P}u; q++) {
    th[q] = plane[q] + a * plane[${P}u + q] + b * plane[${2 * P}u + q];
  }
  grid[g] = net_loss();
}
`;
}

/** Reads the training kernel's theta, losses and info (NetworkEngine's buffers). */
export function buildProjectKernel({ model }: { model: Model }): string {
  const P = model.params;
  return wgsl`
${COMMON_WGSL}

${ProjectParams.wgsl}

@group(0) @binding(0) var<uniform> params: ProjectParams;
@group(0) @binding(1) var<storage, read> plane: array<f32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
// first loss, current loss.
@group(0) @binding(3) var<storage, read> losses: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> netInfo: array<ParticleInfo>;
@group(0) @binding(5) var<storage, read_write> pos: array<ParticlePos>;
@group(0) @binding(6) var<storage, read_write> info: array<ParticleInfo>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  var u = 0.0f;
  var v = 0.0f;
  for (var q = 0u; q < ${P}u; q++) {
    let t = theta[i * ${P}u + q] - plane[q];
    u += plane[${P}u + q] * t;
    v += plane[${2 * P}u + q] * t;
  }
  let l = losses[i];
  info[i] = netInfo[i];
  // A network that diverged (or whose numbers are no longer finite) stays where it was
  // last drawn: its place would be off the plane, or NaN, and its trail would leave it.
  let fu = u - u == 0.0f && v - v == 0.0f && l.y - l.y == 0.0f;
  if (netInfo[i].status >= DIVERGED || !fu) { return; }
  let a = clamp(params.g11 * u + params.g12 * v, params.a0, params.a1);
  let b = clamp(params.g12 * u + params.g22 * v, params.b0, params.b1);
  pos[i] = ParticlePos(a, b, l.y, l.x);
}
`;
}
