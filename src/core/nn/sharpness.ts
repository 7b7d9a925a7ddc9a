// Sharpness: the top eigenvalue of a network's loss Hessian, by power iteration on the
// exact Hessian-vector product (the R-operator routine, src/core/nn/routines.ts).

import { uniform01 } from '../random';
import { NetworkEvaluator } from './network';
import type { Dataset } from './data';
import type { Model } from './model';

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
  let v = Float64Array.from({ length: P }, (_, q) => uniform01(opts.seed ?? 0, q, 0) - 0.5);
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
