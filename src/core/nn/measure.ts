// The fractal notebook's convergence measure of a network's run, float32-faithful: the
// CPU reference of the GPU's measure kernel (shaders/network-analysis.ts), which
// follows it operation by operation. fractalMeasureOfRun (setup.ts) is its float64
// twin for analysis.

import { Status } from '../particles';

/** Clip of the normalised loss (the notebook's 1e6); non-finite losses count as this. */
export const MEASURE_CLIP = 1e6;
/** Converged iff the mean of the last this-many normalised losses is below 1. */
export const MEASURE_TAIL = 20;

/**
 * The measure of one network from its recorded losses L_0 .. L_{steps-1} (row), its
 * status and the step it stopped at: v_t = min(L_t / L_0, 1e6), a non-finite loss
 * counting as 1e6 (and L_0 as 1e6 when it is not finite). After a stop the run is
 * completed as if training had gone on: a diverged (or non-finite) network's loss
 * stays clipped, a converged one's stays at its last value. Converged iff the mean of
 * the last 20 v_t is below 1; the value ranks networks within each class (the
 * notebook's: -sum v_t if converged, sum 1/v_t if not).
 */
export function fractalMeasure32(row: ArrayLike<number>, status: number, eventStep: number, steps: number): { converged: boolean; value: number } {
  const f = Math.fround;
  const clip = f(MEASURE_CLIP);
  const fin = (x: number) => (Number.isFinite(x) ? f(x) : clip);
  const l0 = fin(row[0]);
  const stopped = status !== Status.Running;
  const keep = status === Status.Converged ? eventStep + 1 : eventStep;
  const fill = status === Status.Converged ? fin(row[Math.min(eventStep, steps - 1)]) : f(l0 * clip);
  let sum = 0;
  let inv = 0;
  let tail = 0;
  const tailFrom = Math.max(0, steps - MEASURE_TAIL);
  for (let t = 0; t < steps; t++) {
    const x = stopped && t >= keep ? fill : fin(row[t]);
    const v = Math.min(f(x / l0), clip);
    sum = f(sum + v);
    inv = f(inv + f(1 / v));
    if (t >= tailFrom) tail = f(tail + v);
  }
  const converged = f(tail / (steps - tailFrom)) < 1;
  return { converged, value: converged ? -sum : inv };
}
