// Interval bounds on a surface's step program (core/expr/interval.ts) and the proof the
// fused kernel's loss-free fast pass rests on (provenLoss): sound against the float32 CPU
// reference (the GPU's values bit for bit) at many points of each box, tight on a
// quadratic, and null wherever a value may be non-finite.

import { describe, expect, test } from 'vitest';
import { provenLoss } from '../../src/core/engine/engine';
import { programBounds } from '../../src/core/expr/interval';
import { Evaluator } from '../../src/core/expr/program';
import { FLOAT32_MAX, float32Up } from '../../src/core/float32';
import { uniform01 } from '../../src/core/random';
import { PRESET_NAMES, resolveSurface, Surface } from '../../src/core/surfaces';

const f32 = Math.fround;

/** Corners, edges, axes, zero and seeded random points of the box |x|, |y| <= p, in float32. */
function boxPoints(p: number, n: number): [number, number][] {
  const edge = [-p, -p / 2, -1, -1e-30, 0, 1e-30, 1, p / 2, p].map(f32);
  const pts: [number, number][] = edge.flatMap((x) => edge.map((y) => [x, y] as [number, number]));
  for (let i = 0; i < n; i++) {
    // Half the points uniform, half log-spread in magnitude (near zero as well as near p).
    const [u, v] = [uniform01(7, i, 0), uniform01(7, i, 1)];
    const spread = (w: number) => (i % 2 ? (2 * w - 1) * p : Math.sign(w - 0.5) * p * 10 ** (-8 * Math.abs(2 * w - 1)));
    pts.push([f32(spread(u)), f32(spread(v))]);
  }
  return pts.filter(([x, y]) => Math.abs(x) <= f32(p) && Math.abs(y) <= f32(p));
}

/** The checks the loss-free fast pass no longer makes hold at every point: as the reference computes them. */
function expectProofHolds(surface: Surface, p: number) {
  const proof = provenLoss(surface, p);
  expect(proof, `${surface.spec.expression} over |x|, |y| <= ${p}`).not.toBeNull();
  const ev = new Evaluator(surface.step);
  for (const [x, y] of boxPoints(p, 3000)) {
    ev.run(x, y);
    const [L, gx, gy] = [ev.out('loss'), ev.out('gx'), ev.out('gy')];
    const gn2 = f32(f32(gx * gx) + f32(gy * gy));
    const where = `${surface.spec.expression} at (${x}, ${y}): loss ${L}, |g|^2 ${gn2}`;
    expect(L <= proof!.lossMax && L >= -FLOAT32_MAX, where).toBe(true);
    expect(gn2 <= FLOAT32_MAX, where).toBe(true);
  }
}

describe('provenLoss: the loss finite and at most lossMax, the gradient finite, over the box', () => {
  // Every preset whose proof holds over the default box or a small one is sound at every sampled point.
  for (const name of PRESET_NAMES) {
    test(name, () => {
      const surface = resolveSurface(name);
      const boxes = [1e4, 10, 1].filter((p) => provenLoss(surface, p));
      for (const p of boxes) expectProofHolds(surface, p);
    });
  }

  test('the presets the benchmark and lectures run are proven over the default position bound (1e4)', () => {
    for (const name of ['quadratic', 'rosenbrock', 'rastrigin', 'himmelblau', 'ackley']) expect(provenLoss(resolveSurface(name), 1e4), name).not.toBeNull();
  });

  // Every op the analysis knows, in expressions whose values stay finite over the box.
  const finite: [string, number][] = [
    ['exp(x) + exp(-y)', 10],
    ['log(x^2 + 1) + log2(y^2 + 2) + log10(x^2 + y^2 + 3)', 1e4],
    ['sqrt(x^2 + y^2 + 1)', 1e4],
    ['(x^2 + 1)^1.5 + 2^(y/100)', 100],
    ['tanh(x) + sigmoid(y) + softplus(x - y) + atan(x * y)', 1e4],
    ['sinh(x) + cosh(y)', 20],
    ['tan(x / 10) + sin(3 * x) * cos(y)', 10],
    // (their derivatives select on comparisons)
    ['abs(x) + max(x, y) - min(x, 2 * y) + floor(x) * sign(y)', 1e4],
    ['1 / (x^2 + 1) + 1 / (2 + cos(y)) + y^4', 100],
  ];
  for (const [expression, p] of finite) {
    test(`sound on ${expression}, |x|, |y| <= ${p}`, () => expectProofHolds(Surface.fromExpression(expression), p));
  }

  test('the bound is tight on a quadratic: 0.5 (x^2 + 10 y^2) over |x|, |y| <= p is at most 5.5 p^2', () => {
    for (const p of [1, 10, 1e4]) {
      const max = 5.5 * p * p;
      const proof = provenLoss(resolveSurface('quadratic'), p)!;
      expect(proof.lossMax).toBeGreaterThanOrEqual(max);
      expect(proof.lossMax).toBeLessThan(max * (1 + 1e-4));
    }
  });

  // Null wherever some point of the box gives a non-finite value, or the libm leaves its range.
  const unproven: [string, number, string][] = [
    ['log(x) + y^2', 10, 'log of zero and below'],
    ['1 / x + y^2', 10, 'division by zero'],
    ['x / (x^2 + y^2)', 10, 'division by zero at the origin'],
    ['sqrt(x^2 + y^2)', 10, 'its gradient divides by zero at the origin'],
    ['exp(x) + y^2', 100, 'exp overflows past 88.7'],
    ['x^8 + y^2', 1e5, 'x^8 overflows float32 at 1e5'],
    ['x^3 * y^3', 1e5, '|g|^2 overflows'],
    ['tan(x) + y^2', 10, 'tan has poles in the box'],
    ['sin(x) + y^2', 1e5, 'beyond the sin reduction range'],
    ['x^y', 2, 'pow of a base at or below zero'],
    ['sinh(x) + y^2', 100, 'sinh overflows'],
  ];
  for (const [expression, p, why] of unproven) {
    test(`none for ${expression} over |x|, |y| <= ${p}: ${why}`, () => expect(provenLoss(Surface.fromExpression(expression), p)).toBeNull());
  }

  test('over a smaller box the same surfaces are proven', () => {
    expect(provenLoss(Surface.fromExpression('exp(x) + y^2'), 40)).not.toBeNull();
    expect(provenLoss(Surface.fromExpression('x^8 + y^2'), 100)).not.toBeNull();
    expect(provenLoss(Surface.fromExpression('tan(x) + y^2'), 1.4)).not.toBeNull();
    expect(provenLoss(Surface.fromExpression('sin(x) + y^2'), 1e4)).not.toBeNull();
  });

  test('no box without a finite float32 bound', () => {
    const q = resolveSurface('quadratic');
    for (const p of [Infinity, NaN, -1, 1e39]) expect(provenLoss(q, p), String(p)).toBeNull();
  });
});

test('programBounds: an input without a bound gives no bound', () => {
  const s = resolveSurface('quadratic');
  expect(programBounds(s.step, { x: { lo: -1, hi: 1 } })).toEqual({ loss: null, gx: expect.anything(), gy: null });
});

test('programBounds: a sum of squares stays at or above zero through rounding, so its sqrt is bounded', () => {
  const box = { lo: -3, hi: 3 };
  const b = programBounds(Surface.fromExpression('sqrt(x^2 + y^2)').step, { x: box, y: box });
  expect(b.loss?.lo).toBe(0);
  expect(b.loss?.hi).toBeGreaterThanOrEqual(Math.sqrt(18));
  expect(b.gx).toBeNull(); // x / sqrt(x^2 + y^2): the divisor reaches zero
});

test('float32Up: the least float32 at or above a value', () => {
  expect(float32Up(1)).toBe(1);
  expect(float32Up(1 + 2 ** -30)).toBe(1 + 2 ** -23);
  expect(float32Up(-(1 + 2 ** -30))).toBe(-1);
  expect(float32Up(0.1)).toBe(Math.fround(0.1) >= 0.1 ? Math.fround(0.1) : Math.fround(0.1) + 2 ** -27);
  expect(float32Up(1e-50)).toBe(2 ** -149);
});
