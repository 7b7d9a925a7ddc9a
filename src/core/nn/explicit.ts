// The explicit JSON form of a problem: the weights, the data and the architecture's
// remaining choices, so anyone can reproduce a run exactly.
//   {"activation": "tanh", "parameterization": "mean-field",
//    "weights": [W0, W1, ...], "biases"?: [b0, b1, ...], "x": [[...], ...], "y": [[...], ...]}
// weights[k] is fan_in rows of fan_out numbers; x is n rows of d, y n rows of outputs.

import { z } from 'zod';
import { ACTIVATIONS, buildModel, LOSSES, ModelError, PARAMETERIZATIONS, type Model } from './model';
import type { Dataset } from './data';

const matrix = z.array(z.array(z.number()));

const ExplicitSchema = z.strictObject({
  activation: z.enum(Object.keys(ACTIVATIONS) as [string, ...string[]]),
  parameterization: z.enum(PARAMETERIZATIONS),
  loss: z.enum(LOSSES).optional(),
  gain: z.number().positive().optional(),
  weights: z.array(matrix).min(1),
  biases: z.array(z.array(z.number())).optional(),
  x: matrix.min(1),
  y: matrix.min(1),
});

export type ExplicitProblem = z.infer<typeof ExplicitSchema>;

export interface Problem {
  model: Model;
  data: Dataset;
  /** The parameters in the model's flat layout. */
  theta: Float32Array;
}

/** Rows of equal length: returns the length; throws naming the first row that differs. */
function width(rows: number[][], what: string): number {
  if (rows.length === 0) throw new ModelError(`${what} has no rows`);
  const w = rows[0].length;
  if (w === 0) throw new ModelError(`${what}[0] is empty`);
  rows.forEach((r, i) => {
    if (r.length !== w) throw new ModelError(`${what}[${i}] has ${r.length} numbers, ${what}[0] has ${w}`);
  });
  return w;
}

/** Parses and checks the JSON text; throws ModelError with one line naming what is wrong. */
export function parseExplicit(text: string): Problem {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`not valid JSON: ${(e as Error).message}`);
  }
  const r = ExplicitSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    const msg = issue.code === 'invalid_type' && issue.expected === 'number' ? 'must be a finite number' : issue.message;
    throw new ModelError(`${path || 'the problem'}: ${msg}`);
  }
  return fromExplicit(r.data);
}

function fromExplicit(p: ExplicitProblem): Problem {
  const widths = [p.weights[0].length];
  p.weights.forEach((W, k) => {
    if (W.length !== widths[k])
      throw new ModelError(`weights[${k}] has ${W.length} rows; it must have ${widths[k]} (the ${k === 0 ? 'input width' : `columns of weights[${k - 1}]`})`);
    widths.push(width(W, `weights[${k}]`));
  });
  if (p.biases && p.biases.length !== p.weights.length)
    throw new ModelError(`biases has ${p.biases.length} vectors, one per weight matrix (${p.weights.length}) is needed`);
  p.biases?.forEach((b, k) => {
    if (b.length !== widths[k + 1]) throw new ModelError(`biases[${k}] has ${b.length} numbers; weights[${k}] has ${widths[k + 1]} columns`);
  });
  const model = buildModel({
    widths,
    activation: p.activation as Model['spec']['activation'],
    parameterization: p.parameterization,
    bias: !!p.biases,
    loss: p.loss ?? 'mse',
    gain: p.gain ?? 1,
  });
  const d = width(p.x, 'x');
  const o = width(p.y, 'y');
  if (d !== model.inputs) throw new ModelError(`x rows have ${d} numbers; weights[0] has ${model.inputs} rows (inputs)`);
  if (o !== model.outputs) throw new ModelError(`y rows have ${o} numbers; the last weight matrix has ${model.outputs} columns (outputs)`);
  if (p.x.length !== p.y.length) throw new ModelError(`x has ${p.x.length} rows and y ${p.y.length}: one target row per input row`);
  const theta = new Float32Array(model.params);
  model.layers.forEach((ly, l) => {
    p.weights[l].forEach((row, i) => row.forEach((v, j) => (theta[ly.w + i * ly.fanOut + j] = v)));
    if (ly.b >= 0) p.biases![l].forEach((v, j) => (theta[ly.b + j] = v));
  });
  const data: Dataset = { n: p.x.length, d, o, x: Float32Array.from(p.x.flat()), y: Float32Array.from(p.y.flat()) };
  return { model, data, theta };
}

/** The explicit form of a model, its data and one network's parameters (float32 values, printed exactly). */
export function toExplicit(model: Model, data: Dataset, theta: ArrayLike<number>): ExplicitProblem {
  const rows = (a: ArrayLike<number>, n: number, w: number, off = 0) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: w }, (_, j) => a[off + i * w + j]));
  const s = model.spec;
  return {
    activation: s.activation,
    parameterization: s.parameterization,
    ...(s.loss !== 'mse' ? { loss: s.loss } : {}),
    ...(s.gain !== 1 ? { gain: s.gain } : {}),
    weights: model.layers.map((ly) => rows(theta, ly.fanIn, ly.fanOut, ly.w)),
    ...(s.bias ? { biases: model.layers.map((ly) => Array.from({ length: ly.fanOut }, (_, j) => theta[ly.b + j])) } : {}),
    x: rows(data.x, data.n, data.d),
    y: rows(data.y, data.n, data.o),
  };
}
