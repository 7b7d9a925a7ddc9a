// Hyperparameter maps and basins: the colour of one map pixel (one particle of a
// product layout) from its outcome. Integer arithmetic only, on the float bit
// patterns where a float is involved, so the GPU kernel (shaders/map.ts, generated
// from these tables and constants) matches this reference bit for bit.
//
// Colourings:
//   outcome  converged: blues by steps to converge (dark = fast);
//            diverged or non-finite: reds by steps to diverge (dark = fast);
//            still running: greys by how far the loss gap L - L* fell (L* the lowest
//            known minimum's loss, 0 without one): dark = no fall, light = 2^-31 or less.
//            Steps are on a log scale: bucket = (size-1) log2(e+1) / log2(S+1).
//   basin    a categorical colour per known minimum (index modulo the palette), and
//            one each for converged elsewhere, diverged/non-finite, running.

import { NO_MINIMUM, Status, eventStep, minimumIndex, particleStatus, type ParticleState } from '../particles';

export type MapColoring = 'outcome' | 'basin';
export const MAP_COLORINGS: readonly MapColoring[] = ['outcome', 'basin'];

/** A packed RGBA8 pixel: r | g << 8 | b << 16 | a << 24 (the byte order of ImageData). */
export const packRgba = (r: number, g: number, b: number, a = 255): number => (r | (g << 8) | (b << 16) | (a << 24)) >>> 0;
export const unpackRgba = (c: number): [number, number, number, number] => [c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24];

function hex(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** `size` colours interpolated linearly between the anchors (rounded once, here). */
function ramp(size: number, anchors: string[]): Uint32Array {
  const cs = anchors.map(hex);
  return Uint32Array.from({ length: size }, (_, i) => {
    const t = (i / (size - 1)) * (cs.length - 1);
    const k = Math.min(cs.length - 2, Math.floor(t));
    const f = t - k;
    const [r, g, b] = [0, 1, 2].map((c) => Math.round(cs[k][c] + (cs[k + 1][c] - cs[k][c]) * f));
    return packRgba(r, g, b);
  });
}

/** Converged, index 0 = fastest. */
export const CONVERGED_LUT = ramp(64, ['#08306b', '#2171b5', '#6baed6', '#c6dbef']);
/** Diverged or non-finite, index 0 = fastest. */
export const DIVERGED_LUT = ramp(64, ['#67000d', '#cb181d', '#fb6a4a', '#fcbba1']);
/** Running, index = octaves the loss gap fell (0 = none). */
export const RUNNING_LUT = ramp(32, ['#404040', '#bdbdbd']);
/** Basins: minimum j gets BASIN_PALETTE[j % length]. */
export const BASIN_PALETTE = Uint32Array.from(
  ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf'].map((h) => packRgba(...hex(h))),
);
export const BASIN_OTHER = packRgba(...hex('#e8e8e8'));
export const BASIN_DIVERGED = packRgba(...hex('#000000'));
export const BASIN_RUNNING = packRgba(...hex('#8a8a8a'));

/** Fixed-point log2 with 16 fraction bits, piecewise linear between powers of 2 (v >= 1). */
export function plog2(v: number): number {
  const m = 31 - Math.clz32(v);
  const r = (v - 2 ** m) >>> 0;
  const f = m >= 16 ? r >>> (m - 16) : (r << (16 - m)) >>> 0;
  return ((m << 16) | f) >>> 0;
}

/** Bucket of an event step on the log scale of `steps` total steps (0 = step 0). */
export function stepBucket(eventStep: number, steps: number, size: number): number {
  const den = Math.max(1, plog2(steps + 1));
  return Math.min(size - 1, Math.floor(((size - 1) * plog2(eventStep + 1)) / den));
}

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);
const bitsOf = (v: number): number => {
  f32Bits[0] = v;
  return u32Bits[0];
};
const MIN_NORMAL_BITS = 0x00800000;
const INF_BITS = 0x7f800000;

/**
 * Octaves (float exponent + mantissa bits, so a piecewise-linear log2) by which the
 * gap loss - floor fell below start - floor, clamped to 0 .. size-1. A gap at or below
 * zero (or subnormal: GPUs may flush it) counts as fully fallen; a non-finite loss or a
 * start without a positive gap as no fall.
 */
export function fallBucket(loss: number, start: number, floor: number, size: number): number {
  const gs = bitsOf(Math.fround(start - floor));
  if (gs >= INF_BITS || gs < MIN_NORMAL_BITS) return 0;
  const g = bitsOf(Math.fround(loss - floor));
  const a = (g & 0x7fffffff) >>> 0;
  if (a >= INF_BITS) return 0;
  if (g >= 0x80000000 || a < MIN_NORMAL_BITS) return size - 1;
  return gs > g ? Math.min(size - 1, (gs - g) >>> 23) : 0;
}

export interface MapColorOptions {
  coloring: MapColoring;
  /** Total steps of the run: the end of the step scales. */
  steps: number;
  /** L*: the running grades measure the gap loss - floor (see lossFloor). */
  floor: number;
}

/** The floor of the running grades: the lowest known minimum's loss (float32), else 0. */
export function lossFloor(minimaLosses: number[]): number {
  const f = minimaLosses.length ? Math.fround(Math.min(...minimaLosses)) : 0;
  return Number.isFinite(f) && Math.abs(f) >= 1.1754943508222875e-38 ? f : 0;
}

/** The colour of one particle: status, event step, minimum, its loss now and at its start. */
export function mapPixel(status: number, eventStep: number, minimum: number, loss: number, startLoss: number, o: MapColorOptions): number {
  if (o.coloring === 'basin') {
    if (status === Status.Converged) return minimum === NO_MINIMUM ? BASIN_OTHER : BASIN_PALETTE[minimum % BASIN_PALETTE.length];
    if (status === Status.Running) return BASIN_RUNNING;
    return BASIN_DIVERGED;
  }
  if (status === Status.Converged) return CONVERGED_LUT[stepBucket(eventStep, o.steps, CONVERGED_LUT.length)];
  if (status === Status.Running) return RUNNING_LUT[fallBucket(loss, startLoss, o.floor, RUNNING_LUT.length)];
  return DIVERGED_LUT[stepBucket(eventStep, o.steps, DIVERGED_LUT.length)];
}

/** The image of a whole map: one packed RGBA8 per particle, in particle order (row-major, y rows). */
export function mapImage(p: Pick<ParticleState, 'n' | 'pos' | 'info'>, startLoss: Float32Array, o: MapColorOptions): Uint32Array {
  const out = new Uint32Array(p.n);
  for (let i = 0; i < p.n; i++) {
    out[i] = mapPixel(particleStatus(p.info, i), eventStep(p.info, i), minimumIndex(p.info, i), p.pos[4 * i + 2], startLoss[i], o);
  }
  return out;
}

// ---------------------------------------------------------------- reading a map

export interface MapFractions {
  n: number;
  running: number;
  converged: number;
  diverged: number;
  nonfinite: number;
  /** Per known minimum (by index): the fraction that converged there. */
  minima: number[];
  /** Converged to no known minimum. */
  elsewhere: number;
}

export function mapFractions(info: Uint32Array, n: number, minimaCount: number): MapFractions {
  const status = [0, 0, 0, 0];
  const minima = new Array<number>(minimaCount).fill(0);
  let elsewhere = 0;
  for (let i = 0; i < n; i++) {
    const s = particleStatus(info, i);
    status[s]++;
    if (s !== Status.Converged) continue;
    const m = minimumIndex(info, i);
    if (m < minimaCount) minima[m]++;
    else elsewhere++;
  }
  const f = (c: number) => (n ? c / n : 0);
  return {
    n,
    running: f(status[Status.Running]),
    converged: f(status[Status.Converged]),
    diverged: f(status[Status.Diverged]),
    nonfinite: f(status[Status.NonFinite]),
    minima: minima.map(f),
    elsewhere: f(elsewhere),
  };
}

export interface MapLine {
  /** Index (along the line) of the last converged pixel, -1 if none. */
  lastConverged: number;
  /** Index of the first diverged or non-finite pixel, -1 if none. */
  firstDiverged: number;
}

/**
 * Along row iy (`along` 'x') or column ix (`along` 'y') of an nx by ny map: where the
 * converged runs end and the diverged ones begin. With a stability limit on that axis
 * the boundary lies between the two indices.
 */
export function boundaryAlong(info: Uint32Array, nx: number, ny: number, along: 'x' | 'y', line: number): MapLine {
  const len = along === 'x' ? nx : ny;
  let lastConverged = -1;
  let firstDiverged = -1;
  for (let k = 0; k < len; k++) {
    const i = along === 'x' ? line * nx + k : k * nx + line;
    const s = particleStatus(info, i);
    if (s === Status.Converged) lastConverged = k;
    if ((s === Status.Diverged || s === Status.NonFinite) && firstDiverged < 0) firstDiverged = k;
  }
  return { lastConverged, firstDiverged };
}
