// Training data for networks: built-in generators keyed by a seed (the project's
// counter-based PRNG, so a seed gives the same points everywhere) and the user's CSV.
// Points are rows: x is n x d, y is n x outputs, both float32 (what both engines read).

import { CsvError, parseCsv } from '../csv';
import { uniform01 } from '../random';
import type { Model } from './model';

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

export interface Dataset {
  n: number;
  /** Inputs per point. */
  d: number;
  /** Targets per point. */
  o: number;
  /** n rows of d, row-major. */
  x: Float32Array;
  /** n rows of o, row-major. */
  y: Float32Array;
}

export const DATASETS = ['teacher', 'chebyshev', 'two-moons', 'spirals', 'xor', 'circles'] as const;

export interface DataOptions {
  seed?: number;
  /** Points (teacher: parameters x `multiple` / outputs; chebyshev: 20; classification: 200). */
  points?: number;
  /** teacher: points per parameter (the fractal notebook's dataset_param_multiple, 1). */
  multiple?: number;
  /** chebyshev: the polynomial's degree (the edge-of-stability code's chebyshev-k-20). */
  degree?: number;
  /** Classification sets: noise, in the generator's units. */
  noise?: number;
}

/** Streams (seed, point, counter): each point draws from its own counter range. */
function gauss(seed: number, i: number, c: number): number {
  const u1 = 1 - uniform01(seed, i, c);
  const u2 = uniform01(seed, i, c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
const unif = (seed: number, i: number, c: number, lo: number, hi: number) => lo + (hi - lo) * uniform01(seed, i, c);

/** Chebyshev polynomial of the first kind T_k(x), by the three-term recurrence. */
export function chebyshevT(k: number, x: number): number {
  let a = 1;
  let b = x;
  if (k === 0) return a;
  for (let j = 2; j <= k; j++) [a, b] = [b, 2 * x * b - a];
  return b;
}

function classes(n: number, label: (i: number) => number, point: (i: number) => [number, number], o: number): Dataset {
  const x = new Float32Array(2 * n);
  const y = new Float32Array(o * n);
  for (let i = 0; i < n; i++) {
    const [a, b] = point(i);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    const c = label(i); // 0 or 1
    // One output: the label as -1 / +1 (TensorFlow Playground's); more: one-hot.
    if (o === 1) y[i] = c ? 1 : -1;
    else y[o * i + c] = 1;
  }
  return { n, d: 2, o, x, y };
}

function checkShape(model: Model, name: string, d: number, o?: number): void {
  if (model.inputs !== d) throw new DataError(`dataset '${name}' has ${d} input${d > 1 ? 's' : ''}; the model takes ${model.inputs}`);
  if (o !== undefined && model.outputs !== o)
    throw new DataError(`dataset '${name}' has ${o} target${o > 1 ? 's' : ''}; the model has ${model.outputs} outputs`);
  if (o === undefined && model.outputs !== 1 && model.outputs !== 2)
    throw new DataError(`dataset '${name}' has 2 classes: the model needs 1 output (labels -1/+1) or 2 (one-hot), it has ${model.outputs}`);
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new DataError(`${what} must be a whole number >= 1, got ${v}`);
  return v;
}

/** A built-in dataset shaped for `model` (input and output widths must fit). */
export function makeDataset(name: string, model: Model, opts: DataOptions = {}): Dataset {
  const seed = (opts.seed ?? 0) >>> 0;
  const noise = opts.noise ?? 0;
  if (!Number.isFinite(noise) || noise < 0) throw new DataError(`noise must be a finite number >= 0, got ${noise}`);
  const o = model.outputs;
  switch (name) {
    case 'teacher': {
      // The fractal notebook: X ~ N(0, 1) (n x d), Y ~ N(0, 1) (n x outputs), n = params * multiple / outputs.
      const multiple = opts.multiple ?? 1;
      if (!(multiple > 0) || !Number.isFinite(multiple)) throw new DataError(`multiple must be a finite number > 0, got ${multiple}`);
      const n = positiveInt(opts.points ?? Math.floor((model.params * multiple) / o), 'points');
      const d = model.inputs;
      const x = new Float32Array(n * d);
      const y = new Float32Array(n * o);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < d; k++) x[i * d + k] = gauss(seed, i, 2 * k);
        for (let k = 0; k < o; k++) y[i * o + k] = gauss(seed, i, 2 * (d + k));
      }
      return { n, d, o, x, y };
    }
    case 'chebyshev': {
      checkShape(model, name, 1, 1);
      const n = positiveInt(opts.points ?? 20, 'points');
      const k = opts.degree ?? 4;
      if (!Number.isInteger(k) || k < 0 || k > 32) throw new DataError(`degree must be a whole number from 0 to 32, got ${k}`);
      const x = new Float32Array(n);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const t = n === 1 ? -1 : -1 + (2 * i) / (n - 1); // torch.linspace(-1, 1, n)
        x[i] = t;
        y[i] = chebyshevT(k, t);
      }
      return { n, d: 1, o: 1, x, y };
    }
    case 'two-moons': {
      // scikit-learn's make_moons: half the points on each moon.
      checkShape(model, name, 2);
      const n = positiveInt(opts.points ?? 200, 'points');
      const outer = Math.ceil(n / 2);
      return classes(
        n,
        (i) => (i < outer ? 0 : 1),
        (i) => {
          const inner = i >= outer;
          const m = inner ? n - outer : outer;
          const j = inner ? i - outer : i;
          const t = m === 1 ? 0 : (Math.PI * j) / (m - 1);
          const [a, b] = inner ? [1 - Math.cos(t), 1 - Math.sin(t) - 0.5] : [Math.cos(t), Math.sin(t)];
          return [a + noise * gauss(seed, i, 0), b + noise * gauss(seed, i, 2)];
        },
        o,
      );
    }
    case 'spirals': {
      // TensorFlow Playground's classifySpiralData: two arms, the second turned by pi.
      checkShape(model, name, 2);
      const n = positiveInt(opts.points ?? 200, 'points');
      const half = Math.ceil(n / 2);
      return classes(
        n,
        (i) => (i < half ? 0 : 1),
        (i) => {
          const j = i < half ? i : i - half;
          const m = i < half ? half : n - half;
          const r = (j / m) * 5;
          const t = ((1.75 * j) / m) * 2 * Math.PI + (i < half ? 0 : Math.PI);
          return [r * Math.sin(t) + unif(seed, i, 0, -1, 1) * noise, r * Math.cos(t) + unif(seed, i, 1, -1, 1) * noise];
        },
        o,
      );
    }
    case 'xor': {
      // classifyXORData: uniform in [-5, 5]^2 pushed 0.3 away from the axes; label sign(x y).
      checkShape(model, name, 2);
      const n = positiveInt(opts.points ?? 200, 'points');
      const pad = 0.3;
      const pts = Array.from({ length: n }, (_, i) => {
        let a = unif(seed, i, 0, -5, 5);
        let b = unif(seed, i, 1, -5, 5);
        a += a > 0 ? pad : -pad;
        b += b > 0 ? pad : -pad;
        return [a + unif(seed, i, 2, -5, 5) * noise, b + unif(seed, i, 3, -5, 5) * noise, a * b >= 0 ? 1 : 0] as const;
      });
      return classes(
        n,
        (i) => pts[i][2],
        (i) => [pts[i][0], pts[i][1]],
        o,
      );
    }
    case 'circles': {
      // classifyCircleData: radius 5; inside 0.5 r one class, between 0.7 r and r the other.
      checkShape(model, name, 2);
      const n = positiveInt(opts.points ?? 200, 'points');
      const half = Math.ceil(n / 2);
      return classes(
        n,
        (i) => (i < half ? 1 : 0),
        (i) => {
          const r = i < half ? unif(seed, i, 0, 0, 2.5) : unif(seed, i, 0, 3.5, 5);
          const angle = unif(seed, i, 1, 0, 2 * Math.PI);
          return [r * Math.sin(angle) + unif(seed, i, 2, -5, 5) * noise, r * Math.cos(angle) + unif(seed, i, 3, -5, 5) * noise];
        },
        o,
      );
    }
    default:
      throw new DataError(`unknown dataset '${name}' (known: ${DATASETS.join(', ')}, or a CSV file)`);
  }
}

/** The most rows (points) a CSV dataset may hold: every step of every network reads them all. */
export const MAX_CSV_POINTS = 65_536;

/** A decimal number as written in a CSV (no hex, no Infinity, no NaN). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A CSV (RFC 4180, core/csv.ts) with a header row of column names; `inputs` and
 * `targets` name the numeric columns to use (the other columns are not read). Strict: a
 * missing column, a record of the wrong length, or a chosen field that is not a finite
 * float32 number throws DataError naming its line and column.
 */
export function parseCsvData(text: string, inputs: string[], targets: string[], maxPoints = MAX_CSV_POINTS): Dataset {
  let records;
  try {
    records = parseCsv(text, maxPoints + 1);
  } catch (e) {
    if (e instanceof CsvError)
      throw new DataError(e.message.startsWith('more than') ? `the CSV has more than ${maxPoints} rows of data (the limit)` : e.message);
    throw e;
  }
  if (records.length < 2) throw new DataError('the CSV needs a header row and at least one row of numbers');
  const header = records[0].fields.map((h) => h.trim());
  const hl = records[0].line;
  const seen = new Set<string>();
  header.forEach((h, k) => {
    if (!h) throw new DataError(`line ${hl}: column ${k + 1} of the header has no name`);
    if (seen.has(h)) throw new DataError(`line ${hl}: column '${h}' appears twice`);
    seen.add(h);
  });
  if (!inputs.length) throw new DataError('choose at least one input column');
  if (!targets.length) throw new DataError('choose at least one target column');
  const col = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) throw new DataError(`no column '${name}' in the CSV (columns: ${header.join(', ')})`);
    return k;
  };
  const xi = inputs.map(col);
  const yi = targets.map(col);
  const twice = [...inputs, ...targets].find((c, j, all) => all.indexOf(c) !== j);
  if (twice) throw new DataError(`column '${twice}' is chosen twice${inputs.includes(twice) && targets.includes(twice) ? ' (an input and a target)' : ''}`);
  const rows = records.slice(1);
  const n = rows.length;
  const d = xi.length;
  const o = yi.length;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n * o);
  rows.forEach(({ fields, line }, r) => {
    if (fields.length !== header.length) throw new DataError(`line ${line}: ${fields.length} fields, the header has ${header.length}`);
    const num = (k: number) => {
      const s = fields[k].trim();
      const v = Math.fround(Number(s));
      if (!DECIMAL.test(s) || !Number.isFinite(v)) throw new DataError(`line ${line}, column '${header[k]}': '${s}' is not a finite number (in float32)`);
      return v;
    };
    xi.forEach((k, j) => (x[r * d + j] = num(k)));
    yi.forEach((k, j) => (y[r * o + j] = num(k)));
  });
  return { n, d, o, x, y };
}

/** Checks that a dataset fits a model (widths) and holds finite numbers. */
export function checkDataset(model: Model, data: Dataset): void {
  if (data.n < 1) throw new DataError('the dataset has no points');
  if (data.d !== model.inputs) throw new DataError(`the data has ${data.d} inputs per point; the model takes ${model.inputs}`);
  if (data.o !== model.outputs) throw new DataError(`the data has ${data.o} targets per point; the model has ${model.outputs} outputs`);
  if (data.x.length !== data.n * data.d || data.y.length !== data.n * data.o) throw new DataError('the data arrays do not hold n rows');
  if (![...data.x, ...data.y].every(Number.isFinite)) throw new DataError('the data holds a non-finite number');
}
