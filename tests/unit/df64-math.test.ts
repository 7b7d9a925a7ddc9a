// The df64 elementary functions (src/core/df64-math.ts) on the CPU reference against
// float64: 10^5 operands each, within a few units of 2^-48 in each function's measure.
import { describe, expect, test } from 'vitest';
import { DF_BINARY, DF_CPU, DF_UNARY, dfPowi, fromDF, toDF, type DF } from '../../src/core/df64';
import { uniform01 } from '../../src/core/random';
import { df64Wgsl, wgslFunction, type DFCalls } from '../../shaders/df64';
import { mathCases, worstMathError } from '../helpers/df64-math';

const N = 100_000;
const cases = mathCases(N);

describe('df64 elementary functions on the CPU reference against float64', () => {
  test.each(Object.keys(cases))('%s', (op) => {
    const c = cases[op];
    const got: DF<number>[] = c.ys
      ? c.xs.map((x, i) => DF_BINARY[op as keyof typeof DF_BINARY](DF_CPU, x, c.ys![i]))
      : c.xs.map((x) => DF_UNARY[op as keyof typeof DF_UNARY](DF_CPU, x));
    const w = worstMathError(c, got);
    console.log(`df64 ${op} (CPU): worst ${w.toFixed(2)} units of 2^-48 (${c.what})`);
    expect(w).toBeLessThan(c.bound);
    expect(fromDF(got[0])).not.toBeNaN();
  });
});

describe('df64 exact functions, integer powers and limits', () => {
  const f = (x: number) => toDF(x);
  const v = (op: keyof typeof DF_UNARY, x: number | DF<number>) => fromDF(DF_UNARY[op](DF_CPU, typeof x === 'number' ? toDF(x) : x));
  // Integers with a low word just above or below (the case where floor must read lo), and fractions.
  const xs = Array.from({ length: 2000 }, (_, i) => {
    const m = Math.round((uniform01(51, i, 0) - 0.5) * 2 ** (2 + (i % 40)));
    const d = i % 3 === 0 ? (uniform01(51, i, 1) - 0.5) * 2 ** -30 : i % 3 === 1 ? uniform01(51, i, 1) : 0;
    return f(m + d);
  });
  test('abs, sign and floor equal float64 exactly', () => {
    for (const x of xs) {
      const e = fromDF(x);
      expect(v('abs', x)).toBe(Math.abs(e));
      expect(v('sign', x)).toBe(Math.sign(e) || 0);
      expect(v('floor', x)).toBe(Math.floor(e));
    }
    expect([v('floor', Infinity), v('floor', -Infinity), v('sign', NaN)]).toEqual([Infinity, -Infinity, 0]);
  });
  test('min and max compare the low words when the high words tie', () => {
    const ys = xs.map((x, i) => (i % 2 ? ([x[0], -x[1]] as const) : xs[(i + 1) % xs.length]));
    xs.forEach((x, i) => {
      expect(fromDF(DF_BINARY.min(DF_CPU, x, ys[i]))).toBe(Math.min(fromDF(x), fromDF(ys[i])));
      expect(fromDF(DF_BINARY.max(DF_CPU, x, ys[i]))).toBe(Math.max(fromDF(x), fromDF(ys[i])));
    });
  });
  // a^n's relative error is at most the sum over the |n| - 1 factors' (a product's: under 4 units, as the mul test).
  test.each([0, 1, 2, 3, -1, -2, 7, -9])('powi n = %i within 4 units of 2^-48 per factor', (n) => {
    const as = Array.from({ length: 1000 }, (_, i) => f((i % 2 ? -1 : 1) * (0.5 + 1.5 * (uniform01(52, i, 0) + uniform01(52, i, 1) * 2 ** -24))));
    const got = as.map((a) => fromDF(dfPowi(DF_CPU, a, n)));
    if (n === 0) expect(got.every((g) => g === 1)).toBe(true);
    if (n === 1) expect(got).toEqual(as.map(fromDF));
    const worst = Math.max(...got.map((g, i) => Math.abs(g / fromDF(as[i]) ** n - 1) / 2 ** -48));
    expect(worst).toBeLessThan(4 * Math.max(1, Math.abs(n) - 1) + (n < 0 ? 4 : 0));
  });
  test('powi refuses a non-integer exponent', () => expect(() => dfPowi(DF_CPU, f(2), 0.5)).toThrow(/integer/));
  test('limits: log at 0, below 0 and Inf; overflow of sinh, cosh; sigmoid and softplus at the ends', () => {
    expect([v('log', 0), v('log', -1), v('log', Infinity), v('log', NaN), v('log', 2 ** -130)]).toEqual([-Infinity, NaN, Infinity, NaN, -Infinity]);
    expect([v('log2', 0), v('log10', -2), v('log2', 2 ** 100), v('log2', 2 ** -100), v('log10', 1)]).toEqual([-Infinity, NaN, 100, -100, 0]);
    expect([v('sinh', 90), v('sinh', -90), v('cosh', 90), v('sinh', 0)]).toEqual([Infinity, -Infinity, Infinity, 0]);
    expect(Math.abs(v('sinh', 89) / Math.sinh(89) - 1)).toBeLessThan(2 ** -44); // finite up to ln(2 FLT_MAX) = 89.4
    expect([v('sigmoid', Infinity), v('sigmoid', -Infinity), v('sigmoid', 0), v('softplus', -Infinity), v('softplus', 1e4)]).toEqual([1, 0, 0.5, 0, 1e4]);
    expect([v('atan', Infinity), v('atan', -Infinity), v('atan', 0)]).toEqual([fromDF(toDF(Math.PI / 2)), -fromDF(toDF(Math.PI / 2)), 0]);
    const pow = (a: number, b: number) => fromDF(DF_BINARY.pow(DF_CPU, f(a), f(b)));
    expect([pow(0, 2), pow(0, 0), pow(0, -1), pow(-2, 0.5), pow(5, 0), pow(1, 7.5), pow(Infinity, -1), pow(Infinity, 2)]).toEqual([
      0,
      1,
      Infinity,
      NaN,
      1,
      1,
      0,
      Infinity,
    ]);
  });
  test('sin and cos at multiples of pi/2 (up to 1e4): within 2 units of 2^-48 of float64, and exact at 0', () => {
    let worst = 0;
    for (let k = 1; k <= 6400; k++) {
      const x = f((k * Math.PI) / 2);
      for (const op of ['sin', 'cos'] as const) worst = Math.max(worst, Math.abs(v(op, x) - Math[op](fromDF(x))) / 2 ** -48);
    }
    expect(worst).toBeLessThan(2);
    expect([v('sin', 0), v('cos', 0), v('tan', 0)]).toEqual([0, 1, 0]);
  });
  test('log(1 + 2^-40) resolves 2^-40 (float32 alone gives 0)', () => {
    const x: DF<number> = [1, 2 ** -40];
    expect(Math.abs(v('log', x) / (2 ** -40 - 2 ** -81) - 1)).toBeLessThan(2 ** -46);
    expect(Math.fround(Math.log(Math.fround(fromDF(x))))).toBe(0);
  });
});

describe('df64Wgsl: the routines a kernel asks for and what they call', () => {
  test.each([...Object.keys(DF_UNARY), ...Object.keys(DF_BINARY)])('%s: every df_ function called is printed, each once', (op) => {
    const text = df64Wgsl([op as keyof typeof DF_UNARY]);
    const defined = [...text.matchAll(/^fn df_(\w+)\(/gm)].map((m) => m[1]);
    const called = new Set([...text.matchAll(/\bdf_(\w+)\(/g)].map((m) => m[1]));
    expect(new Set(defined).size).toBe(defined.length);
    expect(defined[0]).toBe(op);
    for (const name of called) expect(defined).toContain(name);
  });
  test('powi traced on its own: its calls printed by df64Wgsl', () => {
    const calls: DFCalls = new Map();
    const fn = wgslFunction('powi_m3', ['a'], (o, [a]) => dfPowi(o, a, -3), calls);
    expect([...calls.keys()].sort()).toEqual(['div', 'mul']);
    expect(df64Wgsl([], calls)).toMatch(/fn df_mul\(/);
    expect(fn).toMatch(/df_div\(/);
  });
});
