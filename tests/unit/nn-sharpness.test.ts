// Sharpness on the CPU reference: power iteration on the exact Hessian-vector product
// (powerRoutine, the definition the GPU kernel prints) against an analytic Hessian and
// the float64 Hessian-vector product; the edge-of-stability thresholds; the float32
// fractal measure against its float64 twin.

import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/core/nn/data';
import { makeDataset } from '../../src/core/nn/data';
import { fractalMeasure32 } from '../../src/core/nn/measure';
import { buildModel } from '../../src/core/nn/model';
import { initialTheta, NetworkEvaluator } from '../../src/core/nn/network';
import { buildNetSetup, fractalMeasureOfRun } from '../../src/core/nn/setup';
import { SharpnessCpu, sharpness, stabilityThreshold, startDirections } from '../../src/core/nn/sharpness';
import { Status } from '../../src/core/particles';

describe('sharpness by power iteration (float32 CPU reference)', () => {
  it('a linear model: the top eigenvalue of the analytic Hessian (2/n) s^2 X^T X', () => {
    // widths 3 -> 1, linear, standard: f = (x . w) / sqrt(3); with X = diag(3, 1, 0.5) the
    // Hessian of the mean squared error is (2/3)(1/3) diag(9, 1, 0.25): top eigenvalue 2.
    const model = buildModel({ widths: [3, 1], activation: 'linear' });
    const data: Dataset = { n: 3, d: 3, o: 1, x: Float32Array.from([3, 0, 0, 0, 1, 0, 0, 0, 0.5]), y: Float32Array.from([1, -1, 2]) };
    const theta = initialTheta(model, 2, { seed: 1, perNetwork: true });
    const dirs = startDirections(model.params, 2);
    const { lambda } = new SharpnessCpu(model, data, 20).run(theta, dirs);
    for (const l of lambda) expect(Math.abs(l - 2) / 2).toBeLessThan(1e-5);
    // The direction returned is the eigenvector e_1.
    expect(Math.abs(dirs[0])).toBeCloseTo(1, 5);
    expect(sharpness(model, data, theta.subarray(0, 3))).toBeCloseTo(2, 6);
  });

  it('a tanh network: (lambda, v) is an eigenpair of the float64 Hessian and lambda matches the float64 iteration', () => {
    const model = buildModel({ widths: [2, 8, 1], activation: 'tanh', bias: true });
    const data = makeDataset('teacher', model, { seed: 3, points: 8 });
    const n = 3;
    const theta = initialTheta(model, n, { seed: 2, perNetwork: true });
    const dirs = startDirections(model.params, n);
    const { lambda, loss } = new SharpnessCpu(model, data, 100).run(theta, dirs);
    const ev = new NetworkEvaluator(model, data, 'hvp', false);
    const P = model.params;
    for (let i = 0; i < n; i++) {
      const th = theta.subarray(i * P, (i + 1) * P);
      const v = dirs.subarray(i * P, (i + 1) * P);
      const r = ev.run(th, v);
      expect(Math.abs(loss[i] - r.loss) / r.loss).toBeLessThan(1e-5);
      let res = 0;
      for (let q = 0; q < P; q++) res += (r.hv![q] - lambda[i] * v[q]) ** 2;
      expect(Math.sqrt(res) / Math.abs(lambda[i])).toBeLessThan(1e-2);
      const l64 = sharpness(model, data, th, { maxIter: 2000, tol: 1e-10 });
      expect(Math.abs(lambda[i] - l64) / Math.abs(l64)).toBeLessThan(1e-3);
    }
  });
});

describe('the edge-of-stability threshold per network', () => {
  const model = buildModel({ widths: [1, 4, 1] });
  const data = makeDataset('chebyshev', model);
  it('2/eta for gradient descent, 2(1+beta)/eta with momentum, (2+2beta)/((1+2beta) eta) with Nesterov, eta_t under a schedule', () => {
    const gd = buildNetSetup({ model, data, lrLayers: [[0.1, 0.1]] });
    expect(stabilityThreshold(gd, 0, [0, 5])).toEqual([20, 20].map((x) => expect.closeTo(x, 4)));
    const hb = buildNetSetup({ model, data, settings: { momentum: 0.9 }, lrLayers: [[0.1, 0.1]] });
    expect(stabilityThreshold(hb, 0, [0])[0]).toBeCloseTo(38, 4);
    const nag = buildNetSetup({ model, data, settings: { momentum: 0.5, nesterov: 1 }, lrLayers: [[0.1, 0.1]] });
    expect(stabilityThreshold(nag, 0, [0])[0]).toBeCloseTo(15, 4);
    const step = buildNetSetup({
      model,
      data,
      schedule: 'StepLR(step_size=10, gamma=0.5)',
      lrLayers: [
        [0.1, 0.1],
        [0.2, 0.2],
      ],
    });
    expect(stabilityThreshold(step, 1, [9, 10])).toEqual([10, 20].map((x) => expect.closeTo(x, 4)));
    const adam = buildNetSetup({ model, data, optimizer: 'adam', lrLayers: [[0.1, 0.1]] });
    expect(stabilityThreshold(adam, 0, [0])[0]).toBeNaN();
  });
});

describe('the fractal measure in float32 (the GPU kernel reference)', () => {
  it('agrees with the float64 measure on running, converged, diverged and non-finite runs', () => {
    const T = 30;
    const falling = Array.from({ length: T }, (_, t) => 2 * 0.9 ** t);
    const flat = Array.from({ length: T }, (_, t) => 1 + 0.001 * Math.sin(t));
    const rising = Array.from({ length: T }, (_, t) => 0.5 * 1.3 ** t);
    const cases: [number[], number, number][] = [
      [falling, Status.Running, 0],
      [flat, Status.Running, 0],
      [rising, Status.Running, 0],
      [falling, Status.Converged, 12],
      [rising, Status.Diverged, 7],
      [[...rising.slice(0, 4), NaN, ...rising.slice(5)], Status.NonFinite, 4],
    ];
    for (const [row, status, ev] of cases) {
      const a = fractalMeasure32(row, status, ev, T);
      const b = fractalMeasureOfRun(row, status, ev, T);
      expect(a.converged).toBe(b.converged);
      expect(Math.abs(a.value - b.value) / Math.abs(b.value)).toBeLessThan(1e-5);
    }
    expect(fractalMeasure32(flat, Status.Running, 0, T).converged).toBe(flat.slice(-20).reduce((s, x) => s + x / flat[0], 0) / 20 < 1);
  });
});
