// The df64 surface-map kernel (shaders/surface-df64.ts) against its CPU reference
// (CpuEngineDF64): a row of a heavy-ball map on Rosenbrock, learning rates 1e-9 apart
// around a boundary (float32 cannot tell them apart), and a row of a wide window. Division
// is not correctly rounded on every GPU (SwiftShader's differs in the last bit), so
// statuses and event steps must be identical and the loss agree to df64's precision.

import { describe, expect, test } from 'vitest';
import { CpuEngineDF64 } from '../../src/core/engine/cpu-df64';
import { surfaceSetupDF64 } from '../../src/core/engine/surface-df64';
import type { ProductLayout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { GpuEngineDF64 } from '../../src/gpu/surface-engine-df64';
import { gpuDevice } from '../helpers/gpu';

const STEPS = 240;

describe('df64 surface maps on the GPU', () => {
  test.each([
    ['a deep window (1e-9 wide)', 2.65e-3, 2.65e-3 * (1 + 1e-9)],
    ['a wide window', 1e-4, 4e-3],
  ])('the CPU reference: %s', async (_, lo, hi) => {
    const surface = resolveSurface('rosenbrock');
    const layout: ProductLayout = {
      kind: 'product',
      start: [-1.5, 2],
      x: { param: 'lr', min: lo, max: hi, n: 24 },
      y: { param: 'momentum', min: 0.5, max: 0.6, n: 2 },
    };
    const setup = surfaceSetupDF64(surface, getOptimizer('sgd'), DEFAULT_RUN_CONFIG, layout, {});
    const cpu = new CpuEngineDF64(setup);
    const gpu = await GpuEngineDF64.create(await gpuDevice(), setup);
    cpu.step(STEPS);
    gpu.step(STEPS / 2);
    gpu.step(STEPS / 2);
    const g = await gpu.read();
    gpu.destroy();
    const c = cpu.read();
    expect(Array.from(g.info)).toEqual(Array.from(c.info));
    let worst = 0;
    for (let i = 0; i < c.n; i++) {
      const [lg, lc] = [g.losses[4 * i] + g.losses[4 * i + 1], c.losses[4 * i] + c.losses[4 * i + 1]];
      if (Number.isFinite(lc)) worst = Math.max(worst, Math.abs(lg - lc) / Math.max(1e-30, Math.abs(lc)));
      else expect(Number.isFinite(lg)).toBe(false);
    }
    const statuses = new Set(Array.from({ length: c.n }, (_, i) => c.info[4 * i]));
    console.log(`df64 surface map, GPU vs CPU: statuses ${[...statuses].join(',')}, loss within ${worst.toExponential(2)} relative`);
    expect(worst).toBeLessThan(1e-9);
  });
});
