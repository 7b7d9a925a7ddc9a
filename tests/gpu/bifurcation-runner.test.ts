// The bifurcation diagram's own run: GPU and CPU reference give the same density, and
// it shows a fixed point below 2/lambda and a 2-cycle just above it.

import { describe, expect, test } from 'vitest';
import { clusters } from '../../src/core/analysis/bins';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { BifurcationRunner, type BifurcationSpec } from '../../src/gpu/bifurcation-runner';
import { gpuDevice } from '../helpers/gpu';

// lambda = 1 in x at the minimum (sech^2 0); the gradient tanh x is bounded, so GD past
// lr = 2 settles into a stable 2-cycle instead of diverging. y (lambda 0.2) converges.
const surface = resolveSurface('log(cosh(x)) + 0.1*y^2');

function spec(): BifurcationSpec {
  return {
    surface,
    optimizer: getOptimizer('SGD'),
    base: {},
    config: DEFAULT_RUN_CONFIG,
    layout: { kind: 'sweep', start: [1, 0.5], lrMin: 1.5, lrMax: 2.6, n: 256 },
    bins: 64,
    histogram: { value: 'x', buckets: 240, lo: -3, hi: 3 },
    transient: 400,
    record: 16,
  };
}

describe('BifurcationRunner', () => {
  test('GPU and CPU reference give the same density; period 1 below 2/lambda, period 2 above', async () => {
    const handle = await gpuDevice();
    const gpu = await new BifurcationRunner(spec(), { kind: 'gpu', handle }).run(256 * 50);
    const cpu = await new BifurcationRunner(spec(), { kind: 'cpu' }).run(256 * 50);
    expect(Array.from(gpu.density)).toEqual(Array.from(cpu.density));
    // Every particle recorded 16 iterates.
    expect(gpu.density.reduce((a, b) => a + b, 0)).toBe(256 * 16);
    for (let b = 0; b < gpu.bins; b++) {
      const lr = gpu.binLr[b]!;
      const column = gpu.density.subarray(b * gpu.buckets, (b + 1) * gpu.buckets);
      const period = clusters(column).length;
      // Near lr = 2 convergence is slow (multiplier |1 - lr| -> 1): skip a thin band around it.
      if (lr.lrMax < 1.9) expect(period, `bin ${b} lr ${lr.lrMid}`).toBe(1);
      if (lr.lrMin > 2.1) expect(period, `bin ${b} lr ${lr.lrMid}`).toBe(2);
    }
  });
  test('ticks are bounded and progress grows to 1', async () => {
    const r = new BifurcationRunner(spec(), { kind: 'cpu' });
    let last = 0;
    while (!r.finished) {
      r.tick(256 * 10);
      await Promise.resolve();
      await new Promise((res) => setTimeout(res, 0));
      expect(r.progress).toBeGreaterThanOrEqual(last);
      last = r.progress;
    }
    expect(last).toBe(1);
  });
  test('bad settings are refused with the setting named', () => {
    expect(() => new BifurcationRunner({ ...spec(), record: -1 }, { kind: 'cpu' })).toThrow(/record/);
    expect(() => new BifurcationRunner({ ...spec(), bins: 1000 }, { kind: 'cpu' })).toThrow(/bins/);
  });
});
