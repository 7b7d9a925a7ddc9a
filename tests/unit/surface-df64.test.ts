// df64 surface maps against float64 (tests/helpers/surface-f64.ts): gradient descent on
// the two-layer scalar network L(a, b) = (ab - 1)^2 / 2, whose learning rates split at a
// point (near 0.5964) into converging and diverging runs. A row of pixels 1e-8 of that rate
// wide around the point: float32 cannot tell its rates apart (its spacing there is 6e-8),
// df64 must get float64's status for at least 99 % of the pixels where float32 gets less
// than 80 %; at zoom 1 the two precisions agree (outcomes: non-finite counts as diverged). Plus the refusals, one line each.

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { CpuEngineDF64, particlesOfDF64 } from '../../src/core/engine/cpu-df64';
import { surfaceSetupDF64 } from '../../src/core/engine/surface-df64';
import { dfCheckProgram } from '../../src/core/df64-ops';
import type { Op } from '../../src/core/expr/graph';
import { buildParticles, type ProductLayout } from '../../src/core/layouts';
import { getOptimizer, OPTIMIZER_DEFS } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, particleStatus, Status } from '../../src/core/particles';
import { resolveSchedule } from '../../src/core/schedules';
import { PRESET_NAMES, resolveSurface, Surface } from '../../src/core/surfaces';
import { runFloat64 } from '../helpers/surface-f64';

const STEPS = 300;
const surface = resolveSurface('two-layer');
const sgd = getOptimizer('sgd');
const row = (min: number, max: number, n: number): ProductLayout => ({
  kind: 'product',
  start: [2.5, 0.1],
  x: { param: 'lr', min, max, n },
  y: { param: 'momentum', min: 0, max: 0.5, n: 1 },
});

/**
 * An outcome as the map colours it: non-finite is diverged (float32 overflows where
 * float64 still has a finite loss past the bounds; df64 decides those as float64 does).
 */
const outcome = (s: number) => (s === Status.NonFinite ? Status.Diverged : s);

/** The fraction of pixels with float64's outcome: float32 (CpuEngine), df64 (CpuEngineDF64), and float32's against df64's. */
function agreement(layout: ProductLayout): { f32: number; df64: number; both: number; statuses: Set<number> } {
  const setup = surfaceSetupDF64(surface, sgd, DEFAULT_RUN_CONFIG, layout, {});
  const truth = runFloat64(setup, STEPS);
  const df = new CpuEngineDF64(setup);
  df.step(STEPS);
  const dp = particlesOfDF64(df.read(), setup);
  const f = new CpuEngine({ surface, optimizer: sgd, particles: buildParticles(layout, sgd, {}), config: DEFAULT_RUN_CONFIG });
  f.step(STEPS);
  const share = (a: (i: number) => number, b: (i: number) => number) => truth.status.filter((_, i) => outcome(a(i)) === outcome(b(i))).length / setup.n;
  const [t, f32, df64] = [(i: number) => truth.status[i], (i: number) => particleStatus(f.state.info, i), (i: number) => particleStatus(dp.info, i)];
  return { f32: share(t, f32), df64: share(t, df64), both: share(f32, df64), statuses: new Set(truth.status.map(outcome)) };
}

/** The learning rate where float64's runs switch from converging to diverging (bisection). */
function boundary(): number {
  let [lo, hi] = [0.59, 0.6];
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2;
    const s = runFloat64(surfaceSetupDF64(surface, sgd, DEFAULT_RUN_CONFIG, row(mid, mid * 1.5, 2), {}), STEPS).status[0];
    if (s === Status.Converged) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe('df64 surface maps against float64', () => {
  test('a window 1e-8 wide: float32 under 80 % of float64 statuses, df64 at least 99 %', () => {
    const b = boundary();
    const a = agreement(row(b * (1 - 5e-9), b * (1 + 5e-9), 64));
    console.log(
      `lr window 1e-8 wide at ${b.toPrecision(10)}: float32 ${(100 * a.f32).toFixed(1)} %, df64 ${(100 * a.df64).toFixed(1)} % of float64's outcomes`,
    );
    expect(a.statuses).toEqual(new Set([Status.Converged, Status.Diverged])); // the window holds the boundary
    expect(a.f32).toBeLessThan(0.8);
    expect(a.df64).toBeGreaterThanOrEqual(0.99);
  });

  test('zoom 1: float32 and df64 agree', () => {
    const a = agreement(row(0.05, 1.2, 96));
    console.log(
      `lr 0.05 .. 1.2: float32 ${(100 * a.f32).toFixed(1)} %, df64 ${(100 * a.df64).toFixed(1)} % of float64's outcomes; float32 = df64 ${(100 * a.both).toFixed(1)} %`,
    );
    expect(a.statuses.size).toBeGreaterThan(1);
    expect(a.both).toBeGreaterThanOrEqual(0.99);
    expect(a.f32).toBeGreaterThanOrEqual(0.99);
    expect(a.df64).toBeGreaterThanOrEqual(0.99);
  });
});

describe('df64 refusals, one line each', () => {
  const layout = row(0.1, 0.2, 4);
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };

  test('an op df64 does not have is named', () => {
    const p = {
      inputs: ['x'],
      values: [
        { kind: 'input' as const, name: 'x' },
        { kind: 'instr' as const, instr: { op: 'erf' as Op, args: [0], bool: false } },
      ],
      outputs: { loss: 1 },
    };
    expect(refusal(() => dfCheckProgram(p, 'the surface'))).toMatch(
      /^df64: the surface uses 'erf', which df64 does not have \(it has add, sub, mul, div, .*select, powi\)$/,
    );
  });

  test('what df64 does not compute: the Hessian, noise, SAM, clipping, datasets', () => {
    const curv = getOptimizer('sgd', { schedule: resolveSchedule('CurvatureAdaptive') });
    expect(refusal(() => surfaceSetupDF64(surface, curv, DEFAULT_RUN_CONFIG, layout, {}))).toBe(
      'df64: SGD with this schedule reads the Hessian, which df64 does not compute',
    );
    expect(refusal(() => surfaceSetupDF64(surface, sgd, { ...DEFAULT_RUN_CONFIG, noise: 0.1 }, layout, {}))).toBe('df64: gradient noise is float32 only');
    expect(refusal(() => surfaceSetupDF64(surface, sgd, { ...DEFAULT_RUN_CONFIG, samRho: 0.1 }, layout, {}))).toBe('df64: SAM is float32 only');
    expect(refusal(() => surfaceSetupDF64(surface, sgd, { ...DEFAULT_RUN_CONFIG, clipNorm: 1 }, layout, {}))).toBe('df64: gradient clipping is float32 only');
    expect(refusal(() => surfaceSetupDF64(resolveSurface('least-squares'), sgd, DEFAULT_RUN_CONFIG, layout, {}))).toBe(
      'df64: dataset surfaces (minibatches) are float32 only',
    );
    // A surface whose ops df64 has runs (x0 / y0 axes and the momentum buffer too).
    const s = Surface.fromExpression('(x - 1)^2 * 0.5 + y^2 * 0.25');
    expect(refusal(() => surfaceSetupDF64(s, sgd, DEFAULT_RUN_CONFIG, { ...layout, y: { param: 'x0', min: -1, max: 1, n: 2 } }, { momentum: 0.9 }))).toBeNull();
  });
});

describe('df64 has every op of the presets and optimizers', () => {
  test.each(PRESET_NAMES.filter((n) => !resolveSurface(n).dataset))('%s, with every optimizer', (name) => {
    const surface = resolveSurface(name);
    for (const p of [surface.step, surface.loss]) expect(() => dfCheckProgram(p, name)).not.toThrow();
    for (const def of OPTIMIZER_DEFS) expect(() => dfCheckProgram(getOptimizer(def.name).program, def.name)).not.toThrow();
  });
});
