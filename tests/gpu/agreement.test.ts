// GPU vs CPU reference: every preset x optimizer, and random expressions.
// Stable runs agree to 1e-5 relative over 200 steps; chaotic runs agree in the
// fraction of each status per lr band.

import { describe, expect, test } from 'vitest';
import { OPTIMIZER_DEFS } from '../../src/core/optimizers';
import { STATUS_NAMES, type ParticleState, particleStatus, particleSteps } from '../../src/core/particles';
import { PRESET_NAMES, resolveSurface, Surface, type SurfaceSpec } from '../../src/core/surfaces';
import { randomExpression } from '../helpers/random-expr';
import { maxRelativeDiff, runBoth } from '../helpers/gpu';

/** Largest Hessian eigenvalue magnitude over the central half of the domain. */
function curvatureScale(s: Surface): number {
  const [x0, x1, y0, y1] = s.spec.domain;
  let lam = 1e-6;
  for (let i = 0; i <= 16; i++) {
    for (let j = 0; j <= 16; j++) {
      const x = x0 + (x1 - x0) * (0.25 + (0.5 * i) / 16);
      const y = y0 + (y1 - y0) * (0.25 + (0.5 * j) / 16);
      const [a, b] = s.eigenvaluesAt(x, y);
      if (Number.isFinite(a) && Number.isFinite(b)) lam = Math.max(lam, Math.abs(a), Math.abs(b));
    }
  }
  return lam;
}

function centralDomain(s: SurfaceSpec): [number, number, number, number] {
  const [x0, x1, y0, y1] = s.domain;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return [cx - (x1 - x0) / 4, cx + (x1 - x0) / 4, cy - (y1 - y0) / 4, cy + (y1 - y0) / 4];
}

/** Hyperparameters and an lr range that keep each optimizer in its stable regime. */
function stableSettings(optimizer: string, s: Surface) {
  const lam = curvatureScale(s);
  const width = s.spec.domain[1] - s.spec.domain[0];
  switch (optimizer) {
    case 'SGD':
      return [
        { label: 'gd', hyper: {}, lrMin: 0.01 / lam, lrMax: 0.3 / lam },
        { label: 'heavy ball 0.9', hyper: { momentum: 0.9 }, lrMin: 0.001 / lam, lrMax: 0.03 / lam },
        { label: 'nesterov 0.9', hyper: { momentum: 0.9, nesterov: 1 }, lrMin: 0.001 / lam, lrMax: 0.03 / lam },
      ];
    case 'Adam':
      return [
        { label: 'adam', hyper: {}, lrMin: 1e-4 * width, lrMax: 3e-3 * width },
        { label: 'amsgrad', hyper: { amsgrad: 1 }, lrMin: 1e-4 * width, lrMax: 3e-3 * width },
      ];
    case 'AdamW':
      return [
        { label: 'adamw', hyper: {}, lrMin: 1e-4 * width, lrMax: 3e-3 * width },
        { label: 'amsgrad, weight_decay 0.1', hyper: { amsgrad: 1, weight_decay: 0.1 }, lrMin: 1e-4 * width, lrMax: 3e-3 * width },
      ];
    case 'Adamax':
      return [{ label: 'adamax', hyper: {}, lrMin: 1e-4 * width, lrMax: 3e-3 * width }];
    case 'NAdam':
      return [{ label: 'nadam', hyper: {}, lrMin: 3e-5 * width, lrMax: 3e-4 * width }];
    // The first 5 steps are momentum SGD (gradient-scaled), so lr is also bounded by the curvature.
    case 'RAdam':
      return [{ label: 'radam', hyper: {}, lrMin: Math.min(1e-4 * width, 0.003 / lam), lrMax: Math.min(3e-3 * width, 0.1 / lam) }];
    case 'Adagrad':
      return [
        { label: 'adagrad', hyper: {}, lrMin: 3e-4 * width, lrMax: 1e-3 * width },
        { label: 'lr_decay 0.01', hyper: { lr_decay: 0.01, initial_accumulator_value: 0.1 }, lrMin: 3e-4 * width, lrMax: 1e-3 * width },
      ];
    // The first step is about 10 lr (square_avg starts at 0.01 g^2).
    // Adadelta's first steps are about sqrt(eps / g^2) g: tiny; lr 1 is PyTorch's default.
    case 'Adadelta':
      return [
        { label: 'adadelta', hyper: {}, lrMin: 0.03, lrMax: 0.3 },
        { label: 'rho 0.5, weight_decay 0.01', hyper: { rho: 0.5, weight_decay: 0.01 }, lrMin: 0.03, lrMax: 0.3 },
      ];
    case 'RMSprop':
      return [
        { label: 'rmsprop', hyper: {}, lrMin: 1e-5 * width, lrMax: 1e-4 * width },
        { label: 'centered', hyper: { centered: 1 }, lrMin: 1e-5 * width, lrMax: 1e-4 * width },
        { label: 'momentum 0.9', hyper: { momentum: 0.9 }, lrMin: 1e-6 * width, lrMax: 1e-5 * width },
      ];
    case 'Lion':
      return [{ label: 'lion', hyper: {}, lrMin: 3e-5 * width, lrMax: 3e-4 * width }];
    case 'SignSGD':
      return [{ label: 'sign', hyper: {}, lrMin: 3e-5 * width, lrMax: 3e-4 * width }];
    default:
      throw new Error(`no stable settings for ${optimizer}: add them here`);
  }
}

const surfaces = PRESET_NAMES.map((name) => resolveSurface(name));

describe('GPU agrees with the CPU reference on stable runs (200 steps, 1e-5 relative)', () => {
  for (const surface of surfaces) {
    for (const def of OPTIMIZER_DEFS) {
      test(`${surface.id} x ${def.name}`, async () => {
        for (const set of stableSettings(def.name, surface)) {
          const { cpu, gpu } = await runBoth(
            surface,
            def.name,
            { kind: 'random', domain: centralDomain(surface.spec), perBand: 32, bands: 4, lrMin: set.lrMin, lrMax: set.lrMax, seed: 7 },
            // gtol 0: no particle stops on a threshold, so every one is compared over all 200 steps.
            { hyper: set.hyper, steps: 200, perDispatch: 50, config: { gtol: 0 } },
          );
          const { diff, index } = maxRelativeDiff(cpu, gpu);
          expect(diff, `${set.label}: particle ${index}`).toBeLessThan(1e-5);
          // Same outcome and step count for every particle, and most ran all 200 steps
          // (agreement on particles that stopped early would prove little).
          let full = 0;
          for (let i = 0; i < cpu.n; i++) {
            expect([particleStatus(gpu.info, i), particleSteps(gpu.info, i)], `${set.label}: status/steps of particle ${i}`).toEqual([
              particleStatus(cpu.info, i),
              particleSteps(cpu.info, i),
            ]);
            if (particleSteps(cpu.info, i) === 200) full++;
          }
          expect(full, set.label).toBeGreaterThanOrEqual(cpu.n / 2);
        }
      });
    }
  }
});

describe('GPU agrees with the CPU reference on random expressions', () => {
  for (let seed = 1; seed <= 16; seed++) {
    const expr = randomExpression(seed);
    test(`seed ${seed}: ${expr.slice(0, 60)}`, async () => {
      const surface = Surface.fromExpression(expr, [-2, 2, -2, 2]);
      const lam = curvatureScale(surface);
      const { cpu, gpu } = await runBoth(
        surface,
        'SGD',
        { kind: 'random', domain: [-1.5, 1.5, -1.5, 1.5], perBand: 32, bands: 2, lrMin: 0.02 / lam, lrMax: 0.2 / lam, seed },
        { steps: 200, perDispatch: 100, config: { gtol: 0 } },
      );
      const { diff, index } = maxRelativeDiff(cpu, gpu);
      expect(diff, `particle ${index}`).toBeLessThan(1e-5);
    });
  }
});

function statusFractions(p: ParticleState, bands: number): number[][] {
  const per = p.n / bands;
  return Array.from({ length: bands }, (_, b) => {
    const counts = [0, 0, 0, 0];
    for (let i = b * per; i < (b + 1) * per; i++) counts[particleStatus(p.info, i)]++;
    return counts.map((c) => c / per);
  });
}

describe('chaotic runs: GPU and CPU agree in the status fractions per lr band', () => {
  const cases: { name: string; surface: Surface; lrMin: number; lrMax: number }[] = [
    { name: 'rastrigin', surface: resolveSurface('rastrigin'), lrMin: 1e-3, lrMax: 0.05 },
    { name: 'double-well', surface: resolveSurface('double-well'), lrMin: 0.01, lrMax: 1.5 },
    { name: 'himmelblau', surface: resolveSurface('himmelblau'), lrMin: 1e-3, lrMax: 0.05 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const bands = 8;
      const { cpu, gpu } = await runBoth(
        c.surface,
        'SGD',
        { kind: 'random', domain: c.surface.spec.domain, perBand: 256, bands, lrMin: c.lrMin, lrMax: c.lrMax, seed: 3 },
        { steps: 1000, perDispatch: 250 },
      );
      const fc = statusFractions(cpu, bands);
      const fg = statusFractions(gpu, bands);
      const statuses = new Set<number>();
      for (let b = 0; b < bands; b++) {
        for (let s = 0; s < 4; s++) {
          if (fc[b][s] > 0) statuses.add(s);
          expect(Math.abs(fc[b][s] - fg[b][s]), `band ${b}, ${STATUS_NAMES[s]}`).toBeLessThanOrEqual(0.03);
        }
      }
      // The sweep spans regimes: more than one outcome occurs.
      expect(statuses.size).toBeGreaterThan(1);
    });
  }
});
