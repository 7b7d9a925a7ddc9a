// Operands, float64 references and error measures for the df64 elementary functions
// (src/core/df64-math.ts), shared by the CPU-reference and GPU tests.
import { fromDF, toDF, type DF } from '../../src/core/df64';
import { uniform01 } from '../../src/core/random';

const U48 = 2 ** -48;

/** Uniform in [lo, hi), 48 random bits; seeded. */
const uniform = (seed: number, i: number, lo: number, hi: number) => lo + (hi - lo) * (uniform01(seed, i, 0) + uniform01(seed, i, 1) * 2 ** -24);
/** n values: the first half from `a`, the rest from `b` (each given the index). */
const halves = (n: number, a: (i: number) => number, b: (i: number) => number) => Array.from({ length: n }, (_, i) => toDF(i < n / 2 ? a(i) : b(i)));
/** sign * 2^u, u uniform in [lo, hi). */
const logUniform = (seed: number, i: number, lo: number, hi: number, signed = false) =>
  (signed && uniform01(seed, i, 2) < 0.5 ? -1 : 1) * 2 ** uniform(seed, i, lo, hi);

type Measure = (got: number, exact: number, x: number, y: number) => number;
/** Error relative to the exact value. */
const relative: Measure = (g, e) => Math.abs(g - e) / Math.abs(e);
/** Error relative to max(1, |f|): absolute near the zeros of sin and cos. */
const relOrAbs: Measure = (g, e) => Math.abs(g - e) / Math.max(1, Math.abs(e));

export interface MathCase {
  xs: DF<number>[];
  /** Second operands (binary functions). */
  ys?: DF<number>[];
  ref: (x: number, y: number) => number;
  measure: Measure;
  /** Bound on the worst error, in units of 2^-48 of the measure. */
  bound: number;
  what: string;
}

/** Each function's operands and the honest measure for it; n operands (even). */
export function mathCases(n: number): Record<string, MathCase> {
  const logXs = halves(
    n,
    (i) => uniform(31, i, 0.5, 2),
    (i) => logUniform(32, i, -70, 99),
  );
  const trig = halves(
    n,
    (i) => uniform(33, i, -4, 4),
    (i) => uniform(34, i, -1e3, 1e3),
  );
  const near0 = (seed: number, wide: number) =>
    halves(
      n,
      (i) => uniform(seed, i, -0.01, 0.01),
      (i) => uniform(seed + 1, i, -wide, wide),
    );
  // Bounds: about 1.5x the worst measured on the CPU reference.
  return {
    log: { xs: logXs, ref: Math.log, measure: relative, bound: 6, what: 'relative, x in [0.5, 2] and 2^[-70, 99]' },
    log2: { xs: logXs, ref: Math.log2, measure: relative, bound: 6, what: 'relative, as log' },
    log10: { xs: logXs, ref: Math.log10, measure: relative, bound: 8, what: 'relative, as log' },
    sin: { xs: trig, ref: Math.sin, measure: relOrAbs, bound: 4, what: 'absolute (relative to max(1, |f|)), x in [-4, 4] and [-1e3, 1e3]' },
    cos: { xs: trig, ref: Math.cos, measure: relOrAbs, bound: 4, what: 'as sin' },
    // Near its poles tan's condition number is tan^2: the error is measured against max(1, tan^2).
    tan: { xs: trig, ref: Math.tan, measure: (g, e) => Math.abs(g - e) / Math.max(1, e * e), bound: 6, what: 'relative to max(1, tan^2), as sin' },
    atan: {
      xs: halves(
        n,
        (i) => uniform(35, i, -2, 2),
        (i) => logUniform(36, i, -30, 30, true),
      ),
      ref: Math.atan,
      measure: relative,
      bound: 8,
      what: 'relative, x in [-2, 2] and +-2^[-30, 30]',
    },
    sinh: { xs: near0(37, 88), ref: Math.sinh, measure: relative, bound: 6, what: 'relative, x in [-0.01, 0.01] and [-88, 88]' },
    cosh: { xs: near0(39, 88), ref: Math.cosh, measure: relative, bound: 7, what: 'relative, as sinh' },
    // Results under 2^-78 would have a subnormal low word: operands from -54 up.
    sigmoid: { xs: near0(41, 54), ref: (x) => 1 / (1 + Math.exp(-x)), measure: relative, bound: 6, what: 'relative, x in [-0.01, 0.01] and [-54, 54]' },
    softplus: { xs: near0(43, 54), ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), measure: relative, bound: 6, what: 'relative, as sigmoid' },
    // exp turns log's relative error into b log a times it: measured against max(1, |b ln a|).
    pow: {
      xs: Array.from({ length: n }, (_, i) => toDF(logUniform(45, i, -20, 20))),
      ys: Array.from({ length: n }, (_, i) => toDF(uniform(46, i, -4, 4))),
      ref: Math.pow,
      measure: (g, e, x, y) => relative(g, e, x, y) / Math.max(1, Math.abs(y * Math.log(x))),
      bound: 8,
      what: 'relative / max(1, |b ln a|), a in 2^[-20, 20], b in [-4, 4]',
    },
  };
}

/** Worst error of `got` in units of 2^-48 of the case's measure. */
export function worstMathError(c: MathCase, got: DF<number>[]): number {
  let w = 0;
  got.forEach((g, i) => {
    const x = fromDF(c.xs[i]);
    const y = c.ys ? fromDF(c.ys[i]) : 0;
    w = Math.max(w, c.measure(fromDF(g), c.ref(x, y), x, y) / U48);
  });
  return w;
}
