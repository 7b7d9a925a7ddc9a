// The fused step kernel: K optimizer steps per dispatch with the particle state in
// registers. The surface and optimizer code is generated from their programs; the
// control flow mirrors CpuEngine.stepParticle (src/core/engine/cpu.ts) line by line.

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { COMMON_WGSL } from './common';
import { struct } from './layout';
import random from './random.wgsl?raw';
import { MATHLIB_WGSL } from './mathlib';
import { NOISE_PROGRAM } from '../src/core/noise';
import { MINIBATCH_SALT } from '../src/core/surfaces/dataset';
import type { MinimaTable, ProvenLoss } from '../src/core/engine/engine';
import type { CompiledOptimizer } from '../src/core/optimizers';
import type { Surface } from '../src/core/surfaces';
import { emitWGSL, f32Literal } from './codegen';
import { optimizerPieces, unrollFor } from './update';

/** The step kernel's uniform, written once per dispatch by GpuEngine.step. */
export const StepParams = struct(
  'StepParams',
  {
    n: 'u32',
    steps: 'u32',
    groupsX: 'u32',
    seed: 'u32',
    gtol2: 'f32',
    ftol: 'f32',
    posBound: 'f32',
    lossBound: 'f32',
    clipNorm: 'f32',
    clipValue: 'f32',
    noiseScale: 'f32',
    samRho: 'f32',
    batch: 'u32',
    points: 'u32',
  },
  {
    uniform: true,
    docs: {
      n: 'particles',
      steps: 'steps in this dispatch',
      groupsX: 'workgroups along x (the grid is 2-D for large n)',
      gtol2: 'gtol squared',
      noiseScale: 'standard deviation of the gradient noise',
      points: 'points in the dataset',
    },
  },
);

const indent = (code: string, pad: string) =>
  code
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');

export function surfaceFunctions(surface: Surface): string {
  const step = emitWGSL(surface.step, { inputs: { x: 'x', y: 'y' }, prefix: 's' });
  const loss = emitWGSL(surface.loss, { inputs: { x: 'x', y: 'y' }, prefix: 'l' });
  const hess = emitWGSL(surface.hessian, { inputs: { x: 'x', y: 'y' }, prefix: 'h' });
  const source = surface.spec.expression.replace(/[^\w\s+\-*/^().,]/g, '?').replace(/\s+/g, ' ');
  return `// Generated from: ${source}
fn surface_step(x: f32, y: f32) -> vec3<f32> {
${indent(step.code, '  ')}
  return vec3<f32>(${step.outputs.loss}, ${step.outputs.gx}, ${step.outputs.gy});
}

fn surface_loss(x: f32, y: f32) -> f32 {
${indent(loss.code, '  ')}
  return ${loss.outputs.loss};
}

// (hxx, hxy, hyy)
fn surface_hessian(x: f32, y: f32) -> vec3<f32> {
${indent(hess.code, '  ')}
  return vec3<f32>(${hess.outputs.hxx}, ${hess.outputs.hxy}, ${hess.outputs.hyy});
}`;
}

function classifyFunction(t: MinimaTable): string {
  const checks = t.x.map(
    (_, j) => `  {
    let dx = x - ${f32Literal(t.x[j])};
    let dy = y - ${f32Literal(t.y[j])};
    let d2 = dx * dx + dy * dy;
    if (d2 <= ${f32Literal(t.r2[j])} && loss <= ${f32Literal(t.lossMax[j])} && d2 < best_d) { best = ${j}u; best_d = d2; }
  }`,
  );
  return `fn classify(x: f32, y: f32, loss: f32) -> u32 {
  var best = NO_MINIMUM;
  var best_d = 3.0e38f;
${checks.join('\n')}
  return best;
}`;
}

export interface StepKernelOptions {
  surface: Surface;
  optimizer: CompiledOptimizer;
  minima: MinimaTable;
  /** Which gradient transforms to compile in (their settings are uniforms). */
  clip?: { norm: boolean; value: boolean };
  noise?: boolean;
  sam?: boolean;
  /**
   * Run each dispatch's steps fast first and replay them checked where a stop may have
   * happened (for dispatches of FAST_PASS_MIN_STEPS and more), instead of checking
   * every step (see FAST_PASS_MIN_STEPS).
   */
  fastPass?: boolean;
  /**
   * With the fast pass: the box where the loss's checks cannot fire (provenLoss). The fast
   * pass then tests only the position and the gradient, and computes the loss only where
   * it keeps it (the optimizer's input, the last step's loss for the next convergence test).
   */
  lossFree?: ProvenLoss | null;
}

/**
 * The most steps one dispatch of the fast-pass kernel runs (GpuEngine.step splits longer
 * runs): a particle's chunk, run fast and replayed whole where its test failed. On
 * SwiftShader every loop and branch costs its whole body, masked, whatever the lanes do:
 * a loop of chunks inside the kernel cost more per chunk (its loop-carried state) than a
 * dispatch of its own (measured, GD on Rosenbrock: 100 steps as one chunk 0.64 of the
 * bare kernel's rate, as chunks of 50 inside one dispatch 0.62, of 16 0.47).
 */
export const STEP_CHUNK = 100;

/**
 * Dispatches of fewer steps than this check every step instead. Where lanes run in
 * lockstep without skipping masked code (SwiftShader), a stopped particle still costs
 * one pass of each loop's body, so the fast pass adds a surface evaluation per stopped
 * particle and dispatch: with the page's 10 steps per frame and most particles converged
 * (the default scene) the fast-pass kernel was 11-19% slower, at 100 steps 2x faster.
 */
export const FAST_PASS_MIN_STEPS = 32;

export function buildStepKernel({
  surface,
  optimizer,
  minima,
  clip = { norm: false, value: false },
  noise = false,
  sam = false,
  fastPass = false,
  lossFree = null,
}: StepKernelOptions): string {
  // Steps per iteration of the fast pass's loop; the gradient's transforms lengthen the step.
  const U = noise || sam || clip.norm || clip.value ? 1 : unrollFor(surface, optimizer);
  const def = optimizer.def;
  const { H, S, hess, hyperLoads, stateVars, stateStores, update, slots } = optimizerPieces(optimizer, 'running');
  const fastUpdate = fastPass ? optimizerPieces(optimizer).update : '';
  const gauss = emitWGSL(NOISE_PROGRAM, { inputs: { u1: 'u1', u2: 'u2' }, prefix: 'z' });
  const dataset = surface.dataset;
  const sample = dataset ? emitWGSL(dataset.sample, { inputs: { x: 'x', y: 'y', a: 'dp.x', b: 'dp.y', t: 'dp.z' }, prefix: 'd' }) : null;
  // One step after its checks: the gradient the optimizer sees, as CpuEngine builds it
  // (SAM's, then noise, then clipping by norm (clip_grad_norm_) and by value), then the
  // optimizer's update, which a stopped particle does not take. Each transform is
  // compiled in only when used: even a branch that is the same for every particle costs
  // SIMD hardware that cannot know it is.
  // frozen: the checked step, whose update a stopped particle does not take (select, no
  // branch); unfrozen: the fast pass's, which a replay discards where it may have stopped.
  const advance = (frozen: boolean, keepLoss = true) => wgsl`
let t = f32(steps);
let gnorm = sqrt(gn2);
var cgx = gx;
var cgy = gy;
#if ${sam}
{
  let sc = params.samRho / (gnorm + 1e-12f);
  let sx = x + gx * sc;
  let sy = y + gy * sc;
  let es = surface_step(sx, sy);
  cgx = es.y;
  cgy = es.z;
}
#endif
#if ${!!dataset}
{
  // A minibatch of params.batch points drawn with replacement: the mean of their gradients.
  var sgx = 0.0f;
  var sgy = 0.0f;
  for (var bk = 0u; bk < params.batch; bk++) {
    let j = hash3(params.seed ^ ${MINIBATCH_SALT}u, i, steps * params.batch + bk) % params.points;
    let dp = data[j];
${indent(sample?.code ?? '', '    ')}
    sgx = sgx + ${sample?.outputs.gx ?? '0.0f'};
    sgy = sgy + ${sample?.outputs.gy ?? '0.0f'};
  }
  cgx = sgx / f32(params.batch);
  cgy = sgy / f32(params.batch);
}
#endif
#if ${noise}
{
  let u1 = f32((hash3(params.seed, i, 2u * steps) >> 8u) + 1u) / 16777216.0f;
  let u2 = f32(hash3(params.seed, i, 2u * steps + 1u) >> 8u) / 16777216.0f;
${indent(gauss.code, '  ')}
  let nzx = params.noiseScale * ${gauss.outputs.zx};
  let nzy = params.noiseScale * ${gauss.outputs.zy};
  cgx = cgx + nzx;
  cgy = cgy + nzy;
}
#endif
#if ${clip.norm}
{
  let cn = sqrt(cgx * cgx + cgy * cgy);
  let coef = min(1.0f, params.clipNorm / (cn + 1e-6f));
  cgx = cgx * coef;
  cgy = cgy * coef;
}
#endif
#if ${clip.value}
cgx = clamp(cgx, -params.clipValue, params.clipValue);
cgy = clamp(cgy, -params.clipValue, params.clipValue);
#endif
#if ${hess}
let hs = surface_hessian(x, y);
#endif
{
${indent(frozen ? update : fastUpdate, '  ')}
}
#if ${frozen}
prev_loss = select(prev_loss, L, running);
steps = select(steps, steps + 1u, running);
#else
${keepLoss ? 'prev_loss = L;' : ''}
steps = steps + 1u;
#endif`;
  // One step of the fast pass: the arithmetic and the running test, in a block of its
  // own so that the copies of an unrolled loop can follow one another. Loss-free, only
  // the block's last step keeps its loss (prev_loss after the loop); the others' is dead
  // code unless the optimizer reads it.
  const test = lossFree ? '(gn2 > gtol2)' : '(L <= lb) & (L >= -F32_MAX) & (gn2 > gtol2) & (gn2 <= F32_MAX)';
  const fastStep = (last: boolean) => `{
  let e = surface_step(x, y);
  let L = e.x;
  let gx = e.y;
  let gy = e.z;
  let gn2 = gx * gx + gy * gy;
  ok = ok & (abs(x) <= pb) & (abs(y) <= pb) & ${test};
${indent(advance(false, !lossFree || last), '  ')}
}
`;
  const state = ['x', 'y', 'prev_loss', 'steps', ...slots.flatMap((s) => [`sx_${s}`, `sy_${s}`])];
  const save = state.map((v) => `let ${v}0 = ${v};`).join('\n');
  const restore = state.map((v) => `${v} = select(${v}0, ${v}, ok);`).join('\n');

  return wgsl`
${COMMON_WGSL}
${MATHLIB_WGSL}
#if ${noise || !!dataset}
${random}
#endif

${StepParams.wgsl}

const F32_MAX = 3.4028234e38f;

@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<storage, read_write> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read_write> hyper: array<f32>;
@group(0) @binding(3) var<storage, read_write> ostate: array<f32>;
@group(0) @binding(4) var<storage, read_write> info: array<ParticleInfo>;
#if ${!!dataset}
// The dataset: a, b, t, 0 per point.
@group(0) @binding(5) var<storage, read> data: array<vec4<f32>>;
#endif

${surfaceFunctions(surface)}

#if ${minima.x.length > 0}
${classifyFunction(minima)}
#else
fn classify(x: f32, y: f32, loss: f32) -> u32 { return NO_MINIMUM; }
#endif

// ${def.name}: ${H} hyperparameters, ${S} state floats per particle.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  if (m.status != RUNNING) { return; }
  let q = pos[i];
  var x = q.x;
  var y = q.y;
  var prev_loss = q.prevLoss;
  var steps = m.steps;
  var status = RUNNING;
  var minimum = m.minimum;
  let hb = i * ${H}u;
  let sb = i * ${S}u;
  ${hyperLoads}
  ${stateVars}${S === 0 ? '\n  _ = ostate[0]; // no state: still a static use, so the auto layout keeps binding 3' : ''}

  var running = true;
  var stop_loss = 0.0f;
#if ${fastPass}
  // The dispatch's steps as one chunk (at most STEP_CHUNK). The fast pass runs them with
  // the arithmetic and one running test that holds only if no check of the CPU reference
  // (non-finite, diverged, converged) can fire at any step: x, y and the loss finite and
  // within their bounds, and gtol2 < |g|^2 < inf. Where it fails, the steps run again
  // from the saved start with the checks of CpuEngine.stepParticle at every step, in its
  // order, a stopped particle frozen by select(); so statuses and event steps are the
  // reference's. Where the test held, the steps short of a whole unrolled block run
  // checked after the fast ones.
#if ${!!lossFree}
  // Loss-free: inside the proven box (provenLoss) the loss is finite and at most
  // ${f32Literal(lossFree?.lossMax ?? 0)}, the gradient finite, so with a lossBound at or above that
  // only the position and convergence tests can fail. A lower lossBound (pb < 0) or a
  // particle past the box fails the test: its steps replay checked.
  let pb = select(-1.0f, min(params.posBound, ${f32Literal(lossFree?.posBound ?? 0)}), params.lossBound >= ${f32Literal(lossFree?.lossMax ?? 0)});
#else
  let pb = min(params.posBound, F32_MAX);
  let lb = min(params.lossBound, F32_MAX);
#endif
  let gtol2 = params.gtol2;
${indent(save, '  ')}
  var ok = true;
  // Whole blocks of ${U} steps; the rest of the dispatch's steps run checked below.
  let fast_steps = params.steps - params.steps % ${U}u;
  for (var k = 0u; k < fast_steps; k += ${U}u) {
${indent(Array.from({ length: U }, (_, j) => fastStep(j === U - 1)).join(''), '    ')}
  }
${indent(restore, '  ')}
  let checked = select(params.steps, params.steps - fast_steps, ok);
#else
  // Every step checked as CpuEngine.stepParticle checks it, in its order; a particle that
  // stops is frozen by select() for the remaining steps, so SIMD lanes never diverge.
  let checked = params.steps;
#endif
  for (var k = 0u; k < checked; k++) {
    let e = surface_step(x, y);
    let L = e.x;
    let gx = e.y;
    let gy = e.z;
    // Priority as in the CPU reference: non-finite, diverged, converged.
    let bad = !is_finite(L) | !is_finite(gx) | !is_finite(gy) | !is_finite(x) | !is_finite(y);
    let out = (abs(x) > params.posBound) | (abs(y) > params.posBound) | (L > params.lossBound);
    let gn2 = gx * gx + gy * gy;
    let conv = (steps > 0u) & (gn2 <= params.gtol2) & (abs(L - prev_loss) <= params.ftol * (1.0f + abs(L)));
    let stop_now = running & (bad | out | conv);
    status = select(status, select(select(CONVERGED, DIVERGED, out), NONFINITE, bad), stop_now);
    stop_loss = select(stop_loss, L, stop_now);
    running = running & !stop_now;
${indent(advance(true), '    ')}
  }
  if (status == CONVERGED) { minimum = classify(x, y, stop_loss); }

  pos[i] = ParticlePos(x, y, surface_loss(x, y), prev_loss);
  ${stateStores}
  var event_step = m.eventStep;
  if (status != RUNNING) { event_step = steps; }
  info[i] = ParticleInfo(status, steps, event_step, minimum);
}
`;
}
