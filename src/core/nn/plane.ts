// A 2-D plane through a network's parameter space, theta(a, b) = c + a d1 + b d2: the
// plane the 3-D view draws the loss on. Li et al.'s filter-normalised random directions
// ("Visualizing the Loss Landscape of Neural Nets", 2018), or the plane through three
// networks; and the projection of any network onto it (least squares in the plane's
// coordinates). The GPU kernels (shaders/network-plane.ts) read the same Plane.

import { uniform01 } from '../random';
import type { Model } from './model';

export interface Plane {
  /** The origin and the two directions: params floats each. */
  c: Float32Array;
  d1: Float32Array;
  d2: Float32Array;
  /** The plane's coordinates drawn: a in [a0, a1], b in [b0, b1]. */
  domain: [number, number, number, number];
}

/** Salts the directions' seed apart from the weights' and the data's. */
const DIRECTION_SALT = 0x5bd1e995;

function gauss(seed: number, i: number, c: number): number {
  const u1 = 1 - uniform01(seed, i, c);
  const u2 = uniform01(seed, i, c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * One random direction, filter-normalised against `theta`: drawn N(0, 1) per weight,
 * then each filter (an output unit's incoming weights: a column of W, fan_in values)
 * scaled to the norm of the same filter of `theta`. Biases get 0, as in the paper.
 */
export function filterNormalizedDirection(model: Model, theta: ArrayLike<number>, seed: number, which: number): Float32Array {
  const d = new Float32Array(model.params);
  const s = (seed ^ DIRECTION_SALT) >>> 0;
  for (const ly of model.layers) {
    for (let j = 0; j < ly.fanOut; j++) {
      let nd = 0;
      let nt = 0;
      const raw: number[] = [];
      for (let i = 0; i < ly.fanIn; i++) {
        const q = ly.w + i * ly.fanOut + j;
        const v = gauss(s, which, 2 * q);
        raw.push(v);
        nd += v * v;
        nt += theta[q] * theta[q];
      }
      const f = nd > 0 ? Math.sqrt(nt / nd) : 0;
      for (let i = 0; i < ly.fanIn; i++) d[ly.w + i * ly.fanOut + j] = raw[i] * f;
    }
  }
  return d;
}

/** The plane around `theta` along two filter-normalised random directions, a and b in [-span, span]. */
export function randomPlane(model: Model, theta: ArrayLike<number>, seed: number, span: number): Plane {
  return {
    c: Float32Array.from(theta),
    d1: filterNormalizedDirection(model, theta, seed, 0),
    d2: filterNormalizedDirection(model, theta, seed, 1),
    domain: [-span, span, -span, span],
  };
}

/** The plane through three networks: t1 at (0, 0), t2 at (1, 0), t3 at (0, 1); `margin` beyond them. */
export function planeThrough(t1: ArrayLike<number>, t2: ArrayLike<number>, t3: ArrayLike<number>, margin: number): Plane {
  const c = Float32Array.from(t1);
  const d1 = Float32Array.from(t2, (v, q) => v - c[q]);
  const d2 = Float32Array.from(t3, (v, q) => v - c[q]);
  return { c, d1, d2, domain: [-margin, 1 + margin, -margin, 1 + margin] };
}

/**
 * The least-squares projection onto the plane, as the inverse Gram matrix [g11, g12, g22]
 * the kernel multiplies by (d1.v, d2.v): (a, b) = G^-1 (d1.(t - c), d2.(t - c)).
 * Degenerate planes (parallel or zero directions) throw.
 */
export function inverseGram(p: Plane): [number, number, number] {
  let g11 = 0;
  let g12 = 0;
  let g22 = 0;
  for (let q = 0; q < p.c.length; q++) {
    g11 += p.d1[q] * p.d1[q];
    g12 += p.d1[q] * p.d2[q];
    g22 += p.d2[q] * p.d2[q];
  }
  const det = g11 * g22 - g12 * g12;
  if (!(det > 1e-12 * g11 * g22) || !Number.isFinite(det))
    throw new Error('the plane is degenerate: its two directions are parallel or zero (choose three different networks)');
  return [g22 / det, -g12 / det, g11 / det];
}

/** Where `theta` projects onto the plane, in its (a, b) coordinates (the CPU twin of the projection kernel). */
export function projectOnPlane(p: Plane, theta: ArrayLike<number>, inv = inverseGram(p)): [number, number] {
  let u = 0;
  let v = 0;
  for (let q = 0; q < p.c.length; q++) {
    const t = theta[q] - p.c[q];
    u += p.d1[q] * t;
    v += p.d2[q] * t;
  }
  return [inv[0] * u + inv[1] * v, inv[1] * u + inv[2] * v];
}

/** Where a network is drawn: its projection, at the edge of the drawn domain when beyond it (the projection kernel's rule). */
export function drawnOnPlane(p: Plane, theta: ArrayLike<number>, inv = inverseGram(p)): [number, number] {
  const [a, b] = projectOnPlane(p, theta, inv);
  const [a0, a1, b0, b1] = p.domain;
  return [Math.min(Math.max(a, a0), a1), Math.min(Math.max(b, b0), b1)];
}

/** The grid's (a, b) at column i and row j of a res x res grid over the domain (rows from b0, as the surface grids). */
export function planeCoord(p: Plane, res: number, i: number, j: number): [number, number] {
  const [a0, a1, b0, b1] = p.domain;
  return [a0 + ((a1 - a0) * i) / (res - 1), b0 + ((b1 - b0) * j) / (res - 1)];
}
