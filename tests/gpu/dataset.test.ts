// Dataset surfaces: least squares on generated data, each step a
// real minibatch per particle. GPU vs CPU, the full-batch surface, and the minibatch
// gradient: unbiased, with variance proportional to 1/B (scene 10).

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { minibatchIndex, TRUE_WEIGHTS } from '../../src/core/surfaces/dataset';
import { GpuEngine } from '../../src/gpu/engine';
import { gpuDevice, maxRelativeDiff, runBoth } from '../helpers/gpu';

const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

describe('the full-batch surface', () => {
  test('is the mean of the per-sample losses; least squares has the normal-equations minimum', () => {
    for (const kind of ['least-squares']) {
      const s = resolveSurface(kind, { points: 64 });
      const d = s.dataset!;
      expect(d.points.length).toBe(4 * 64);
      for (const [x, y] of [
        [0, 0],
        [1, -1],
        [-0.5, 2],
      ]) {
        let sum = 0;
        for (let i = 0; i < 64; i++) {
          const [a, b, t] = [d.points[4 * i], d.points[4 * i + 1], d.points[4 * i + 2]];
          const z = x * a + y * b;
          sum += kind === 'least-squares' ? 0.5 * (z - t) ** 2 : softplus(-t * z);
        }
        expect(s.evaluate(x, y).loss).toBeCloseTo(sum / 64, 10);
      }
    }
    const s = resolveSurface('least-squares', { points: 200, noise: 0.1 });
    const p = s.dataset!.points;
    let saa = 0,
      sab = 0,
      sbb = 0,
      sat = 0,
      sbt = 0;
    for (let i = 0; i < 200; i++) {
      const [a, b, t] = [p[4 * i], p[4 * i + 1], p[4 * i + 2]];
      saa += a * a;
      sab += a * b;
      sbb += b * b;
      sat += a * t;
      sbt += b * t;
    }
    const det = saa * sbb - sab * sab;
    const w = [(sbb * sat - sab * sbt) / det, (saa * sbt - sab * sat) / det];
    expect(s.minima[0].x).toBeCloseTo(w[0], 9);
    expect(s.minima[0].y).toBeCloseTo(w[1], 9);
    // Close to the weights the data came from (noise 0.1).
    expect(Math.hypot(w[0] - TRUE_WEIGHTS[0], w[1] - TRUE_WEIGHTS[1])).toBeLessThan(0.1);
    // The same data for the same seed; other data for another.
    expect(Array.from(resolveSurface('least-squares', { dataSeed: 3 }).dataset!.points)).toEqual(
      Array.from(resolveSurface('least-squares', { dataSeed: 3 }).dataset!.points),
    );
    expect(Array.from(resolveSurface('least-squares', { dataSeed: 4 }).dataset!.points)).not.toEqual(
      Array.from(resolveSurface('least-squares', { dataSeed: 3 }).dataset!.points),
    );
  });
});

describe('minibatches on both engines', () => {
  for (const kind of ['least-squares']) {
    test(`${kind}: SGD with momentum and Adam, B = 4: GPU equals CPU (the same draws)`, async () => {
      const s = resolveSurface(kind);
      const layout = { kind: 'sweep' as const, start: s.spec.defaultStart, lrMin: 0.003, lrMax: 0.3, n: 96 };
      for (const [opt, hyper] of [
        ['SGD', { momentum: 0.9 }],
        ['Adam', {}],
      ] as const) {
        const r = await runBoth(s, opt, layout, { hyper, steps: 120, perDispatch: 40, config: { batchSize: 4, seed: 5 } });
        expect(Array.from(r.gpu.info)).toEqual(Array.from(r.cpu.info));
        expect(maxRelativeDiff(r.gpu, r.cpu).diff).toBeLessThan(1e-5);
      }
    });
  }

  test('the minibatch gradient is unbiased and its variance scales as 1/B', async () => {
    const s = resolveSurface('least-squares', { points: 256 });
    const start: [number, number] = [-1, 1];
    const full = s.evaluate(...start);
    const n = 20000;
    const variance: number[] = [];
    for (const B of [1, 16]) {
      const opt = getOptimizer('SGD');
      const particles = buildParticles({ kind: 'sweep', start, lrMin: 1, lrMax: 1, n }, opt);
      const setup = { surface: s, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, batchSize: B, seed: 2, gtol: 0 } };
      const gpu = await GpuEngine.create(await gpuDevice(), setup);
      gpu.step(1);
      const p = await gpu.read();
      gpu.destroy();
      // lr 1: the displacement is minus the minibatch gradient.
      const gx = Array.from({ length: n }, (_, i) => start[0] - p.pos[4 * i]);
      const mean = gx.reduce((a, v) => a + v, 0) / n;
      const v = gx.reduce((a, g) => a + (g - mean) ** 2, 0) / (n - 1);
      expect(Math.abs(mean - full.gx)).toBeLessThan(4 * Math.sqrt(v / n));
      variance.push(v);
      expect(Array.from(p.info.filter((_, k) => k % 4 === 0)).every((st) => st === Status.Running)).toBe(true);
    }
    // Drawn with replacement: exactly 1/B.
    expect(Math.abs(variance[0] / variance[1] / 16 - 1)).toBeLessThan(0.06);
  });

  test('draws are per particle and per step: the index stream differs between them, and is in range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) for (let t = 0; t < 4; t++) seen.add(minibatchIndex(1, i, t, 0, 1, 1000));
    expect(seen.size).toBeGreaterThan(12);
    for (let k = 0; k < 1000; k++) expect(minibatchIndex(9, k, 3, 2, 8, 37)).toBeLessThan(37);
  });

  test('SAM on a dataset surface is refused with a message', () => {
    const s = resolveSurface('least-squares');
    const opt = getOptimizer('SGD');
    const particles = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: 0.1, lrMax: 0.1, n: 1 }, opt);
    expect(() => new CpuEngine({ surface: s, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, samRho: 0.1 } })).toThrow(/SAM on a dataset surface/);
  });
});
