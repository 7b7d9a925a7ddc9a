// The network loop programs' gradient and exact Hessian-vector product against float64
// central finite differences of the loss, for every activation x parameterisation x
// loss (and with biases); and the float32 reference against the float64 interpretation.

import { describe, expect, test } from 'vitest';
import { ACTIVATIONS, buildModel, PARAMETERIZATIONS, type Activation, type Model } from '../../src/core/nn/model';
import { makeDataset, type Dataset } from '../../src/core/nn/data';
import { initialTheta, NetworkEvaluator } from '../../src/core/nn/network';

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function check(model: Model, data: Dataset, seed: number) {
  const theta = Array.from(initialTheta(model, 1, { seed, scale: 0.8 }));
  // Biases start at zero: give them values too, so their derivatives are exercised off zero.
  model.layers.forEach((ly) => {
    if (ly.b >= 0) for (let j = 0; j < ly.fanOut; j++) theta[ly.b + j] = 0.3 * Math.sin(j + 1);
  });
  const dir = theta.map((_, q) => Math.cos(1.7 * q + seed));
  const loss64 = new NetworkEvaluator(model, data, 'loss', false);
  const f = (t: number[]) => loss64.run(t).loss;
  const hvp64 = new NetworkEvaluator(model, data, 'hvp', false).run(theta, dir);
  const h = 1e-5;
  const fdGrad = theta.map((_, q) => {
    const tp = theta.slice();
    tp[q] += h;
    const tm = theta.slice();
    tm[q] -= h;
    return (f(tp) - f(tm)) / (2 * h);
  });
  const grad64 = new NetworkEvaluator(model, data, 'gradient', false);
  const g = (t: number[]) => grad64.run(t).grad!;
  const gp = g(theta.map((v, q) => v + h * dir[q]));
  const gm = g(theta.map((v, q) => v - h * dir[q]));
  const fdHv = Array.from(gp, (v, q) => (v - gm[q]) / (2 * h));
  const f32 = new NetworkEvaluator(model, data, 'hvp', true).run(theta, dir);
  return {
    loss: [hvp64.loss, f(theta)],
    grad: relErr(hvp64.grad!, fdGrad),
    hv: relErr(hvp64.hv!, fdHv),
    loss32: Math.abs(f32.loss - hvp64.loss) / Math.abs(hvp64.loss),
    grad32: relErr(f32.grad!, hvp64.grad!),
    hv32: relErr(f32.hv!, hvp64.hv!),
    hvNorm: Math.hypot(...hvp64.hv!),
  };
}

describe('gradient and Hessian-vector product vs float64 finite differences', () => {
  const acts = Object.keys(ACTIVATIONS) as Activation[];
  for (const activation of acts) {
    for (const parameterization of PARAMETERIZATIONS) {
      for (const variant of ['mse', 'mse+bias', 'softmax-ce'] as const) {
        test(`${activation} ${parameterization} ${variant}`, () => {
          const ce = variant === 'softmax-ce';
          const model = buildModel({
            widths: ce ? [2, 5, 4, 3] : [3, 6, 5, 2],
            activation,
            parameterization,
            bias: variant !== 'mse',
            loss: ce ? 'softmax-ce' : 'mse',
            gain: 1.3,
          });
          const data = makeDataset('teacher', model, { seed: 7, points: 9 });
          if (ce) {
            // One-hot targets for the classifier.
            for (let p = 0; p < data.n; p++) for (let o = 0; o < 3; o++) data.y[3 * p + o] = o === p % 3 ? 1 : 0;
          }
          const r = check(model, data, 3);
          expect(r.loss[0]).toBe(r.loss[1]); // the gradient routine's loss is the loss routine's
          expect(r.grad).toBeLessThan(1e-7);
          // relu's second derivative is zero, so H v holds only the Gauss-Newton-like terms; still exact.
          expect(r.hv).toBeLessThan(activation === 'relu' ? 1e-6 : 1e-6);
          expect(r.hvNorm).toBeGreaterThan(1e-3);
          expect(r.loss32).toBeLessThan(1e-5);
          expect(r.grad32).toBeLessThan(1e-4);
          expect(r.hv32).toBeLessThan(1e-4);
        });
      }
    }
  }
});
