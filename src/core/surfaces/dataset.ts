// Dataset surfaces: least squares or logistic regression with two weights (x, y) on a
// generated, seeded dataset of M points. The surface drawn (and used for the status
// checks) is the full-batch loss; each step, each particle's gradient is the mean of
// the per-sample gradients of B points it draws (with replacement) from the PRNG keyed
// by (seed, particle, step): real minibatch noise, the same draws in both engines.

import { Graph, differentiate, type Node } from '../expr/graph';
import { compileProgram, type Program } from '../expr/program';
import { hash3, uniform01 } from '../random';

export type DatasetKind = 'least-squares' | 'logistic';

export interface DatasetSpec {
  kind: DatasetKind;
  /** Number of points. */
  m: number;
  /** Seed of the data (not of the minibatch draws). */
  seed: number;
  /** Correlation of the two features (makes the loss anisotropic and tilted). */
  correlation: number;
  /** Scale of the second feature (curvature ratio ~ scale^2). */
  scale: number;
  /** Label noise: Gaussian on the target (least squares) or on the logit (logistic). */
  noise: number;
}

export interface Dataset {
  spec: DatasetSpec;
  /** Per point: a, b (features), t (target), 0, in float32: what both engines read. */
  points: Float32Array;
  /** Inputs x, y, a, b, t -> gx, gy: one sample's gradient. */
  sample: Program;
}

export const MAX_DATASET_POINTS = 4096;
/** The true weights the data come from. */
export const TRUE_WEIGHTS: [number, number] = [1, -1.5];

/** A standard normal from two uniforms (float64; the data are then rounded to float32). */
function gauss(seed: number, i: number, c: number): number {
  const u1 = 1 - uniform01(seed, i, c);
  const u2 = uniform01(seed, i, c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One sample's loss as a graph in x, y with the sample's a, b, t as nodes. */
function sampleLoss(g: Graph, kind: DatasetKind, a: Node, b: Node, t: Node): Node {
  const z = g.add(g.mul(g.variable('x'), a), g.mul(g.variable('y'), b));
  if (kind === 'least-squares') return g.mul(g.num(0.5), g.powi(g.sub(z, t), 2));
  // Labels t in {-1, +1}: log(1 + exp(-t z)).
  return g.call('softplus', g.neg(g.mul(t, z)));
}

export function makeDataset(spec: DatasetSpec): Dataset {
  const { m, seed, correlation: rho, scale, noise } = spec;
  const points = new Float32Array(4 * m);
  for (let i = 0; i < m; i++) {
    const u = gauss(seed, i, 0);
    const v = gauss(seed, i, 2);
    const a = u;
    const b = scale * (rho * u + Math.sqrt(1 - rho * rho) * v);
    const z = TRUE_WEIGHTS[0] * a + TRUE_WEIGHTS[1] * b;
    const e = noise * gauss(seed, i, 4);
    const t = spec.kind === 'least-squares' ? z + e : uniform01(seed, i, 6) < 1 / (1 + Math.exp(-(z + e))) ? 1 : -1;
    points.set([a, b, t, 0], 4 * i);
  }
  const g = new Graph();
  const L = sampleLoss(g, spec.kind, g.variable('a'), g.variable('b'), g.variable('t'));
  const sample = compileProgram(['x', 'y', 'a', 'b', 't'], { gx: differentiate(g, L, 'x'), gy: differentiate(g, L, 'y') });
  return { spec, points, sample };
}

/** The full-batch loss: the mean of the sample losses, each sample's values as constants. */
export function fullLoss(g: Graph, d: Dataset): Node {
  const m = d.spec.m;
  const p = d.points;
  if (d.spec.kind === 'least-squares') {
    // 1/(2M) sum (x a + y b - t)^2, expanded into its moments (float64 sums of the float32 data).
    let saa = 0,
      sab = 0,
      sbb = 0,
      sat = 0,
      sbt = 0,
      stt = 0;
    for (let i = 0; i < m; i++) {
      const [a, b, t] = [p[4 * i], p[4 * i + 1], p[4 * i + 2]];
      saa += a * a;
      sab += a * b;
      sbb += b * b;
      sat += a * t;
      sbt += b * t;
      stt += t * t;
    }
    const x = g.variable('x');
    const y = g.variable('y');
    const terms = [
      g.mul(g.num(saa / (2 * m)), g.powi(x, 2)),
      g.mul(g.num(sab / m), g.mul(x, y)),
      g.mul(g.num(sbb / (2 * m)), g.powi(y, 2)),
      g.mul(g.num(-sat / m), x),
      g.mul(g.num(-sbt / m), y),
      g.num(stt / (2 * m)),
    ];
    return terms.reduce((acc, v) => g.add(acc, v));
  }
  let sum: Node = g.num(0);
  for (let i = 0; i < m; i++) sum = g.add(sum, sampleLoss(g, 'logistic', g.num(p[4 * i]), g.num(p[4 * i + 1]), g.num(p[4 * i + 2])));
  return g.mul(sum, g.num(1 / m));
}

/** Salt that keeps the minibatch draws apart from the gradient-noise draws of the same seed. */
export const MINIBATCH_SALT = 0x5bd1e995;

/** Index of the k-th point of particle `index`'s minibatch at `step` (as the WGSL draws it). */
export function minibatchIndex(seed: number, index: number, step: number, k: number, batch: number, m: number): number {
  const counter = (Math.imul(step, batch) + k) >>> 0;
  return hash3((seed ^ MINIBATCH_SALT) >>> 0, index, counter) % m;
}
