// The other layout of the training kernel: one workgroup per network. The parameters
// live in workgroup memory, shared by the workgroup's threads; thread k takes the
// points p = k, k + WORKGROUP_SIZE, ... of the full batch, and the partial gradients and losses
// are added lane by lane (in lane order) through workgroup memory. The update is split
// over the parameters. Same loop programs as shaders/network.ts; only the summation
// order over points differs from the CPU reference (which adds them in point order),
// so the engines agree to rounding, not bit for bit.

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL, WORKGROUP_SIZE } from './common';
import { MATHLIB_WGSL } from './mathlib';
import type { Routine, Stmt } from '../src/core/nn/ir';
import { networkRoutine } from '../src/core/nn/routines';
import { updateRoutine, hyperStride, stateStride } from '../src/core/nn/train';
import { GRADIENT_AXES, gnormStmts, readsGnorm, transformsGradient, type GradientConfig } from '../src/core/nn/gradient';
import { accessFor, activationFunction, privateDecls, stopChecks, trainingBindings, type NetworkKernelOptions } from './network';
import { printStmts } from './network-print';

/** Parameters reduced per round (red holds WORKGROUP_SIZE x CHUNK floats: with th and gsum at MAX_PARAMS, within the 16 KiB of workgroup memory every device has). */
const CHUNK = 16;

/**
 * The gradient (or loss) routine with its point loop split over the workgroup, then
 * the lane partials added in lane order: gradient into gsum, loss into l_loss.
 */
function printReduced(r: Routine, access: ReturnType<typeof accessFor>, P: number, gradient: boolean): string {
  const i = r.body.findIndex((s) => s.k === 'for' && s.v === 'p');
  const pLoop = r.body[i] as Stmt & { k: 'for' };
  const before = printStmts(r.body.slice(0, i), access);
  const after = printStmts(r.body.slice(i + 1), access);
  const grad = gradient
    ? `
  for (var c0 = 0u; c0 < ${P}u; c0 += ${CHUNK}u) {
    for (var c = 0u; c < ${CHUNK}u; c++) {
      if (c0 + c < ${P}u) { red[lid * ${CHUNK}u + c] = gr[c0 + c]; }
    }
    workgroupBarrier();
    if (lid < ${CHUNK}u && c0 + lid < ${P}u) {
      var s = 0.0f;
      for (var k = 0u; k < WORKGROUP_SIZE; k++) { s = s + red[k * ${CHUNK}u + lid]; }
      gsum[c0 + lid] = s;
    }
    workgroupBarrier();
  }`
    : '';
  return `${before}
  for (var v_p = lid; v_p < ${pLoop.n}u; v_p += WORKGROUP_SIZE) {
${printStmts(pLoop.body, access, '    ')}
  }${grad}
  red[lid] = l_loss;
  workgroupBarrier();
  if (lid == 0u) {
    var s = 0.0f;
    for (var k = 0u; k < WORKGROUP_SIZE; k++) { s = s + red[k]; }
    wsum = s;
  }
  l_loss = workgroupUniformLoad(&wsum);
${after}`;
}

/**
 * Why the workgroup layout cannot train with these settings (one line naming them), or
 * null: it runs the plain full-batch gradient only (no minibatch draws, SAM, noise or
 * clipping, shared or per network); the thread layout runs them all.
 */
export function workgroupLayoutProblem(config: GradientConfig): string | null {
  if (!transformsGradient(config)) return null;
  const per = config.perNetwork ?? [];
  const on = [
    ...(config.batch > 0 ? ['batch_size'] : []),
    ...Object.entries(GRADIENT_AXES)
      .filter(([, k]) => config[k] > 0 || per.includes(k))
      .map(([name, k]) => (per.includes(k) ? `${name} (per network)` : name)),
  ];
  return `the workgroup layout trains plain full batch; ${on.join(', ')} need${on.length === 1 ? 's' : ''} the thread layout`;
}

export function buildNetworkKernelWG({ model, points, optimizer, config }: NetworkKernelOptions): string {
  const bad = config && workgroupLayoutProblem(config);
  if (bad) throw new Error(bad);
  const S = optimizer.state.length;
  const HS = hyperStride({ model, optimizer, config });
  const SS = stateStride({ model, optimizer });
  const P = model.params;
  const grad = networkRoutine(model, { points, gradient: true, hvp: false });
  const loss = networkRoutine(model, { points, gradient: false, hvp: false });
  const update = updateRoutine(model, optimizer);
  const access = accessFor(model, points, S);
  const upAccess = { ...access, gr: (i: string) => `gsum[${i}]` };
  // The update: the gradient norm by every thread (a sum in parameter order), the
  // per-parameter programs split over the threads.
  const upBody = [...(readsGnorm(optimizer) ? gnormStmts(P) : []), ...update.body]
    .map((s) =>
      s.k === 'for' && s.body.some((b) => b.k === 'program')
        ? `  for (var v_${s.v} = lid; v_${s.v} < ${s.n}u; v_${s.v} += WORKGROUP_SIZE) {\n${printStmts(s.body, upAccess, '    ')}\n  }`
        : printStmts([s], upAccess),
    )
    .join('\n');
  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}

${trainingBindings({ model, points, optimizer, config })}

var<workgroup> th: array<f32, ${P}>;
var<workgroup> gsum: array<f32, ${P}>;
var<workgroup> red: array<f32, ${WORKGROUP_SIZE * CHUNK}>;
var<workgroup> wsum: f32;
var<workgroup> winfo: ParticleInfo;
var<workgroup> wloss: vec2<f32>;
${privateDecls([grad, loss], model, ['th'])}
var<private> hb: u32;
var<private> sb: u32;
var<private> lid: u32;

${activationFunction(model)}

fn net_grad() -> f32 {
${grad.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printReduced(grad, access, P, true)}
  return l_loss;
}

fn net_loss() -> f32 {
${loss.locals.map((l) => `  var l_${l} = 0.0f;`).join('\n')}
${printReduced(loss, access, P, false)}
  return l_loss;
}

fn net_update(loss_in: f32, t_in: f32) {
  var l_loss = loss_in;
  var l_t = t_in;
  var l_gnorm = 0.0f;
${upBody}
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local_id: u32) {
  lid = local_id;
  let i = wid.y * params.groupsX + wid.x;
  if (i >= params.n) { return; }
  // Through workgroup memory, so every decision below is uniform (barriers follow).
  if (lid == 0u) {
    winfo = info[i];
    wloss = losses[i];
  }
  let m = workgroupUniformLoad(&winfo);
  let lv = workgroupUniformLoad(&wloss);
  if (m.status != RUNNING) { return; }
  hb = i * ${HS}u;
  sb = i * ${SS}u;${SS === 0 ? '\n  _ = ostate[0];' : ''}
  for (var q = lid; q < ${P}u; q += WORKGROUP_SIZE) { th[q] = theta[i * ${P}u + q]; }
  workgroupBarrier();
  var steps = m.steps;
  var status = RUNNING;
  var event = m.eventStep;
  var l0 = lv.x;
  var cur = lv.y;
  for (var k = 0u; k < params.steps; k++) {
    let L = net_grad();
    ${stopChecks(' && lid == 0u')}
    net_update(L, f32(steps));
    workgroupBarrier();
    steps = steps + 1u;
  }
  if (status == RUNNING) { cur = net_loss(); }
  for (var q = lid; q < ${P}u; q += WORKGROUP_SIZE) { theta[i * ${P}u + q] = th[q]; }
  if (lid == 0u) {
    info[i] = ParticleInfo(status, steps, event, m.minimum);
    losses[i] = vec2<f32>(l0, cur);
  }
}
`;
}
