// Double-float arithmetic on the CPU reference: each operation against float64 on
// 10^5 random operand pairs, within a few units of 2^-48 of the exact result.

import { describe, expect, test } from 'vitest';
import { DF_CPU, DF_UNARY, dfAdd, dfDiv, dfMul, dfSqrt, dfSub, fromDF, toDF } from '../../src/core/df64';
import { dfOperands, randomDFs, worstError } from '../helpers/df64';

const N = 100_000;

describe('df64 on the CPU reference against float64', () => {
  const a = randomDFs(1, N);
  const b = randomDFs(2, N);
  test('the operands are normalised double-floats (|lo| <= ulp(hi)/2)', () => {
    for (const [hi, lo] of a) expect(Math.abs(lo)).toBeLessThanOrEqual(Math.abs(hi) * 2 ** -24);
  });
  test.each([
    ['add', dfAdd, (x: number, y: number) => x + y],
    ['sub', dfSub, (x: number, y: number) => x - y],
    ['mul', dfMul, (x: number, y: number) => x * y],
    ['div', dfDiv, (x: number, y: number) => x / y],
  ] as const)('%s within 4 units of 2^-48', (_name, op, exact) => {
    const got = a.map((x, i) => op(DF_CPU, x, b[i]));
    const w = worstError(
      got,
      a.map((x, i) => exact(fromDF(x), fromDF(b[i]))),
    );
    expect(w).toBeLessThan(4);
  });
  test('sub of nearly equal numbers keeps the low bits (cancellation is exact)', () => {
    const x = toDF(1 + 2 ** -40);
    expect(fromDF(dfSub(DF_CPU, x, toDF(1)))).toBe(2 ** -40);
  });
  test('sqrt within 4 units of 2^-48, 0 at 0, NaN below 0', () => {
    const p = randomDFs(3, N, true);
    expect(
      worstError(
        p.map((x) => dfSqrt(DF_CPU, x)),
        p.map((x) => Math.sqrt(fromDF(x))),
      ),
    ).toBeLessThan(4);
    expect(fromDF(dfSqrt(DF_CPU, [0, 0]))).toBe(0);
    expect(fromDF(dfSqrt(DF_CPU, toDF(-2)))).toBeNaN();
  });
  test('float32 alone would fail the same bound (the check has teeth)', () => {
    const f = Math.fround;
    const w = worstError(
      a.map((x, i) => [f(x[0] * b[i][0]), 0] as const),
      a.map((x, i) => fromDF(x) * fromDF(b[i])),
    );
    expect(w).toBeGreaterThan(1000);
  });
  test.each(['exp', 'tanh'] as const)('%s within 8 (exp) or 12 (tanh) units of 2^-48, tanh also near 0', (op) => {
    const { xs, ref, bound } = dfOperands(op, N);
    const w = worstError(
      xs.map((x) => DF_UNARY[op](DF_CPU, x)),
      xs.map(ref),
    );
    console.log(`df64 ${op} (CPU): worst ${w.toFixed(2)} units of 2^-48`);
    expect(w).toBeLessThan(bound);
  });
  test('exp keeps float32 limits: Inf above, 0 below, NaN kept', () => {
    expect(fromDF(DF_UNARY.exp(DF_CPU, toDF(100)))).toBe(Infinity);
    expect(fromDF(DF_UNARY.exp(DF_CPU, toDF(-100)))).toBe(0);
    expect(fromDF(DF_UNARY.exp(DF_CPU, [NaN, 0]))).toBeNaN();
    expect(fromDF(DF_UNARY.tanh(DF_CPU, toDF(50)))).toBe(1);
    expect(fromDF(DF_UNARY.tanh(DF_CPU, toDF(-50)))).toBe(-1);
  });
});
