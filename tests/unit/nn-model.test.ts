// Model descriptions and their layout, datasets (deterministic by seed, shapes,
// statistics), the CSV reader, the explicit JSON form, initial weights and the fractal
// convergence measure.

import { describe, expect, test } from 'vitest';
import { buildModel, MAX_PARAMS, modelString, parseModel } from '../../src/core/nn/model';
import { chebyshevT, DATASETS, makeDataset, parseCsvData } from '../../src/core/nn/data';
import { parseExplicit, toExplicit } from '../../src/core/nn/explicit';
import { initialTheta, NetworkEvaluator } from '../../src/core/nn/network';
import { fractalMeasure, fractalMeasureOfRun } from '../../src/core/nn/setup';
import { Status } from '../../src/core/particles';

/** The explicit form as JSON.parse gives it, for tests that break it on purpose. */
type Mutable = { activation: string; weights: unknown[][][]; biases: unknown[][]; x: unknown[][]; y: unknown[]; extra?: number };

describe('model descriptions', () => {
  test('the fractal setup: 16 inputs, 16 hidden, 1 output, two weight matrices, 272 parameters', () => {
    const m = parseModel('mlp:16,16,1:tanh:mean-field');
    expect(m.params).toBe(272);
    expect(m.layers.map((l) => [l.w, l.b, l.fanIn, l.fanOut, l.start, l.end])).toEqual([
      [0, -1, 16, 16, 0, 256],
      [256, -1, 16, 1, 256, 272],
    ]);
    // Mean-field: the output layer divides by fan_in, hidden layers by sqrt(fan_in).
    expect(m.layers.map((l) => l.scale)).toEqual([0.25, 1 / 16]);
    expect(parseModel('mlp:16,16,1:tanh:standard').layers[1].scale).toBe(0.25);
  });

  test('biases follow their matrix; the string form round-trips', () => {
    const m = parseModel('mlp:3,4,2:relu:standard:bias:gain=2');
    expect(m.layers.map((l) => [l.w, l.b, l.end])).toEqual([
      [0, 12, 16],
      [16, 24, 26],
    ]);
    expect(m.spec.gain).toBe(2);
    expect(parseModel(modelString(m.spec)).spec).toEqual(m.spec);
    expect(parseModel('mlp:2,8,3:gelu:ce').spec.loss).toBe('softmax-ce');
  });

  test('bad descriptions name what is wrong', () => {
    expect(() => parseModel('mlp:16,16,1:swish')).toThrow(/unknown field 'swish'/);
    expect(() => buildModel({ widths: [2, 3, 1], activation: 'swish' as never })).toThrow(/unknown activation 'swish'/);
    expect(() => parseModel('mlp:16,x,1')).toThrow(/width 'x'/);
    expect(() => parseModel('mlp:16,0,1')).toThrow(/width 1 must be a whole number >= 1/);
    expect(() => parseModel('mlp:64,64,1')).toThrow(new RegExp(`too many parameters: 4160 > ${MAX_PARAMS}`));
    expect(() => parseModel('mlp:4')).toThrow(/input and an output/);
    expect(() => parseModel('net:4,1')).toThrow(/starts with 'mlp:'/);
    expect(() => parseModel('mlp:4,1:ce')).toThrow(/at least 2 outputs/);
  });
});

describe('datasets', () => {
  const fractal = parseModel('mlp:16,16,1:tanh:mean-field');
  const cls = parseModel('mlp:2,8,1:tanh');

  test('teacher: points = parameters x multiple / outputs, Gaussian inputs and targets, deterministic by seed', () => {
    const a = makeDataset('teacher', fractal, { seed: 3 });
    expect([a.n, a.d, a.o]).toEqual([272, 16, 1]);
    expect(makeDataset('teacher', fractal, { seed: 3, multiple: 0.5 }).n).toBe(136);
    expect(makeDataset('teacher', fractal, { seed: 3 }).x).toEqual(a.x);
    expect(makeDataset('teacher', fractal, { seed: 4 }).x).not.toEqual(a.x);
    const mean = a.x.reduce((s, v) => s + v, 0) / a.x.length;
    const varc = a.x.reduce((s, v) => s + (v - mean) ** 2, 0) / a.x.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(varc - 1)).toBeLessThan(0.06);
  });

  test('chebyshev: 20 points evenly on [-1, 1], labelled by T_k', () => {
    const m = parseModel('mlp:1,100,1:tanh');
    const c = makeDataset('chebyshev', m, { degree: 3 });
    expect(c.n).toBe(20);
    expect(c.x[0]).toBe(-1);
    expect(c.x[19]).toBe(1);
    for (let i = 0; i < 20; i++) expect(c.y[i]).toBeCloseTo(4 * c.x[i] ** 3 - 3 * c.x[i], 6);
    expect(chebyshevT(4, 0.5)).toBeCloseTo(8 * 0.5 ** 4 - 8 * 0.25 + 1, 12);
    expect(() => makeDataset('chebyshev', fractal)).toThrow(/has 1 input; the model takes 16/);
  });

  test('classification sets: two classes, balanced, labels -1/+1 (one output) or one-hot (two)', () => {
    for (const name of DATASETS.filter((d) => d !== 'teacher' && d !== 'chebyshev')) {
      const d = makeDataset(name, cls, { seed: 1, points: 100, noise: 0.1 });
      expect([d.n, d.d, d.o]).toEqual([100, 2, 1]);
      const pos = Array.from(d.y).filter((v) => v === 1).length;
      expect(Array.from(d.y).every((v) => v === 1 || v === -1)).toBe(true);
      expect(pos).toBeGreaterThan(30);
      expect(pos).toBeLessThan(70);
      expect(makeDataset(name, cls, { seed: 1, points: 100, noise: 0.1 }).x).toEqual(d.x);
      const hot = makeDataset(name, parseModel('mlp:2,8,2:tanh:ce'), { seed: 1, points: 100, noise: 0.1 });
      for (let i = 0; i < 100; i++) expect(hot.y[2 * i] + hot.y[2 * i + 1]).toBe(1);
    }
    // Class structure: circles' inner class lies within radius 2.5, the outer beyond 3.5.
    const c = makeDataset('circles', cls, { seed: 2, points: 60 });
    for (let i = 0; i < 60; i++) {
      const r = Math.hypot(c.x[2 * i], c.x[2 * i + 1]);
      if (c.y[i] === 1) expect(r).toBeLessThanOrEqual(2.5 + 1e-5);
      else expect(r).toBeGreaterThanOrEqual(3.5 - 1e-5);
    }
    // xor: the label is the sign of x y.
    const x = makeDataset('xor', cls, { seed: 2, points: 60 });
    for (let i = 0; i < 60; i++) expect(x.y[i]).toBe(x.x[2 * i] * x.x[2 * i + 1] >= 0 ? 1 : -1);
    expect(() => makeDataset('moons', cls)).toThrow(/unknown dataset 'moons'/);
  });

  test('CSV: columns by name, strict numbers', () => {
    const d = parseCsvData('a,b,label\n1,2,0\n3,4.5,1\n', ['b', 'a'], ['label']);
    expect([d.n, d.d, d.o]).toEqual([2, 2, 1]);
    expect(Array.from(d.x)).toEqual([2, 1, 4.5, 3]);
    expect(Array.from(d.y)).toEqual([0, 1]);
    expect(() => parseCsvData('a,b\n1,2\n', ['a'], ['c'])).toThrow(/no column 'c'/);
    expect(() => parseCsvData('a,b\n1,x\n', ['a'], ['b'])).toThrow(/line 2, column 'b': 'x' is not a finite number/);
    expect(() => parseCsvData('a,b\n1\n', ['a'], ['b'])).toThrow(/line 2: 1 fields, the header has 2/);
    expect(() => parseCsvData('a,a\n1,2\n', ['a'], ['a'])).toThrow(/appears twice/);
    expect(() => parseCsvData('a,b\n', ['a'], ['b'])).toThrow(/at least one row/);
  });
});

describe('the explicit JSON form', () => {
  const model = parseModel('mlp:3,4,2:tanh:mean-field:bias');
  const data = makeDataset('teacher', model, { seed: 1, points: 5 });
  const theta = initialTheta(model, 1, { seed: 2 });
  theta[model.layers[0].b] = 0.25;

  test('writing then reading gives the same model, data and parameters (so the same loss)', () => {
    const json = JSON.stringify(toExplicit(model, data, theta));
    const p = parseExplicit(json);
    expect(p.model.spec).toEqual(model.spec);
    expect(p.theta).toEqual(theta);
    expect(p.data.x).toEqual(data.x);
    expect(p.data.y).toEqual(data.y);
    expect(new NetworkEvaluator(p.model, p.data, 'loss').run(p.theta).loss).toBe(new NetworkEvaluator(model, data, 'loss').run(theta).loss);
  });

  test('shape and value errors: one line naming the place', () => {
    const good = toExplicit(model, data, theta);
    const bad = (change: (o: Mutable) => void) => {
      const o = JSON.parse(JSON.stringify(good));
      change(o);
      return () => parseExplicit(JSON.stringify(o));
    };
    expect(bad((o) => o.weights[1].pop())).toThrow(/weights\[1\] has 3 rows; it must have 4 \(the columns of weights\[0\]\)/);
    expect(bad((o) => o.weights[0][2].push(1))).toThrow(/weights\[0\]\[2\] has 5 numbers, weights\[0\]\[0\] has 4/);
    expect(bad((o) => o.biases[1].push(1))).toThrow(/biases\[1\] has 3 numbers; weights\[1\] has 2 columns/);
    expect(bad((o) => o.x[1].pop())).toThrow(/x\[1\] has 2 numbers, x\[0\] has 3/);
    expect(bad((o) => o.y.pop())).toThrow(/x has 5 rows and y 4/);
    expect(bad((o) => (o.activation = 'swish'))).toThrow(/^activation: /);
    expect(bad((o) => (o.weights[0][0][0] = 'a'))).toThrow(/weights\[0\]\[0\]\[0\]: must be a finite number/);
    expect(bad((o) => (o.extra = 1))).toThrow(/extra|unrecognized/i);
    expect(() => parseExplicit('{"activation": "tanh", "parameterization": "standard", "weights": [[[1e999]]], "x": [[1]], "y": [[1]]}')).toThrow(
      /weights\[0\]\[0\]\[0\]/,
    );
    expect(() => parseExplicit('{')).toThrow(/not valid JSON/);
  });
});

describe('initial weights and the fractal measure', () => {
  const model = parseModel('mlp:4,4,1:tanh:mean-field');
  test('shared draw by default, one per network on request, scale and offset', () => {
    const t = initialTheta(model, 3, { seed: 1 });
    expect(t.subarray(0, 20)).toEqual(t.subarray(20, 40));
    const p = initialTheta(model, 3, { seed: 1, perNetwork: true });
    expect(p.subarray(0, 20)).toEqual(t.subarray(0, 20));
    expect(p.subarray(20, 40)).not.toEqual(t.subarray(20, 40));
    const s = initialTheta(model, 2, { seed: 1, scale: [1, 2], offset: [0, 0.5] });
    for (let q = 0; q < 16; q++) expect(s[20 + q]).toBeCloseTo(2 * s[q] + 0.5, 5);
    for (let q = 16; q < 20; q++) expect(s[20 + q]).toBeCloseTo(2 * s[q], 5); // layer 1: no offset
  });

  test('converged iff the mean of the last 20 normalised losses is below 1; non-finite counts as 1e6', () => {
    const falling = Array.from({ length: 50 }, (_, t) => 2 * 0.9 ** t);
    expect(fractalMeasure(falling).converged).toBe(true);
    expect(fractalMeasure(falling).value).toBeCloseTo(-falling.reduce((a, b) => a + b / 2, 0), 9);
    const rising = Array.from({ length: 50 }, (_, t) => (t < 40 ? 1 + t : NaN));
    const m = fractalMeasure(rising);
    expect(m.converged).toBe(false);
    expect(m.value).toBeCloseTo(
      rising.reduce((a, b) => a + 1 / (Number.isFinite(b) ? b : 1e6), 0),
      9,
    );
    // A run stopped at divergence counts the clip for the remaining steps.
    const stopped = [1, 2, 3, 2e6, NaN, NaN];
    expect(fractalMeasureOfRun(stopped, Status.Diverged, 3, 6).value).toBeCloseTo(1 + 1 / 2 + 1 / 3 + 3e-6, 9);
  });
});
