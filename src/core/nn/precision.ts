// Which precision a network map's window needs. float32 stops resolving a window of
// learning rates in two ways: neighbouring pixels' rates round to the same or unevenly
// spaced float32 values, and, deeper, the training itself (chaotic near the trainability
// boundary) amplifies float32's rounding until the statuses are noise. One definition for
// the page's network map (which switches to df64 by itself) and `etascape map --model`
// (which warns when it is asked for float32 at such a window).

import type { Scale } from '../layouts';

/**
 * The narrowest window, as a fraction of its values, whose statuses float32 still gets
 * right. Measured on the 4-4-1 fractal setup around a boundary point (README, "Deep zoom
 * (df64)"; tests/unit/nn-df64.test.ts): float32 agrees with float64 on 87.5 % of a row
 * 6e-5 wide, 81 % at 6e-6, 62.5 % at 1e-6, 37.5 % at 6e-7. Below 1e-5 it drops towards
 * the 80 % issue 15 counts as no longer resolving.
 */
export const F32_MIN_RELATIVE_WIDTH = 1e-5;

/** Neighbouring pixels at least this many float32 spacings (2^-23 relative, at most) apart: their rates then misplace a pixel by at most a quarter of one. */
const F32_MIN_PIXEL_SPACINGS = 2;

const F32_RELATIVE_SPACING = 2 ** -23;

export interface WindowAxis {
  param: string;
  min: number;
  max: number;
  /** Pixels along the axis. */
  n: number;
  scale?: Scale;
}

export type MapPrecision = 'f32' | 'df64';

/** The window's width as a fraction of its largest magnitude. */
function relativeWidth(min: number, max: number): number {
  const m = Math.max(Math.abs(min), Math.abs(max));
  return m > 0 ? (max - min) / m : Infinity;
}

/** The smallest step between neighbouring pixels, relative to their values. */
function relativeStep(a: WindowAxis): number {
  if (a.n <= 1) return Infinity;
  if (a.scale === 'log') return Math.pow(a.max / a.min, 1 / (a.n - 1)) - 1;
  return relativeWidth(a.min, a.max) / (a.n - 1);
}

/** Why float32 does not resolve this axis of a window, or null when it does. */
function f32Unresolved(a: WindowAxis): string | null {
  const w = relativeWidth(a.min, a.max);
  if (w < F32_MIN_RELATIVE_WIDTH) return `${a.param} spans ${w.toExponential(1)} of its value, under float32's ${F32_MIN_RELATIVE_WIDTH.toExponential(0)}`;
  const step = relativeStep(a);
  if (step < F32_MIN_PIXEL_SPACINGS * F32_RELATIVE_SPACING)
    return `${a.param}'s pixels are ${step.toExponential(1)} of their value apart, under ${F32_MIN_PIXEL_SPACINGS} float32 spacings`;
  return null;
}

/** The precision a map of this window needs, and why (null when float32 resolves it). */
export function mapPrecision(x: WindowAxis, y: WindowAxis): { precision: MapPrecision; why: string | null } {
  const why = f32Unresolved(x) ?? f32Unresolved(y);
  return { precision: why ? 'df64' : 'f32', why };
}
