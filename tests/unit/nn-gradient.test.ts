// The gradient a network's optimizer sees (core/nn/gradient.ts) on the CPU reference,
// one SGD step at a time, against the transforms written out here in float64 on the
// network's float64 gradient (NetworkEvaluator, checked against finite differences in
// nn-derivatives.test.ts): real minibatches, SAM, gradient noise, clipping by global
// norm (a property: the update's norm is at most eta * C) and by value.

import { describe, expect, test } from 'vitest';
import { parseModel } from '../../src/core/nn/model';
import { makeDataset, type Dataset } from '../../src/core/nn/data';
import { NetworkEvaluator } from '../../src/core/nn/network';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerCpu, type NetTrainConfig } from '../../src/core/nn/train';
import { hash3 } from '../../src/core/random';
import { minibatchIndex } from '../../src/core/surfaces/dataset';

const model = parseModel('mlp:3,5,1:tanh:mean-field:gain=sqrt2');
const data = makeDataset('teacher', model, { seed: 4, multiple: 2 });
const P = model.params;
const eval64 = new NetworkEvaluator(model, data, 'gradient', false);

function subset(d: Dataset, idx: number[]): Dataset {
  const x = new Float32Array(idx.length * d.d);
  const y = new Float32Array(idx.length * d.o);
  idx.forEach((j, k) => {
    x.set(d.x.subarray(j * d.d, (j + 1) * d.d), k * d.d);
    y.set(d.y.subarray(j * d.o, (j + 1) * d.o), k * d.o);
  });
  return { ...d, n: idx.length, x, y };
}

const grad64 = (theta: ArrayLike<number>, d?: Dataset): number[] =>
  Array.from((d ? new NetworkEvaluator(model, d, 'gradient', false) : eval64).run(theta).grad!);
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** One SGD step (lr per network) of `n` networks from one shared draw; returns theta before and after, and the trainer. */
function oneStep(lrs: number[], config: Partial<NetTrainConfig>) {
  const setup = buildNetSetup({ model, data, lrLayers: lrs.map((lr) => [lr, lr]), init: { seed: 2 }, config: { history: 2, ...config } });
  const cpu = new NetworkTrainerCpu(setup);
  cpu.step(1);
  const at = (th: Float32Array, i: number) => Array.from(th.subarray(i * P, (i + 1) * P));
  return { before: (i: number) => at(setup.theta, i), after: (i: number) => at(cpu.state.theta, i), cpu };
}

/** max |a - b| / max |b|: float32 engine against float64 reference. */
function rel(a: number[], b: number[]): number {
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, k) => Math.abs(v - b[k]))) / scale;
}

describe('network gradient transforms (CPU reference)', () => {
  test('real minibatches: each network steps on its own draw of B points; the loss reported is full batch', () => {
    const B = 5;
    const lr = 0.2;
    const seed = 11;
    const { before, after, cpu } = oneStep([lr, lr, lr], { batch: B, seed });
    const th0 = before(0);
    for (let i = 0; i < 3; i++) {
      const idx = Array.from({ length: B }, (_, k) => minibatchIndex(seed, i, 0, k, B, data.n));
      const g = grad64(th0, subset(data, idx));
      const step = after(i).map((v, q) => th0[q] - v);
      expect(
        rel(
          step,
          g.map((x) => lr * x),
        ),
      ).toBeLessThan(1e-5);
    }
    // Same start and lr: only the draws tell the networks apart.
    expect(after(0)).not.toEqual(after(1));
    // The recorded loss L_0 is the full-batch loss.
    expect(Math.abs(cpu.state.history[0] - eval64.run(th0).loss) / eval64.run(th0).loss).toBeLessThan(1e-5);
  });

  test('SAM: the gradient at theta + rho g/|g|', () => {
    const lr = 0.3;
    const rho = 0.05;
    const { before, after } = oneStep([lr], { samRho: rho });
    const th0 = before(0);
    const g = grad64(th0);
    const gn = norm(g);
    const g2 = grad64(th0.map((v, q) => v + (rho * g[q]) / gn));
    const step = after(0).map((v, q) => th0[q] - v);
    expect(
      rel(
        step,
        g2.map((x) => lr * x),
      ),
    ).toBeLessThan(1e-5);
    expect(rel(g2, g)).toBeGreaterThan(1e-3); // the perturbation matters here
  });

  test('gradient noise: Box-Muller normals from the counters (step * pairs + r) * 2 and + 1, scaled by sigma / sqrt(B)', () => {
    const lr = 0.1;
    const sigma = 0.3;
    const seed = 7;
    const B = 4;
    const { before, after } = oneStep([lr, lr], { noise: sigma, seed, batch: B });
    const pairs = Math.ceil(P / 2);
    const th0 = before(0);
    for (let i = 0; i < 2; i++) {
      const z: number[] = [];
      for (let r = 0; r < pairs; r++) {
        const u1 = ((hash3(seed, i, 2 * r) >>> 8) + 1) / 2 ** 24;
        const u2 = (hash3(seed, i, 2 * r + 1) >>> 8) / 2 ** 24;
        const rad = Math.sqrt(-2 * Math.log(u1));
        z.push(rad * Math.cos(2 * Math.PI * u2), rad * Math.sin(2 * Math.PI * u2));
      }
      const idx = Array.from({ length: B }, (_, k) => minibatchIndex(seed, i, 0, k, B, data.n));
      const g = grad64(th0, subset(data, idx)).map((v, q) => v + (sigma / Math.sqrt(B)) * z[q]);
      const step = after(i).map((v, q) => th0[q] - v);
      expect(
        rel(
          step,
          g.map((x) => lr * x),
        ),
      ).toBeLessThan(1e-5);
    }
  });

  test('clipping by global norm: every update has norm <= eta C, and exactly eta C where the gradient is larger', () => {
    // Steps large against theta's float32 spacing, so the measured update is the update.
    const C = 0.01;
    const lrs = [1, 10, 100];
    const { before, after } = oneStep(lrs, { clipNorm: C, noise: 1, seed: 3 });
    const gRaw = norm(grad64(before(0)));
    expect(gRaw).toBeGreaterThan(C); // the clip binds
    lrs.forEach((lr, i) => {
      const step = after(i).map((v, q) => before(i)[q] - v);
      expect(norm(step)).toBeLessThanOrEqual(lr * C * (1 + 1e-4));
      expect(norm(step)).toBeGreaterThan(lr * C * (1 - 1e-4));
    });
    // A bound above the gradient's norm leaves the step alone.
    const loose = oneStep([0.5], { clipNorm: 1e3 });
    const g = grad64(loose.before(0));
    expect(
      rel(
        loose.before(0).map((v, q) => v - loose.after(0)[q]),
        g.map((x) => 0.5 * x),
      ),
    ).toBeLessThan(1e-5);
  });

  test('clipping by value: each component of the gradient clamped to [-V, V]', () => {
    const V = 0.01;
    const lr = 5;
    const { before, after } = oneStep([lr], { clipValue: V });
    const g = grad64(before(0));
    expect(g.some((x) => Math.abs(x) > V) && g.some((x) => Math.abs(x) < V)).toBe(true);
    const step = after(0).map((v, q) => before(0)[q] - v);
    expect(
      rel(
        step,
        g.map((x) => lr * Math.min(V, Math.max(-V, x))),
      ),
    ).toBeLessThan(1e-5);
  });

  test('bad settings are refused', () => {
    expect(() => oneStep([0.1], { batch: data.n + 1 })).toThrow(/batch_size/);
    expect(() => oneStep([0.1], { clipNorm: -1 })).toThrow(/clipNorm/);
    expect(() => oneStep([0.1], { batch: 1.5 })).toThrow(/batch_size/);
  });
});
