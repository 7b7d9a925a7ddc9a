// The gradient a network's optimizer sees, as one loop program both engines run: the
// network's gradient (full batch, or a minibatch drawn per network and step), then the
// transforms the 2-D step applies to a coordinate (src/core/engine/cpu.ts,
// shaders/step.ts), in their order and float32 rounding, over all the network's
// parameters: SAM's gradient, gradient noise, clipping by global norm, clipping by value.

import { NOISE_PROGRAM, noiseScale } from '../noise';
import type { CompiledOptimizer } from '../optimizers';
import { add, div, fn, ix, load, local, loop, min, max, mul, num, rand, set, store, sub, type Expr, type Routine, type Stmt } from './ir';
import { networkRoutine } from './routines';
import type { Model } from './model';

export interface GradientConfig {
  /** Points per minibatch, drawn with replacement per network and step; 0: full batch. */
  batch: number;
  /** Seed of the minibatch and noise draws. */
  seed: number;
  /** Clip the gradient's norm over all parameters to this, as clip_grad_norm_ (0: off). */
  clipNorm: number;
  /** Clamp each gradient component to [-clipValue, clipValue] (0: off). */
  clipValue: number;
  /** Gaussian noise of standard deviation noise / sqrt(batch) per parameter (batch 1 in full batch; 0: off). */
  noise: number;
  /** SAM: the gradient at theta + samRho g / (|g| + 1e-12), on the same minibatch (0: off). */
  samRho: number;
  /**
   * The settings each network has its own value of (a map axis), in this order in the
   * network's hyper row after its learning rates; the value above is then unused.
   */
  perNetwork?: readonly GradientKey[];
}

/** The gradient settings a network can hold its own value of: their config keys by axis name. */
export const GRADIENT_AXES = { clip_norm: 'clipNorm', clip_value: 'clipValue', noise: 'noise', sam_rho: 'samRho' } as const;
export type GradientKey = (typeof GRADIENT_AXES)[keyof typeof GRADIENT_AXES];

/** Whether setting k is on: per network, or a shared value above 0. */
const isOn = (c: GradientConfig, k: GradientKey): boolean => c[k] > 0 || (c.perNetwork?.includes(k) ?? false);

/**
 * The float32 a network's hyper row holds for a per-network setting: the value the
 * shared form compiles in (the noise already divided by sqrt(batch)), so that a map
 * pixel computes exactly what a run with that value does.
 */
export function gradientSlotValue(k: GradientKey, v: number, batch: number): number {
  return k === 'noise' ? noiseScale(v, batch || 1) : Math.fround(v);
}

export const DEFAULT_GRADIENT_CONFIG: GradientConfig = { batch: 0, seed: 0, clipNorm: 0, clipValue: 0, noise: 0, samRho: 0 };

/** The settings' problem, or null (the same bounds as the 2-D run config's). */
export function gradientConfigProblem(c: GradientConfig, points: number): string | null {
  if (!Number.isInteger(c.batch) || c.batch < 0) return `batch_size must be a whole number >= 0 (0: full batch), got ${c.batch}`;
  if (c.batch > points) return `batch_size ${c.batch} is above the ${points} points of the dataset`;
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) return `seed must be a whole number in 0 .. 2^32-1, got ${c.seed}`;
  for (const k of ['clipNorm', 'clipValue', 'noise', 'samRho'] as const)
    if (!(c[k] >= 0) || !Number.isFinite(c[k])) return `${k} must be a finite number >= 0 (0: off), got ${c[k]}`;
  const keys: readonly string[] = Object.values(GRADIENT_AXES);
  for (const k of c.perNetwork ?? []) if (!keys.includes(k)) return `${k} cannot be set per network (${keys.join(', ')} can)`;
  return null;
}

/** The constants of clip_grad_norm_ and SAM, as the 2-D engines use them. */
const CLIP_EPS = 1e-6;
const SAM_EPS = 1e-12;

/** Whether the optimizer's program reads the gradient norm (e.g. the GradNormBrake schedule). */
export function readsGnorm(opt: CompiledOptimizer): boolean {
  const gi = opt.program.inputs.indexOf('gnorm');
  return opt.program.values.some((v) => v.kind === 'instr' && v.instr.args.includes(gi));
}

/** gnorm = |gr| over the P parameters, summed in parameter order. */
export function gnormStmts(P: number): Stmt[] {
  const gq = load('gr', ix(0, ['q', 1]));
  return [set('gnorm', num(0)), loop('q', P, [set('gnorm', add(local('gnorm'), mul(gq, gq)))]), set('gnorm', fn('sqrt', local('gnorm')))];
}

/** Whether anything beyond the plain full-batch gradient is asked for. */
export function transformsGradient(c: GradientConfig): boolean {
  return c.batch > 0 || (['clipNorm', 'clipValue', 'noise', 'samRho'] as const).some((k) => isOn(c, k));
}

/**
 * The gradient into gr; locals on exit: loss (at theta, on the minibatch when there is
 * one, else full batch) and gnorm (the raw gradient's norm, as the 2-D engines pass it
 * to the optimizer; computed when `withGnorm` or SAM needs it). Work arrays: ths (theta
 * saved around SAM's perturbation, restored exactly), nz (the noise of one step). A
 * per-network setting is read from hyper at `slotBase` + its place in c.perNetwork.
 */
export function gradientRoutine(model: Model, points: number, c: GradientConfig, withGnorm: boolean, slotBase = 0): Routine {
  const P = model.params;
  const per = c.perNetwork ?? [];
  /** The setting's value: this network's (hyper) or the shared constant (`shared`: as compiled in). */
  const value = (k: GradientKey, shared: number): Expr => (per.includes(k) ? load('hyper', ix(slotBase + per.indexOf(k))) : num(shared));
  const net = networkRoutine(model, { points, gradient: true, hvp: false, batch: c.batch });
  const q = ix(0, ['q', 1]);
  const gq = load('gr', q);
  const body: Stmt[] = [...net.body, set('floss', local('loss'))];
  if (withGnorm || isOn(c, 'samRho')) body.push(...gnormStmts(P));
  if (isOn(c, 'samRho')) {
    // The gradient at theta + rho g / (|g| + eps), on the same points (the draws depend only on the step).
    body.push(
      set('sc', div(value('samRho', c.samRho), add(local('gnorm'), num(SAM_EPS)))),
      loop('q', P, [store('ths', q, load('th', q)), store('th', q, add(load('th', q), mul(gq, local('sc'))))]),
      ...net.body,
      loop('q', P, [store('th', q, load('ths', q))]),
    );
  }
  if (isOn(c, 'noise')) {
    // Pairs of normals by Box-Muller from counters (step * pairs + r) * 2 and + 1: for
    // P = 2 exactly the 2-D engines' stream (counters 2 step, 2 step + 1).
    const pairs = Math.ceil(P / 2);
    const r2 = ix(0, ['r', 2]);
    const r21 = ix(1, ['r', 2]);
    body.push(
      loop('r', pairs, [
        {
          k: 'program',
          prog: NOISE_PROGRAM,
          inputs: { u1: rand(0, 2 * pairs, r2, true), u2: rand(0, 2 * pairs, r21, false) },
          outputs: { zx: { arr: 'nz', idx: r2 }, zy: { arr: 'nz', idx: r21 } },
        },
      ]),
      loop('q', P, [store('gr', q, add(gq, mul(value('noise', noiseScale(c.noise, c.batch || 1)), load('nz', q))))]),
    );
  }
  if (isOn(c, 'clipNorm')) {
    body.push(
      set('cn', num(0)),
      loop('q', P, [set('cn', add(local('cn'), mul(gq, gq)))]),
      set('cn', fn('sqrt', local('cn'))),
      set('coef', min(num(1), div(value('clipNorm', c.clipNorm), add(local('cn'), num(CLIP_EPS))))),
      loop('q', P, [store('gr', q, mul(gq, local('coef')))]),
    );
  }
  if (isOn(c, 'clipValue')) {
    const cv = value('clipValue', c.clipValue);
    const lo = per.includes('clipValue') ? sub(num(0), cv) : num(-c.clipValue);
    body.push(loop('q', P, [store('gr', q, min(cv, max(lo, gq)))]));
  }
  body.push(set('loss', local('floss')));
  return { locals: [...net.locals, 'floss', 'gnorm', 'sc', 'cn', 'coef'], body };
}
