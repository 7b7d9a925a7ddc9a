// Theory read off GPU maps: the heavy-ball stability boundary 2(1+beta)/lambda_max on an
// lr x momentum map, and basins of the sharp-vs-flat double well on a grid of starts.

import { describe, expect, test } from 'vitest';
import { boundaryAlong, mapFractions } from '../../src/core/analysis/map';
import { axisValue } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, minimumIndex, particleStatus } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { MapRunner, type ProductLayout } from '../../src/gpu/map-runner';
import { gpuDevice } from '../helpers/gpu';

async function runGpuMap(surface: ReturnType<typeof resolveSurface>, layout: ProductLayout, steps: number, base: Record<string, number> = {}) {
  const runner = new MapRunner(
    { surface, optimizer: getOptimizer('SGD'), base, config: DEFAULT_RUN_CONFIG, layout, steps, coloring: 'basin', coarse: 0 },
    { kind: 'gpu', handle: await gpuDevice() },
    { keepParticles: true, maxStepsPerDispatch: 500 },
  );
  const image = await runner.run();
  runner.destroy();
  return image.particles!;
}

describe('heavy-ball map (quadratic, lambda_max = 50)', () => {
  test('per momentum row, the converged/diverged boundary in lr is within 2% of 2(1+beta)/lambda_max', async () => {
    const lambda = 50;
    const surface = resolveSurface('quadratic', { lambda1: 2, lambda2: lambda, angle: 30 });
    const x = { param: 'lr', min: 1.6 / lambda, max: 4.4 / lambda, n: 256, scale: 'log' as const };
    const y = { param: 'momentum', min: 0, max: 0.9, n: 10 };
    const p = await runGpuMap(surface, { kind: 'product', start: [1, 1], x, y }, 3000);
    for (let iy = 0; iy < y.n; iy++) {
      const beta = axisValue(y.min, y.max, y.n, iy);
      const theory = (2 * (1 + beta)) / lambda;
      const line = boundaryAlong(p.info, x.n, y.n, 'x', iy);
      const converged = axisValue(x.min, x.max, x.n, line.lastConverged, 'log');
      const diverged = axisValue(x.min, x.max, x.n, line.firstDiverged, 'log');
      console.log(
        `beta ${beta.toFixed(2)}: largest converged lr ${converged.toPrecision(5)}, smallest diverged ${diverged.toPrecision(5)}, theory ${theory.toPrecision(5)}`,
      );
      expect(line.lastConverged).toBeGreaterThanOrEqual(0);
      expect(line.firstDiverged).toBeGreaterThan(line.lastConverged);
      expect(Math.abs(converged / theory - 1)).toBeLessThan(0.02);
      expect(Math.abs(diverged / theory - 1)).toBeLessThan(0.02);
      // every run left of the boundary converged
      for (let ix = 0; ix <= line.lastConverged; ix++) expect(particleStatus(p.info, iy * x.n + ix)).toBe(Status.Converged);
    }
  });
});

describe('basins of the double well (sharp at x = -1, lambda_max 44.6; flat at x = 1.15)', () => {
  const surface = resolveSurface('double-well');
  const sharp = surface.minima.findIndex((m) => m.name === 'sharp');
  const flat = surface.minima.findIndex((m) => m.name === 'flat');
  const limit = surface.minima[sharp].lrLimit;

  test('at a small lr every start ends in the minimum of its own side', async () => {
    const x = { param: 'x0', min: -1.4, max: 2, n: 69 };
    const y = { param: 'y0', min: -0.3, max: 0.3, n: 7 };
    const p = await runGpuMap(surface, { kind: 'product', start: [0, 0], x, y }, 4000, { lr: 0.2 * limit });
    let checked = 0;
    for (let iy = 0; iy < y.n; iy++) {
      for (let ix = 0; ix < x.n; ix++) {
        const x0 = axisValue(x.min, x.max, x.n, ix);
        const y0 = axisValue(y.min, y.max, y.n, iy);
        const i = iy * x.n + ix;
        const nearSharp = Math.hypot(x0 - surface.minima[sharp].x, y0) < 0.15;
        const nearFlat = Math.hypot(x0 - surface.minima[flat].x, y0) < 0.6;
        if (!nearSharp && !nearFlat) continue;
        expect(particleStatus(p.info, i)).toBe(Status.Converged);
        expect(minimumIndex(p.info, i)).toBe(nearSharp ? sharp : flat);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test('the fraction of starts reaching the sharp minimum drops as lr passes 2/lambda_max there; at 3.4x they land in the flat basin', async () => {
    const x = { param: 'x0', min: -1.12, max: -0.88, n: 16 };
    const y = { param: 'y0', min: -0.12, max: 0.12, n: 16 };
    const fractions: number[] = [];
    let flatFraction = 0;
    for (const f of [0.5, 0.9, 1.1, 1.5, 3.4]) {
      const p = await runGpuMap(surface, { kind: 'product', start: [0, 0], x, y }, 4000, { lr: f * limit });
      const fr = mapFractions(p.info, p.n, surface.minima.length);
      console.log(
        `lr ${(f * limit).toPrecision(4)} (${f} x 2/lambda): sharp ${fr.minima[sharp]}, flat ${fr.minima[flat]}, running ${fr.running}, diverged ${fr.diverged + fr.nonfinite}`,
      );
      fractions.push(fr.minima[sharp]);
      flatFraction = fr.minima[flat];
    }
    expect(fractions[0]).toBeGreaterThan(0.95);
    expect(fractions[1]).toBeGreaterThan(0.95);
    expect(fractions[2]).toBeLessThan(0.05);
    expect(fractions[3]).toBe(0);
    expect(fractions[4]).toBe(0);
    // just past the limit they orbit the sharp well (still running); well past it they escape
    expect(flatFraction).toBeGreaterThan(0.95);
  });
});
