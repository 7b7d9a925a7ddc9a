// The df64 surface-map kernel (shaders/surface-df64.ts) against its CPU reference
// (CpuEngineDF64): gradient descent on the two-layer net at learning rates 4e-10 apart
// around its convergence boundary (float32 cannot tell them apart), heavy ball and RMSprop
// on Rosenbrock, Adam on Rastrigin (df64's cos and pow; each map 24 x 2 pixels; RMSprop's lrs kept below 1e-2, where its runs
// are not chaotic: at lr ~ 1 a last-bit difference grows into another trajectory). Division
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
    ['SGD on the two-layer net, 1e-8 of the rate around its boundary', 'two-layer', 0.59636733, 0.59636734, 'sgd', 'momentum', 0, 0.01],
    ['SGD on Rosenbrock, a wide window', 'rosenbrock', 1e-4, 4e-3, 'sgd', 'momentum', 0.5, 0.6],
    ['RMSprop on Rosenbrock (division, square root)', 'rosenbrock', 1e-4, 1e-2, 'rmsprop', 'alpha', 0.5, 0.99],
    ['Adam on Rastrigin (cos, and pow for the bias corrections)', 'rastrigin', 1e-3, 3e-2, 'adam', 'beta1', 0.5, 0.9],
  ])('the CPU reference: %s', async (_, name, lo, hi, optimizer, yParam, y0, y1) => {
    const surface = resolveSurface(name);
    const start: [number, number] = name === 'two-layer' ? [2.5, 0.1] : [-1.5, 2];
    const layout: ProductLayout = {
      kind: 'product',
      start,
      x: { param: 'lr', min: lo, max: hi, n: 24, scale: 'log' },
      y: { param: yParam, min: y0, max: y1, n: 2 },
    };
    const setup = surfaceSetupDF64(surface, getOptimizer(optimizer), DEFAULT_RUN_CONFIG, layout, {});
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
