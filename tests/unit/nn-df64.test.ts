// Training in df64 (NetworkTrainerWide, the CPU reference of the df64 kernel) against
// the float64 interpreter, on the fractal setup narrowed to 4-4-1 (as nn-fractal.test.ts):
// a few steps agree to ~1e-14 where float32 is off by ~1e-7; a map row zoomed a
// million times into a boundary point keeps float64's statuses where float32 loses them.

import { describe, expect, test } from 'vitest';
import { makeDataset } from '../../src/core/nn/data';
import { DF64Error, fromPairs } from '../../src/core/nn/interp-df64';
import { buildModel, type ModelSpec } from '../../src/core/nn/model';
import { buildNetSetup, fractalMeasureOfRun } from '../../src/core/nn/setup';
import { NetworkTrainerCpu } from '../../src/core/nn/train';
import { NetworkTrainerWide, wideHyper, type WidePrecision } from '../../src/core/nn/train-wide';
import { eventStep, particleStatus } from '../../src/core/particles';

const STEPS = 60;
const SPEC: Partial<ModelSpec> & { widths: number[] } = { widths: [4, 4, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 };

function setupOf(lr: number[][], spec = SPEC, optimizer = 'sgd', batch = 0) {
  const model = buildModel(spec);
  const data = makeDataset('teacher', model, { seed: 0 });
  return buildNetSetup({ model, data, optimizer, lrLayers: lr, init: { seed: 0 }, config: { history: STEPS, batch } });
}

const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
};

/** The fractal measure's verdict per network, trained in f32 (the float32 CPU reference), df64 or f64. */
function converged(lr: number[][], precision: WidePrecision | 'f32'): boolean[] {
  const setup = setupOf(lr);
  let st;
  if (precision === 'f32') {
    const t = new NetworkTrainerCpu(setup);
    t.step(STEPS);
    st = t.state;
  } else {
    const t = new NetworkTrainerWide(setup, wideHyper(setup, lr), precision);
    t.step(STEPS);
    st = t.state;
  }
  return lr.map((_, i) => fractalMeasureOfRun(st.history.subarray(i * STEPS), particleStatus(st.info, i), eventStep(st.info, i), STEPS).converged);
}

const agreement = (a: boolean[], b: boolean[]) => a.filter((v, i) => v === b[i]).length / a.length;

describe('df64 network training against float64', () => {
  test('a few steps: df64 within 1e-13 of float64, float32 about 1e-7 off', () => {
    // Learning rates that are float32 numbers: the precisions differ in their arithmetic only.
    const lr = [
      [15.5, 12],
      [1, 1],
      [40, 3],
    ];
    const setup = setupOf(lr);
    const run = (p: WidePrecision) => {
      const t = new NetworkTrainerWide(setup, wideHyper(setup, lr), p);
      t.step(4);
      return t.state.theta;
    };
    const f64 = run('f64');
    const df = fromPairs(run('df64') as Float32Array);
    const f32 = new NetworkTrainerCpu(setup);
    f32.step(4);
    const eDf = relDiff(df, f64);
    const e32 = relDiff(f32.state.theta, f64);
    console.log(`4 steps, weights against float64: df64 ${eDf.toExponential(2)}, float32 ${e32.toExponential(2)}`);
    expect(eDf).toBeLessThan(1e-13);
    expect(e32).toBeGreaterThan(1e-8);
  });

  test('what df64 does not do is refused, naming it', () => {
    const lr = [[1, 1]];
    const wide = (s: ReturnType<typeof setupOf>) => () => new NetworkTrainerWide(s, wideHyper(s, lr), 'df64');
    expect(wide(setupOf(lr, { ...SPEC, activation: 'relu' }))).toThrow(/df64: the relu activation/);
    expect(wide(setupOf(lr, { ...SPEC, widths: [4, 4, 2], loss: 'softmax-ce' }))).toThrow(/df64: 'max'/);
    expect(wide(setupOf(lr, SPEC, 'sgd', 4))).toThrow(/df64: minibatches/);
    expect(wide(setupOf(lr, SPEC, 'adam'))).toThrow(DF64Error);
  });

  test('a map row: float32 and df64 agree at zoom 1; zoomed 10^6 times into a boundary point df64 keeps float64 statuses, float32 does not', () => {
    const N = 32;
    const y = 12;
    // Zoom 1: lr_layer0 over [10^-0.5, 10^2] (the fractal test's whole map).
    const row1 = Array.from({ length: N }, (_, i) => [10 ** (-0.5 + (2.5 * i) / (N - 1)), y]);
    const [c32, cDf, c64] = (['f32', 'df64', 'f64'] as const).map((p) => converged(row1, p));
    const zoom1 = { f32: agreement(c32, c64), df64: agreement(cDf, c64), f32df: agreement(c32, cDf) };
    // A boundary point: bisect float64's verdict between the last two neighbours that differ.
    let k = N - 1;
    while (k > 0 && c64[k] === c64[k - 1]) k--;
    expect(k).toBeGreaterThan(0);
    let [a, b] = [row1[k - 1][0], row1[k][0]];
    const side = (x: number) => converged([[x, y]], 'f64')[0];
    const ca = side(a);
    for (let it = 0; it < 30; it++) {
      const m = (a + b) / 2;
      if (side(m) === ca) a = m;
      else b = m;
    }
    // A window 10^-6 of the point wide (float32 spaces its numbers 6e-8 of it apart); the bracket is 2^-30 of a pixel gap.
    const x0 = (a + b) / 2;
    const w = x0 * 1e-6;
    const rowZ = Array.from({ length: N }, (_, i) => [x0 - w / 2 + (w * i) / (N - 1), y]);
    const [z32, zDf, z64] = (['f32', 'df64', 'f64'] as const).map((p) => converged(rowZ, p));
    const deep = { f32: agreement(z32, z64), df64: agreement(zDf, z64) };
    console.log(
      `zoom 1: float32 ${zoom1.f32}, df64 ${zoom1.df64} of float64's statuses (float32 = df64 at ${zoom1.f32df}); zoom 1e6 at lr_layer0 = ${x0}: float32 ${deep.f32}, df64 ${deep.df64}`,
    );
    expect(zoom1.f32df).toBeGreaterThanOrEqual(0.95);
    expect(zoom1.df64).toBe(1);
    expect(new Set(z64).size).toBe(2); // the window holds the boundary
    expect(deep.df64).toBeGreaterThanOrEqual(0.99);
    expect(deep.f32).toBeLessThan(0.8);
  });
});
