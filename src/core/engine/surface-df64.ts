// Surface maps in double-float (core/df64.ts): one optimizer step of one particle, from
// the surface's step program and the optimizer's program run op by op in df64
// (core/df64-ops.ts), with the stop checks of CpuEngine.stepParticle. Written once
// against F32Ops: the CPU reference (cpu-df64.ts) runs it through DF_CPU, and
// shaders/surface-df64.ts traces it into the kernel's loop body, so both engines do the
// same float32 operations in the same order.
//
// Positions, hyperparameters (the map's axes in float64, not rounded to float32),
// optimizer state and the losses are double-floats. The stop checks decide as float64
// would: the loss change |L - L_prev| is taken in df64 (it is where float32 loses the
// boundary: the difference of two nearly equal losses), then compared on its high word;
// the thresholds (gtol, ftol, the bounds) stay float32 as in the float32 engines. A
// high word decides a comparison with a float32 threshold as the full value would,
// except when it equals the threshold exactly and the low word tips it (a set of
// measure zero).

import type { DF, F32Ops } from '../df64';
import { toDF } from '../df64';
import { dfCheckProgram, dfProgramOp, tableCall } from '../df64-ops';
import type { Program } from '../expr/program';
import { axisValue, type ProductLayout } from '../layouts';
import { PROGRAM_INPUTS, resolveHyper, specializeShared, type CompiledOptimizer } from '../optimizers';
import { DF64Error } from '../nn/interp-df64';
import type { RunConfig } from '../particles';
import type { Surface } from '../surfaces';

/** What a df64 surface run is built from; `hyper` and `start` in float64. */
export interface SurfaceSetupDF64 {
  surface: Surface;
  /** Specialized to the shared hyperparameters (surfaceSetupDF64 does it). */
  optimizer: CompiledOptimizer;
  config: RunConfig;
  n: number;
  /** x0, y0 per particle. */
  start: Float64Array;
  /** hyperStride per particle, the optimizer's order. */
  hyper: Float64Array;
}

/** The stop checks' thresholds, float32 as the float32 engines hold them. */
export interface StepLimits {
  gtol2: number;
  ftol: number;
  posBound: number;
  lossBound: number;
}

export function stepLimits(c: RunConfig): StepLimits {
  const f = Math.fround;
  return { gtol2: f(f(c.gtol) * f(c.gtol)), ftol: f(c.ftol), posBound: f(c.posBound), lossBound: f(c.lossBound) };
}

/** What df64 surface runs refuse (one line, the setting named), or null. */
function surfaceDF64Problem(surface: Surface, optimizer: CompiledOptimizer, config: RunConfig): string | null {
  if (surface.dataset) return 'dataset surfaces (minibatches) are float32 only';
  if (config.noise > 0) return 'gradient noise is float32 only';
  if (config.samRho > 0) return 'SAM is float32 only';
  if (config.clipNorm > 0 || config.clipValue > 0) return 'gradient clipping is float32 only';
  if (optimizer.needsHessian) return `${optimizer.def.name}${optimizer.schedule ? ' with this schedule' : ''} reads the Hessian, which df64 does not compute`;
  try {
    dfCheckProgram(surface.step, 'the surface');
    dfCheckProgram(optimizer.program, optimizer.schedule ? `${optimizer.def.name} with this schedule` : optimizer.def.name);
  } catch (e) {
    if (e instanceof DF64Error) return e.message.replace(/^df64: /, '');
    throw e;
  }
  return null;
}

/**
 * The particles of a map layout (or its part) in float64, as buildParticles places them
 * (the same order, the same defaults), and the optimizer specialized to what they share.
 * Throws DF64Error for what df64 refuses.
 */
export function surfaceSetupDF64(
  surface: Surface,
  optimizer: CompiledOptimizer,
  config: RunConfig,
  layout: ProductLayout,
  base: Record<string, number | boolean | undefined>,
): SurfaceSetupDF64 {
  const def = optimizer.def;
  const H = optimizer.hyperStride;
  const [from, to] = layout.part ?? [0, layout.y.n];
  const nx = layout.x.n;
  const n = nx * (to - from);
  const shared = resolveHyper(def, { ...base, lr: base.lr ?? def.hyper[0].default });
  const row = def.hyper.map((h) => shared[h.name]);
  const axes = [layout.x, layout.y];
  const slot = (param: string) => (param === 'x0' || param === 'y0' ? param : def.hyper.findIndex((h) => h.name === param));
  // Parameters that default to another (lr_y to lr) follow each particle's own value (as layouts.ts does).
  const follow = def.hyper.flatMap((h, k) =>
    !h.defaultFrom || base[h.name] !== undefined || axes.some((a) => a.param === h.name) ? [] : [[k, def.hyper.findIndex((g) => g.name === h.defaultFrom)]],
  );
  const start = new Float64Array(2 * n);
  const hyper = new Float64Array(H * n);
  for (let j = 0; j < n; j++) {
    const ix = j % nx;
    const iy = from + (j - ix) / nx;
    hyper.set(row, j * H);
    start[2 * j] = layout.start[0];
    start[2 * j + 1] = layout.start[1];
    axes.forEach((a, k) => {
      const v = axisValue(a.min, a.max, a.n, k === 0 ? ix : iy, a.scale);
      const at = slot(a.param);
      if (at === 'x0') start[2 * j] = v;
      else if (at === 'y0') start[2 * j + 1] = v;
      else hyper[j * H + at] = v;
    });
    for (const [k, src] of follow) hyper[j * H + k] = hyper[j * H + src];
  }
  // Hyperparameters every particle shares (in float64) become the program's constants.
  const fixed: Record<string, number> = {};
  def.hyper.forEach((h, k) => {
    for (let j = 1; j < n; j++) if (!Object.is(hyper[j * H + k], hyper[k])) return;
    fixed[h.name] = hyper[k];
  });
  const spec = specializeShared(optimizer, fixed);
  const problem = surfaceDF64Problem(surface, spec, config);
  if (problem) throw new DF64Error(problem);
  return { surface, optimizer: spec, config, n, start, hyper };
}

/**
 * Why df64 cannot run this map (one line, without the 'df64: ' prefix), or null: asked
 * before any work, of a map of at most 2 x 2 pixels, which specializes the optimizer as
 * the whole map does.
 */
export function surfaceDF64Refusal(
  surface: Surface,
  optimizer: CompiledOptimizer,
  config: RunConfig,
  layout: ProductLayout,
  base: Record<string, number | boolean | undefined>,
): string | null {
  const small = { ...layout, x: { ...layout.x, n: Math.min(2, layout.x.n) }, y: { ...layout.y, n: Math.min(2, layout.y.n) } };
  try {
    surfaceSetupDF64(surface, optimizer, config, small, base);
    return null;
  } catch (e) {
    if (e instanceof DF64Error) return e.message.replace(/^df64: /, '');
    throw e;
  }
}

/** A particle's df64 variables between steps. */
export interface StepVars<T> {
  x: DF<T>;
  y: DF<T>;
  prevLoss: DF<T>;
  /** The hyperparameters, the optimizer's order. */
  hyper: DF<T>[];
  /** State slot s of coordinate c at 2s + c. */
  state: DF<T>[];
}

export interface StepResult<T> {
  /** Status code (core/particles.ts Status) as a float32: 0 while running; the update applies only then. */
  status: T;
  /** The loss at the step's start (the next prevLoss). */
  loss: DF<T>;
  x: DF<T>;
  y: DF<T>;
  state: DF<T>[];
}

/** A program's registers in df64 from its inputs (constants: their nearest double-float). */
function dfRunProgram<T>(o: F32Ops<T>, p: Program, inputs: DF<T>[]): DF<T>[] {
  const r: DF<T>[] = [];
  p.values.forEach((v, k) => {
    if (v.kind === 'input') r[k] = inputs[k];
    else if (v.kind === 'const') {
      const [hi, lo] = toDF(v.value);
      r[k] = [o.lit(hi), o.lit(lo)];
    } else
      r[k] = dfProgramOp(
        o,
        v.instr.op,
        v.instr.args.map((a) => r[a]),
        v.instr.n,
      );
  });
  return r;
}

/** The loss at (x, y) in df64. */
export function dfSurfaceLoss<T>(o: F32Ops<T>, surface: Surface, x: DF<T>, y: DF<T>): DF<T> {
  return dfRunProgram(o, surface.loss, [x, y])[surface.loss.outputs.loss];
}

const abs = <T>(o: F32Ops<T>, v: T): T => o.ifPositive(v, v, o.sub(o.lit(0), v));
/** 1 where a > b, else 0 (NaN: 0). */
const above = <T>(o: F32Ops<T>, a: T, b: T): T => o.ifPositive(o.sub(a, b), o.lit(1), o.lit(0));

/**
 * One step of one particle, CpuEngine.stepParticle's order: the loss and gradient at
 * (x, y); non-finite, diverged, converged (after step 0) stop it; else the optimizer
 * program per coordinate. One difference: a finite position past the bound is diverged
 * even where the loss or gradient is not finite. df64's products overflow near 2^115
 * (the splitting), long before float64's; float64 would see a finite loss there and
 * call the run diverged, and so does this. `t` is the steps taken (a float32 integer), `started` 1 after
 * the first step.
 */
export function dfSurfaceStep<T>(
  o: F32Ops<T>,
  setup: { surface: Surface; optimizer: CompiledOptimizer },
  lim: StepLimits,
  v: StepVars<T>,
  t: T,
  started: T,
): StepResult<T> {
  const { surface, optimizer } = setup;
  const sp = surface.step;
  const sr = dfRunProgram(o, sp, [v.x, v.y]);
  const [L, gx, gy] = [sr[sp.outputs.loss], sr[sp.outputs.gx], sr[sp.outputs.gy]];
  const lit = (c: number) => o.lit(c);
  // Finite: v - v is 0, NaN for inf and NaN (fenced, so no compiler folds it to 0).
  const finite = (hs: T[]) => {
    const nan = hs.map((h) => o.sub(h, o.fence(h))).reduce((a, b) => o.add(a, b));
    return o.ifPositive(o.add(nan, lit(1)), lit(1), lit(0));
  };
  const posFinite = finite([v.x[0], v.y[0]]);
  const restFinite = finite([L[0], gx[0], gy[0]]);
  const posOut = o.add(above(o, abs(o, v.x[0]), lit(lim.posBound)), above(o, abs(o, v.y[0]), lit(lim.posBound)));
  const lossOut = above(o, L[0], lit(lim.lossBound));
  const call = (name: string, args: DF<T>[]) => tableCall(o, name, args);
  const gn2 = call('add', [call('mul', [gx, gx]), call('mul', [gy, gy])]);
  const dL = call('sub', [L, v.prevLoss]);
  const flat = o.mul(
    o.sub(lit(1), above(o, gn2[0], lit(lim.gtol2))),
    o.sub(lit(1), above(o, abs(o, dL[0]), o.mul(lit(lim.ftol), o.add(lit(1), abs(o, L[0]))))),
  );
  const conv = o.mul(started, flat);
  const status = o.ifPositive(
    o.sub(lit(1), posFinite),
    lit(3),
    o.ifPositive(posOut, lit(2), o.ifPositive(o.sub(lit(1), restFinite), lit(3), o.ifPositive(lossOut, lit(2), o.ifPositive(conv, lit(1), lit(0))))),
  );

  const gnorm = call('sqrt', [gn2]);
  const op = optimizer.program;
  const H = optimizer.hyperStride;
  const slots = optimizer.state.length;
  const zero: DF<T> = [lit(0), lit(0)];
  const fixed: Record<(typeof PROGRAM_INPUTS)[number], DF<T>> = {
    p: zero,
    g: zero,
    t: [t, lit(0)],
    coord: zero,
    loss: L,
    gnorm,
    hxx: zero,
    hxy: zero,
    hyy: zero,
  };
  const newPos: DF<T>[] = [];
  const state = v.state.slice();
  for (let c = 0; c < 2; c++) {
    const inputs = PROGRAM_INPUTS.map((name) => fixed[name]);
    inputs[0] = c === 0 ? v.x : v.y;
    inputs[1] = c === 0 ? gx : gy;
    inputs[3] = [lit(c), lit(0)];
    for (let h = 0; h < H; h++) inputs.push(v.hyper[h]);
    for (let s = 0; s < slots; s++) inputs.push(v.state[2 * s + c]);
    const r = dfRunProgram(o, op, inputs);
    newPos.push(r[op.outputs.p]);
    optimizer.state.forEach((name, s) => (state[2 * s + c] = r[op.outputs[name]]));
  }
  return { status, loss: L, x: newPos[0], y: newPos[1], state };
}
