// Sharpness: the top eigenvalue of a network's loss Hessian, by power iteration on the
// exact Hessian-vector product (the R-operator routine, src/core/nn/routines.ts).
// powerRoutine is the one definition both engines run for many networks at once: the
// CPU reference (SharpnessCpu, below) interprets it in float32, shaders/network-sharpness.ts
// prints it as WGSL. sharpness() is the float64 analysis twin with a stopping tolerance.

import { uniform01 } from '../random';
import { compileSchedule, scheduleValues } from '../schedules';
import { add, div, fn, ix, load, local, loop, max, mul, num, set, store, type Routine, type Stmt } from './ir';
import { RoutineRunner } from './interp';
import { NetworkEvaluator } from './network';
import { networkRoutine } from './routines';
import type { Dataset } from './data';
import type { Model } from './model';
import type { NetSetup } from './train';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * The eigenvalue of largest magnitude of the Hessian at theta (float64), by power
 * iteration from a seeded direction: stops when the Rayleigh quotient changes by less
 * than `tol` (relative) or after `maxIter` products.
 */
export function sharpness(model: Model, data: Dataset, theta: ArrayLike<number>, opts: { seed?: number; maxIter?: number; tol?: number } = {}): number {
  const ev = new NetworkEvaluator(model, data, 'hvp', false);
  const P = model.params;
  let v = Float64Array.from(startDirection(P, opts.seed ?? 0));
  let lambda = NaN;
  for (let it = 0; it < (opts.maxIter ?? 200); it++) {
    const norm = Math.sqrt(dot(v, v));
    if (!(norm > 0)) return 0;
    v = v.map((x) => x / norm);
    const hv = ev.run(Array.from(theta).slice(0, P), v).hv!;
    const next = dot(v, hv);
    if (Math.abs(next - lambda) <= (opts.tol ?? 1e-7) * Math.abs(next)) return next;
    lambda = next;
    v = Float64Array.from(hv);
  }
  return lambda;
}

/** The seeded start of power iteration: uniform in [-0.5, 0.5) per parameter. */
function startDirection(params: number, seed = 0): Float32Array {
  return Float32Array.from({ length: params }, (_, q) => uniform01(seed, q, 0) - 0.5);
}

/** Below this norm a vector counts as zero (H v = 0): the quotient is then 0, not NaN. */
const TINY = 1e-30;

/**
 * `iters` steps of power iteration from dir (normalised first): each computes
 * hv = H dir, lam = dir . hv (the Rayleigh quotient, dir being a unit vector) and
 * dir = hv / |hv|. On exit lam is the last quotient, dir the eigenvector estimate
 * (the next call's warm start) and loss the loss at th. Arrays as networkRoutine's.
 */
export function powerRoutine(model: Model, opts: { points: number; iters: number }): Routine {
  if (!Number.isInteger(opts.iters) || opts.iters < 1) throw new RangeError(`power iterations must be a whole number >= 1, got ${opts.iters}`);
  const hvp = networkRoutine(model, { points: opts.points, gradient: true, hvp: true });
  const P = model.params;
  const q = ix(0, ['q', 1]);
  const normalise = (src: 'dir' | 'hv'): Stmt[] => [
    set('nrm', num(0)),
    loop('q', P, [set('nrm', add(local('nrm'), mul(load(src, q), load(src, q))))]),
    set('nrm', max(fn('sqrt', local('nrm')), num(TINY))),
    loop('q', P, [store('dir', q, div(load(src, q), local('nrm')))]),
  ];
  const body: Stmt[] = [
    ...normalise('dir'),
    loop('it', opts.iters, [
      ...hvp.body,
      set('lam', num(0)),
      loop('q', P, [set('lam', add(local('lam'), mul(load('dir', q), load('hv', q))))]),
      ...normalise('hv'),
    ]),
  ];
  return { locals: [...hvp.locals, 'lam', 'nrm'], body };
}

/** Power iterations per sharpness estimate when none is given (warm-started from the last eigenvector). */
export const DEFAULT_POWER_ITERS = 20;

/**
 * The CPU reference of the batched sharpness: n networks (theta n x params), each with
 * its own direction (dirs n x params, updated in place to the eigenvector estimates).
 */
export class SharpnessCpu {
  private readonly runner: RoutineRunner;

  constructor(
    readonly model: Model,
    data: Dataset,
    readonly iters = DEFAULT_POWER_ITERS,
  ) {
    this.runner = new RoutineRunner(powerRoutine(model, { points: data.n, iters }), { act: model.act });
    this.runner.bind('xs', data.x).bind('ys', data.y);
  }

  /** Per network: the top eigenvalue estimate and the loss. */
  run(theta: Float32Array, dirs: Float32Array): { lambda: Float32Array; loss: Float32Array } {
    const P = this.model.params;
    const n = theta.length / P;
    const lambda = new Float32Array(n);
    const loss = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      this.runner.bind('th', theta.subarray(i * P, (i + 1) * P)).bind('dir', dirs.subarray(i * P, (i + 1) * P));
      this.runner.exec();
      lambda[i] = this.runner.local('lam');
      loss[i] = this.runner.local('loss');
    }
    return { lambda, loss };
  }
}

/** n copies of the seeded start direction (every network starts power iteration from the same vector). */
export function startDirections(params: number, n: number, seed = 0): Float32Array {
  const one = startDirection(params, seed);
  const out = new Float32Array(n * params);
  for (let i = 0; i < n; i++) out.set(one, i * params);
  return out;
}

/**
 * The edge of stability of network i at step t: gradient descent on a quadratic of
 * curvature lambda is stable iff lambda < 2/eta_t; with heavy-ball momentum beta iff
 * lambda < 2(1 + beta)/eta_t, with Nesterov's iff lambda < (2 + 2 beta)/((1 + 2 beta) eta_t)
 * (Cohen et al. 2021, appendix). eta_t is layer 0's learning rate after the schedule (the
 * threshold is exact when every layer shares it). NaN for optimizers without this bound.
 */
export function stabilityThreshold(setup: Pick<NetSetup, 'optimizer' | 'hyper' | 'model'>, i: number, steps: number[]): number[] {
  const { optimizer } = setup;
  const def = optimizer.def;
  if (def.name !== 'SGD' || optimizer.schedule?.def.stateful) return steps.map(() => NaN);
  const H = def.hyper.length;
  const stride = H + setup.model.layers.length;
  const hyper = (name: string) => (name in optimizer.fixed ? optimizer.fixed[name] : setup.hyper[i * stride + def.hyper.findIndex((h) => h.name === name)]);
  const lr0 = setup.hyper[i * stride + H];
  const beta = hyper('momentum');
  const nesterov = hyper('nesterov') === 1;
  const top = Math.max(0, ...steps) + 1;
  const lrs = optimizer.schedule ? scheduleValues(compileSchedule(optimizer.schedule), lr0, top) : null;
  const factor = beta > 0 ? (nesterov ? (2 + 2 * beta) / (1 + 2 * beta) : 2 * (1 + beta)) : 2;
  return steps.map((t) => factor / (lrs ? lrs[t] : lr0));
}
