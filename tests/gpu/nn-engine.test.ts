// The network engine on the GPU against the float32 CPU reference: loss trajectories of
// stable runs within 1e-4 relative over 200 steps, and the fractions of converged /
// diverged networks across a chaotic learning-rate range.

import { describe, expect, test } from 'vitest';
import { buildModel, type ModelSpec } from '../../src/core/nn/model';
import { makeDataset } from '../../src/core/nn/data';
import { buildNetSetup, fractalMeasureOfRun } from '../../src/core/nn/setup';
import { NetworkTrainerCpu, type NetSetup, type NetState } from '../../src/core/nn/train';
import { eventStep, particleStatus, particleSteps, Status } from '../../src/core/particles';
import { NetworkEngine, type NetworkLayout } from '../../src/gpu/network-engine';
import { gpuDevice } from '../helpers/gpu';

async function runBoth(setup: NetSetup, steps: number, perDispatch: number, layout: NetworkLayout = 'thread'): Promise<{ cpu: NetState; gpu: NetState }> {
  const gpu = await NetworkEngine.create(await gpuDevice(), setup, layout);
  const cpu = new NetworkTrainerCpu(setup);
  for (let s = 0; s < steps; s += perDispatch) {
    gpu.step(Math.min(perDispatch, steps - s));
    cpu.step(Math.min(perDispatch, steps - s));
  }
  const g = await gpu.read();
  gpu.destroy();
  return { cpu: cpu.state, gpu: g };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-30));
  return m;
}

describe('GPU network engine = CPU reference', () => {
  const cases: [string, Partial<ModelSpec> & { widths: number[] }, string, Record<string, number>, string?][] = [
    [
      'tanh mean-field GD (the fractal setup, narrower)',
      { widths: [4, 4, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 },
      'sgd',
      {},
    ],
    ['relu standard with biases, momentum', { widths: [3, 5, 2], activation: 'relu', parameterization: 'standard', bias: true }, 'sgd', { momentum: 0.9 }],
    ['gelu, Adam', { widths: [2, 4, 3, 1], activation: 'gelu', parameterization: 'standard' }, 'adam', {}],
    ['sigmoid softmax-ce on two moons', { widths: [2, 6, 2], activation: 'sigmoid', parameterization: 'standard', bias: true, loss: 'softmax-ce' }, 'sgd', {}],
    // A schedule that reads the whole network's gradient norm.
    [
      'linear, GD with GradNormBrake',
      { widths: [3, 4, 1], activation: 'linear', parameterization: 'standard' },
      'sgd',
      {},
      'GradNormBrake(factor=0.5, ratio=1.05, window=3)',
    ],
  ];
  const runs = [...cases.map((c) => [c, 'thread'] as const), [cases[0], 'workgroup'] as const, [cases[2], 'workgroup'] as const];
  for (const [[name, spec, opt, settings, schedule], layout] of runs) {
    test(`${name}, ${layout} layout: loss trajectories within 1e-4 over 200 steps`, async () => {
      const model = buildModel(spec);
      const data =
        spec.loss === 'softmax-ce' ? makeDataset('two-moons', model, { seed: 1, points: 24, noise: 0.1 }) : makeDataset('teacher', model, { seed: 2 });
      const L = model.layers.length;
      // With the brake, lr near the edge: without it, the fastest network diverges (checked below).
      const base = opt === 'adam' ? 0.003 : schedule ? 0.8 : 0.05;
      const lrLayers = Array.from({ length: 6 }, (_, i) => Array.from({ length: L }, (_, l) => base * (1 + 0.3 * i + 0.1 * l)));
      const setup = buildNetSetup({ model, data, optimizer: opt, settings, schedule, lrLayers, init: { seed: 5, perNetwork: true }, config: { history: 200 } });
      const { cpu, gpu } = await runBoth(setup, 200, 64, layout);
      if (schedule) {
        const plain = new NetworkTrainerCpu(
          buildNetSetup({ model, data, optimizer: opt, settings, lrLayers, init: { seed: 5, perNetwork: true }, config: { history: 200 } }),
        );
        plain.step(200);
        expect(Array.from({ length: setup.n }, (_, i) => particleStatus(plain.state.info, i))).toContain(Status.Diverged);
      }
      // Every network ran all 200 steps, and its loss fell (a real training run).
      for (let i = 0; i < setup.n; i++) {
        expect(particleStatus(cpu.info, i)).toBe(Status.Running);
        expect(particleSteps(cpu.info, i)).toBe(200);
        expect(cpu.history[i * 200 + 199]).toBeLessThan(cpu.history[i * 200]);
      }
      expect(Array.from(gpu.info)).toEqual(Array.from(cpu.info));
      expect(maxRel(gpu.history, cpu.history)).toBeLessThan(1e-4);
      expect(maxRel(gpu.losses, cpu.losses)).toBeLessThan(1e-4);
    });
  }

  // A row of a momentum x lr map: momentum per network (read from the hyper row, not
  // compiled in). tests/unit/nn-axes.test.ts checks that a pixel equals the run with that
  // momentum shared. (Thread layout only: compiling the workgroup kernel takes SwiftShader
  // over 10 s; it reads the hyper row through the same update code.)
  test('a momentum x lr map row (momentum per network): = the CPU reference within 1e-4', async () => {
    const model = buildModel({ widths: [3, 4, 1], activation: 'tanh', parameterization: 'standard' });
    const data = makeDataset('teacher', model, { seed: 4 });
    const momentum = [0, 0.3, 0.6, 0.9, 0, 0.3, 0.6, 0.9];
    const lrLayers = momentum.map((_, i) => [i < 4 ? 0.2 : 0.05, i < 4 ? 0.2 : 0.05]);
    const setup = buildNetSetup({ model, data, lrLayers, perNetwork: { momentum }, init: { seed: 3 }, config: { history: 100 } });
    const { cpu, gpu } = await runBoth(setup, 100, 50);
    expect(Array.from(gpu.info)).toEqual(Array.from(cpu.info));
    expect(maxRel(gpu.history, cpu.history)).toBeLessThan(1e-4);
    expect(maxRel(gpu.losses, cpu.losses)).toBeLessThan(1e-4);
    // The momentum changes the outcome along the row.
    expect(new Set(Array.from({ length: 4 }, (_, i) => cpu.losses[2 * i + 1])).size).toBe(4);
  });

  test('status fractions and the fractal measure across a chaotic lr_layer0 x lr_layer1 range', async () => {
    const model = buildModel({ widths: [4, 4, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 });
    const data = makeDataset('teacher', model, { seed: 0 });
    const res = 12;
    const lrs = Array.from({ length: res }, (_, k) => 10 ** (-0.5 + (2.5 * k) / (res - 1)));
    const lrLayers = lrs.flatMap((a) => lrs.map((b) => [a, b]));
    const steps = 100;
    const setup = buildNetSetup({ model, data, lrLayers, init: { seed: 0 }, config: { history: steps } });
    const { cpu, gpu } = await runBoth(setup, steps, 50);
    const fractions = (s: NetState, row: number) => {
      const c = [0, 0, 0, 0];
      for (let j = 0; j < res; j++) c[particleStatus(s.info, row * res + j)]++;
      return c.map((v) => v / res);
    };
    const measured = (s: NetState) =>
      Array.from(
        { length: setup.n },
        (_, i) => fractalMeasureOfRun(s.history.subarray(i * steps), particleStatus(s.info, i), eventStep(s.info, i), steps).converged,
      );
    const mc = measured(cpu);
    const mg = measured(gpu);
    // Both regimes are present (the range crosses the boundary) ...
    expect(mc.some(Boolean)).toBe(true);
    expect(mc.some((c) => !c)).toBe(true);
    // ... and per map row the engines agree on the fractions (chaotic runs may flip single cells).
    for (let row = 0; row < res; row++) {
      const fc = fractions(cpu, row);
      const fg = fractions(gpu, row);
      for (let k = 0; k < 4; k++) expect(Math.abs(fc[k] - fg[k])).toBeLessThanOrEqual(2 / res);
    }
    const agree = mc.filter((c, i) => c === mg[i]).length / mc.length;
    expect(agree).toBeGreaterThan(0.9);
  });
});
