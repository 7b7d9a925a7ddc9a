// Theory read off the traces, on the GPU: (a) the LR range test on a quadratic blows up
// past 2/lambda_max, within a bound derived below, and fastai's valley lies below 2/lambda;
// (b) the catapult on L(a, b) = 1/2 (ab - 1)^2: GD starting sharper than 2/lr spikes in
// loss, then converges where the sharpness is at most 2/lr.

import { describe, expect, test } from 'vitest';
import { rangeTestSetup, runLrRangeTest, type RangeTestSpec } from '../../src/core/analysis/lr-range-test';
import { lrFind, SMOOTH_BETA, STOP_DIV_FACTOR } from '../../src/core/analysis/lr-finder';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { HistoryRecorder } from '../../src/gpu/history';
import { openGpuRun } from '../../src/gpu/lr-finder';
import { gpuDevice } from '../helpers/gpu';

describe('LR range test on a quadratic (lambda = 1 along x, 10 along y)', () => {
  const lambda = 10;
  const surface = resolveSurface('quadratic', { lambda1: 1, lambda2: lambda, angle: 0 });
  const base = { surface, optimizer: 'gd', lrMin: 1.5e-4, lrMax: 15, steps: 100 };

  /**
   * GD on a quadratic multiplies the loss along each eigenvector by (1 - lr_t lambda_i)^2
   * per step, so the mean loss is L_t = sum_i c_i prod_{s<t} (1 - lr_s lambda_i)^2 (c_i: the
   * mean start loss along eigenvector i): the whole curve in closed form, from which
   * `exact` is the step where fastai's smoothed loss first exceeds 4x its best.
   * A sound bound without the closed form: the smoothed s_t is a debiased average of
   * non-negative losses with weight (1 - beta) on the newest, so s_t >= (1 - beta) L_t
   * >= (1 - beta) c_max,t, and the best is at most s_0 = L_0: stop_div has fired by the
   * first t where (1 - beta) c_max,t > 4 L_0 (`bound`, asked with a 2x margin for
   * float32). And it cannot fire before the loss rises (an average of falling losses
   * falls), which first happens after a step with lr > 2/lambda_max.
   */
  function theory(spec: RangeTestSpec): { bound: number; exact: number } {
    const p = rangeTestSetup(spec).particles;
    const c = [0, 0];
    for (let i = 0; i < p.n; i++) {
      c[0] += (0.5 * p.pos[4 * i] ** 2) / p.n;
      c[1] += (0.5 * lambda * p.pos[4 * i + 1] ** 2) / p.n;
    }
    const l0 = c[0] + c[1];
    const lrAt = (t: number) => spec.lrMin * (spec.lrMax / spec.lrMin) ** (t / spec.steps);
    const raw: number[] = [];
    let bound = spec.steps;
    for (let t = 0; t < spec.steps; t++) {
      raw.push(c[0] + c[1]);
      if (bound === spec.steps && (1 - SMOOTH_BETA) * c[1] > 2 * STOP_DIV_FACTOR * l0) bound = t;
      c[0] *= (1 - lrAt(t) * 1) ** 2;
      c[1] *= (1 - lrAt(t) * lambda) ** 2;
    }
    const exact =
      lrFind(
        raw.map((_, t) => lrAt(t)),
        raw,
        { numIt: spec.steps },
      ).stopIndex ?? spec.steps;
    return { bound, exact };
  }

  for (const spec of [
    { ...base, particles: 1, start: [1, 1] as [number, number] },
    { ...base, particles: 256, seed: 7 },
  ] satisfies RangeTestSpec[]) {
    test(`${spec.particles} particle(s): stop_div fires between 2/lambda and the derived bound; valley < 2/lambda`, async () => {
      const r = await runLrRangeTest(spec, openGpuRun(await gpuDevice()));
      const edge = 2 / lambda;
      const { bound, exact } = theory(spec);
      const stopLr = r.lrs[r.stopIndex!];
      const growth = (spec.lrMax / spec.lrMin) ** (1 / spec.steps);
      console.log(
        `range test, ${spec.particles} particle(s): stop at lr ${stopLr.toPrecision(4)} (step ${r.stopIndex}), 2/lambda ${edge}, closed form: step ${exact}, bound: step ${bound}; ` +
          `${Math.log(stopLr / edge) / Math.log(growth)} growth steps past 2/lambda; valley ${r.suggestions.valley!.lr.toPrecision(4)}, steep ${r.suggestions.steep!.lr.toPrecision(4)}, minimum ${r.suggestions.minimum!.lr.toPrecision(4)}`,
      );
      expect(r.stop).toBe('diverged');
      expect(stopLr).toBeGreaterThan(edge);
      expect(r.stopIndex).toBeLessThanOrEqual(bound);
      // The closed-form curve stops at the same step, give or take one (float32 rounding).
      expect(Math.abs(r.stopIndex! - exact)).toBeLessThanOrEqual(1);
      expect(r.suggestions.valley!.lr).toBeLessThan(edge);
    });
  }
});

describe('catapult on L(a, b) = 1/2 (ab - 1)^2: the sharpness trace ends at or below 2/lr', () => {
  const surface = resolveSurface('0.5*(x*y-1)^2');
  const cases: { lr: number; start: [number, number] }[] = [
    { lr: 0.4, start: [2.5, 0.45] },
    { lr: 0.25, start: [3, 0.35] },
  ];
  for (const { lr, start } of cases) {
    test(`GD lr ${lr} from (${start}): starts sharper than 2/lr = ${2 / lr}, spikes, converges flatter`, async () => {
      const opt = getOptimizer('gd');
      const particles = buildParticles({ kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, opt);
      const setup = { surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG };
      const engine = await GpuEngine.create(await gpuDevice(), setup);
      const rec = await HistoryRecorder.create(engine, setup, Uint32Array.from([0]), 400);
      rec.record();
      for (let t = 0; t < 300; t++) {
        engine.step(1);
        rec.record();
      }
      const h = await rec.read();
      rec.destroy();
      engine.destroy();
      const last = h.length - 1;
      const loss = Array.from(h.loss);
      const peak = loss.indexOf(Math.max(...loss));
      console.log(
        `catapult lr ${lr}: sharpness ${h.sharpness[0]} -> ${h.sharpness[last]} (2/lr ${2 / lr}), loss ${loss[0].toExponential(2)} -> peak ${loss[peak].toExponential(2)} at step ${h.step[peak]} -> ${loss[last].toExponential(2)}, converged at step ${h.step[last]}`,
      );
      expect(h.sharpness[0]).toBeGreaterThan(2 / lr);
      expect(h.status[last]).toBe(Status.Converged);
      expect(h.sharpness[last]).toBeLessThanOrEqual((2 / lr) * 1.01);
      // The spike: the loss rises well above its start, then falls far below it.
      expect(peak).toBeGreaterThan(0);
      expect(loss[peak]).toBeGreaterThan(10 * loss[0]);
      expect(loss[last]).toBeLessThan(loss[0] * 1e-3);
      // At a point of ab = 1 the sharpness is a^2 + b^2.
      expect(h.sharpness[last]).toBeCloseTo(h.x[last] ** 2 + h.y[last] ** 2, 3);
    });
  }
});
