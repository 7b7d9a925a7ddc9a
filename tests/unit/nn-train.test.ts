// The CPU reference trainer against an independent float64 implementation written
// here (plain loops, not the engine's programs): the same network, data, per-layer
// learning rates, momentum and schedule give the same loss curve within 1e-3.

import { describe, expect, test } from 'vitest';
import { parseModel } from '../../src/core/nn/model';
import { makeDataset, type Dataset } from '../../src/core/nn/data';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerCpu } from '../../src/core/nn/train';
import { eventStep, particleStatus, particleSteps, Status } from '../../src/core/particles';

/** Two-layer tanh(g z) network, mean-field output (divides by fan_in), no biases: loss and gradient in float64. */
function lossGrad(W1: number[][], W2: number[][], data: Dataset, g: number): { loss: number; g1: number[][]; g2: number[][] } {
  const d = W1.length;
  const H = W2.length;
  const g1 = W1.map((r) => r.map(() => 0));
  const g2 = W2.map((r) => r.map(() => 0));
  let loss = 0;
  for (let p = 0; p < data.n; p++) {
    const x = Array.from(data.x.subarray(p * d, (p + 1) * d));
    const z = Array.from({ length: H }, (_, j) => x.reduce((s, xi, i) => s + xi * W1[i][j], 0) / Math.sqrt(d));
    const h = z.map((v) => Math.tanh(g * v));
    const f = h.reduce((s, hj, j) => s + hj * W2[j][0], 0) / H;
    const e = f - data.y[p];
    loss += e * e;
    const df = (2 * e) / data.n;
    for (let j = 0; j < H; j++) {
      g2[j][0] += (df * h[j]) / H;
      const dz = ((df * W2[j][0]) / H) * g * (1 - h[j] * h[j]);
      for (let i = 0; i < d; i++) g1[i][j] += (dz * x[i]) / Math.sqrt(d);
    }
  }
  return { loss: loss / data.n, g1, g2 };
}

function train64(theta: Float32Array, data: Dataset, g: number, lrs: [number, number], steps: number, momentum: number, lrAt: (t: number) => number): number[] {
  const d = 4;
  const H = 6;
  const W1 = Array.from({ length: d }, (_, i) => Array.from({ length: H }, (_, j) => theta[i * H + j]));
  const W2 = Array.from({ length: H }, (_, j) => [theta[d * H + j]]);
  const b1 = W1.map((r) => r.map(() => 0));
  const b2 = W2.map((r) => r.map(() => 0));
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    const { loss, g1, g2 } = lossGrad(W1, W2, data, g);
    losses.push(loss);
    const upd = (W: number[][], G: number[][], B: number[][], lr: number) =>
      W.forEach((r, i) =>
        r.forEach((_, j) => {
          B[i][j] = t === 0 ? G[i][j] : momentum * B[i][j] + G[i][j]; // PyTorch's SGD buffer
          W[i][j] -= lr * lrAt(t) * B[i][j];
        }),
      );
    upd(W1, g1, b1, lrs[0]);
    upd(W2, g2, b2, lrs[1]);
  }
  return losses;
}

describe('CPU reference trainer = an independent float64 implementation', () => {
  const model = parseModel('mlp:4,6,1:tanh:mean-field:gain=sqrt2');
  const data = makeDataset('teacher', model, { seed: 3 });
  const steps = 60;
  const cases: [string, Record<string, number>, string | undefined, (t: number) => number][] = [
    ['GD', {}, undefined, () => 1],
    ['momentum 0.9', { momentum: 0.9 }, undefined, () => 1],
    ['GD with StepLR(step_size=10, gamma=0.5)', {}, 'StepLR(step_size=10, gamma=0.5)', (t) => 0.5 ** Math.floor(t / 10)],
  ];
  for (const [name, settings, schedule, lrAt] of cases) {
    test(name, () => {
      const lrLayers: [number, number][] = [
        [0.3, 2],
        [1.5, 0.2],
      ];
      const setup = buildNetSetup({ model, data, settings, schedule, lrLayers: lrLayers.map((l) => [...l]), init: { seed: 1 }, config: { history: steps } });
      const cpu = new NetworkTrainerCpu(setup);
      cpu.step(steps);
      lrLayers.forEach((lrs, i) => {
        expect(particleStatus(cpu.state.info, i)).toBe(Status.Running);
        const ref = train64(setup.theta.subarray(i * model.params), data, Math.SQRT2, lrs, steps, settings.momentum ?? 0, lrAt);
        const got = Array.from(cpu.state.history.subarray(i * steps, (i + 1) * steps));
        expect(ref[steps - 1]).toBeLessThan(0.9 * ref[0]); // it trains
        for (let t = 0; t < steps; t++) expect(Math.abs(got[t] - ref[t]) / ref[t]).toBeLessThan(1e-3);
      });
      // The two networks' learning rates differ per layer: so do their curves.
      expect(cpu.state.history[steps - 1]).not.toBe(cpu.state.history[2 * steps - 1]);
    });
  }

  test('a learning rate far past the edge diverges and stops, with the step', () => {
    const setup = buildNetSetup({ model, data, lrLayers: [[1e3, 1e3]], init: { seed: 1 }, config: { history: 50, divergeRatio: 1e3 } });
    const cpu = new NetworkTrainerCpu(setup);
    cpu.step(50);
    expect(particleStatus(cpu.state.info, 0)).toBe(Status.Diverged);
    const stop = eventStep(cpu.state.info, 0);
    expect(stop).toBe(particleSteps(cpu.state.info, 0));
    expect(cpu.state.history[stop]).toBeGreaterThan(1e3 * cpu.state.history[0]);
    for (let t = 0; t < stop; t++) expect(cpu.state.history[t]).toBeLessThanOrEqual(1e3 * cpu.state.history[0]);
  });
});
