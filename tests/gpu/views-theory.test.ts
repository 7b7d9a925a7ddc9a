// Theory read off the views' GPU reductions: the sweep curve's divergence edge at
// 2/lambda_max, period 2 in the bifurcation diagram just past 2/lambda, and the
// catapult's landing sharpness below 2/eta on L(a, b) = 1/2 (ab - 1)^2.

import { describe, expect, test } from 'vitest';
import { clusters, histogramQuantile, particleSharpness, sweepBinLr, sweepBinning, type HistogramSpec } from '../../src/core/analysis/bins';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, type ParticleState, particleStatus } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { GpuReducer } from '../../src/gpu/reduce';
import { gpuDevice } from '../helpers/gpu';

async function gdEngine(surfaceName: string, layout: Layout): Promise<GpuEngine> {
  const surface = resolveSurface(surfaceName);
  const opt = getOptimizer('SGD');
  return GpuEngine.create(await gpuDevice(), { surface, optimizer: opt, particles: buildParticles(layout, opt), config: DEFAULT_RUN_CONFIG });
}

test('sweep curve: the first bin diverging in more than half its runs, interpolated, is within 1% of 2/lambda_max', async () => {
  // A rotated bowl, lambda = 2 and 50 at 30 degrees: 2/lambda_max = 0.04.
  const surface = resolveSurface('quadratic', { lambda1: 2, lambda2: 50, angle: 30 });
  const theory = surface.minima[0].lrLimit;
  expect(theory).toBeCloseTo(0.04, 9);
  const n = 4096;
  const layout = { kind: 'sweep' as const, start: [1, 1] as [number, number], lrMin: theory * 0.8, lrMax: theory * 1.25, n };
  const opt = getOptimizer('SGD');
  const engine = await GpuEngine.create(await gpuDevice(), { surface, optimizer: opt, particles: buildParticles(layout, opt), config: DEFAULT_RUN_CONFIG });
  const binning = sweepBinning(n, 64);
  const histogram: HistogramSpec = { value: 'loss', buckets: 64, lo: -14, hi: 4, log: true };
  const reducer = await GpuReducer.forEngine(engine, { surface, binning, histogram });
  for (let k = 0; k < 8; k++) engine.step(500);
  const summary = await reducer.summary();
  const lr = sweepBinLr(layout, binning);
  const diverged = lr.map((_, b) => (summary.status(b, Status.Diverged) + summary.status(b, Status.NonFinite)) / summary.count(b));
  const first = diverged.findIndex((f) => f > 0.5);
  expect(first).toBeGreaterThan(0);
  // Interpolated (in log lr, between bin centres) to where the fraction crosses 1/2.
  const [l0, l1] = [lr[first - 1]!.lrMid, lr[first]!.lrMid];
  const [f0, f1] = [diverged[first - 1], diverged[first]];
  const edge = Math.exp(Math.log(l0) + ((0.5 - f0) / (f1 - f0)) * (Math.log(l1) - Math.log(l0)));
  console.log(`sweep-curve edge ${edge} vs 2/lambda_max ${theory} (${((edge / theory - 1) * 100).toFixed(3)}%)`);
  expect(Math.abs(edge / theory - 1)).toBeLessThan(0.01);
  // The curve is a step: none diverge well below, all well above.
  lr.forEach((r, b) => {
    if (r!.lrMax < theory * 0.98) expect(diverged[b]).toBe(0);
    if (r!.lrMin > theory * 1.02) expect(diverged[b]).toBe(1);
  });
  // Below the edge every run converged, to a loss near 0 (the bin's median, from its histogram).
  expect(summary.status(0, Status.Converged)).toBe(summary.count(0));
  expect(histogramQuantile(summary.histogram(0), histogram, 0.5)).toBeLessThan(1e-6);
  reducer.destroy();
  engine.destroy();
});

test('bifurcation diagram: one cluster below 2/lambda, exactly two (a 2-cycle) a little above it', async () => {
  // GD on log cosh(x): x -> x - eta tanh(x) flips supercritically at eta = 2/lambda = 2 into
  // a stable 2-cycle +-x*, 2 x* = eta tanh(x*); y (lambda = 1/2) converges up to eta = 4.
  const surfaceName = 'log(cosh(x)) + 0.25*y^2';
  const surface = resolveSurface(surfaceName);
  const lambda = Math.max(...surface.eigenvaluesAt(0, 0));
  expect(lambda).toBeCloseTo(1, 12);
  const n = 2048;
  const layout = { kind: 'sweep' as const, start: [0.5, 0.5] as [number, number], lrMin: 1.5, lrMax: 2.6, n };
  const engine = await gdEngine(surfaceName, layout);
  const binning = sweepBinning(n, 32);
  const histogram: HistogramSpec = { value: 'x', buckets: 200, lo: -2, hi: 2 };
  const reducer = await GpuReducer.forEngine(engine, { surface, binning, histogram });
  engine.step(3000);
  for (let k = 0; k < 32; k++) {
    engine.step(1);
    reducer.accumulate();
  }
  const image = await reducer.density();
  const lr = sweepBinLr(layout, binning);
  const periods = lr.map((_, b) => clusters(image.subarray(b * 200, (b + 1) * 200), { minFraction: 0.01 }).length);
  console.log(`periods per bin: ${periods.join(' ')}`);
  const flip = 2 / lambda;
  let below = 0;
  let above = 0;
  lr.forEach((r, b) => {
    if (r!.lrMax < 0.95 * flip) {
      expect(periods[b], `bin ${b} (lr ${r!.lrMin}..${r!.lrMax})`).toBe(1);
      below++;
    }
    if (r!.lrMin > 1.025 * flip && r!.lrMax < 1.25 * flip) {
      expect(periods[b], `bin ${b} (lr ${r!.lrMin}..${r!.lrMax})`).toBe(2);
      // The two clusters sit at +-x*, 2 x* = eta tanh(x*) (the bin's mid lr).
      const c = clusters(image.subarray(b * 200, (b + 1) * 200), { minFraction: 0.01 });
      const centre = (k: { from: number; to: number }) => -2 + ((k.from + k.to + 1) / 2) * 0.02;
      let xs = 1;
      for (let it = 0; it < 100; it++) xs = (r!.lrMid * Math.tanh(xs)) / 2;
      expect(Math.abs(centre(c[1]) - xs)).toBeLessThan(0.05);
      expect(Math.abs(centre(c[0]) + xs)).toBeLessThan(0.05);
      above++;
    }
  });
  expect(below).toBeGreaterThan(5);
  expect(above).toBeGreaterThan(5);
  reducer.destroy();
  engine.destroy();
});

describe('catapult on L(a, b) = 1/2 (ab - 1)^2', () => {
  // Random starts x lr bands; a run starting where the sharpness a^2 + b^2 (near ab = 1)
  // exceeds 2/eta is thrown out and can only settle where the sharpness is <= 2/eta.
  const layout: Layout = { kind: 'random', domain: [-3, 3, -3, 3], perBand: 128, bands: 24, lrMin: 0.05, lrMax: 0.95, seed: 3 };
  const surface = resolveSurface('two-layer');
  const steps = 3000;

  function check(p: ParticleState, sharp: Float32Array, engine: string): void {
    const start = buildParticles(layout, getOptimizer('SGD'));
    let catapulted = 0;
    let worst = 0;
    for (let i = 0; i < p.n; i++) {
      const lr = p.hyper[i * p.hyperStride];
      const s0 = surface.eigenvaluesAt(start.pos[4 * i], start.pos[4 * i + 1])[1];
      if (s0 <= 2 / lr || particleStatus(p.info, i) !== Status.Converged) continue;
      catapulted++;
      worst = Math.max(worst, (sharp[i] * lr) / 2);
      expect(sharp[i], `${engine}: particle ${i}, lr ${lr}, start sharpness ${s0}`).toBeLessThanOrEqual((2 / lr) * 1.01);
      // On the minimum manifold the top eigenvalue is a^2 + b^2.
      const [a, b] = [p.pos[4 * i], p.pos[4 * i + 1]];
      expect(Math.abs(sharp[i] - (a * a + b * b))).toBeLessThan(1e-3 * (a * a + b * b));
    }
    console.log(`${engine}: ${catapulted} converged runs started with sharpness > 2/lr; largest final sharpness x lr/2 = ${worst}`);
    expect(catapulted).toBeGreaterThan(200);
  }

  test('every converged run that started sharper than 2/eta ends with sharpness <= 2/eta (+1%): GPU engine, GPU sharpness', async () => {
    const engine = await gdEngine('two-layer', layout);
    const reducer = await GpuReducer.forEngine(engine, {
      surface,
      binning: { div: 128, mod: 24 },
      histogram: { value: 'sharpness', buckets: 64, lo: 0, hi: 40 },
      sharpness: true,
    });
    for (let k = 0; k < steps / 500; k++) engine.step(500);
    const [state, sharp] = await Promise.all([engine.read(), reducer.sharpness()]);
    check(state, sharp, 'GPU');
    reducer.destroy();
    engine.destroy();
  });

  test('the same on the CPU reference', async () => {
    const opt = getOptimizer('SGD');
    const cpu = new CpuEngine({ surface, optimizer: opt, particles: buildParticles(layout, opt), config: DEFAULT_RUN_CONFIG });
    cpu.step(steps);
    const state = await cpu.read();
    check(state, particleSharpness(state, surface), 'CPU');
  });
});
