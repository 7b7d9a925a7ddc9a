// The elementary functions in double-float (log, sin, atan, pow, ...), written once
// against F32Ops like the arithmetic of src/core/df64.ts, whose tables (DF_UNARY,
// DF_BINARY) list them under the expression language's op names (core/expr/graph.ts).
// A file of its own so df64.ts stays the arithmetic core. The two import each other:
// safe in either load order because each uses the other's exports only as function
// declarations (hoisted) and calls them only when a routine runs, never at load.
//
// Every routine reaches the arithmetic through `use`, which the WGSL tracer prints as a
// call to df_add, df_mul, ... (shaders/df64.ts): one copy of each routine per kernel
// rather than one per use. No float32 seeds (WGSL's log, sin: accuracy and bits differ
// by device): arguments are reduced exactly, then series in df64, so CPU and GPU run
// the same operations; they differ only where WGSL's division and square root round
// differently from the CPU's.

import {
  dfAdd,
  dfDiv,
  dfExp,
  dfExpm1,
  dfIfPositive,
  dfMul,
  dfNeg,
  dfSqrt,
  dfSub,
  ldexp,
  quickTwoSum,
  twoProd,
  type DF,
  type DFRoutine,
  type F32Ops,
} from './df64';

/** x as the sum of n float32 (each the float32 rounding of what the others leave). */
function parts(x: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.fround(x - out.reduce((s, p) => s + p, 0)));
  return out;
}
/** The double-float nearest x (as toDF, which this file may not call at load: see above). */
function dfConst(x: number): DF<number> {
  const [hi, lo] = parts(x, 2);
  return [hi, lo];
}

/** fn(o, ...args), or its call as the tracer prints it (F32Ops.call). */
function use<T>(o: F32Ops<T>, name: string, fn: DFRoutine, ...args: DF<T>[]): DF<T> {
  return o.call ? o.call(name, fn, args) : fn(o, ...args);
}
const add = <T>(o: F32Ops<T>, a: DF<T>, b: DF<T>) => use(o, 'add', dfAdd, a, b);
const sub = <T>(o: F32Ops<T>, a: DF<T>, b: DF<T>) => use(o, 'sub', dfSub, a, b);
const mul = <T>(o: F32Ops<T>, a: DF<T>, b: DF<T>) => use(o, 'mul', dfMul, a, b);
const div = <T>(o: F32Ops<T>, a: DF<T>, b: DF<T>) => use(o, 'div', dfDiv, a, b);
const exp = <T>(o: F32Ops<T>, a: DF<T>) => use(o, 'exp', dfExp, a);
const expm1 = <T>(o: F32Ops<T>, a: DF<T>) => use(o, 'expm1', dfExpm1, a);

const lit = <T>(o: F32Ops<T>, c: DF<number> | number): DF<T> => (typeof c === 'number' ? [o.lit(c), o.lit(0)] : [o.lit(c[0]), o.lit(c[1])]);
/** a * 2^j for a small integer j (exact). */
const scale = <T>(o: F32Ops<T>, a: DF<T>, j: number): DF<T> => [o.mul(a[0], o.lit(2 ** j)), o.mul(a[1], o.lit(2 ** j))];
const sel = dfIfPositive;

/** c[0] + x (c[1] + x (c[2] + ...)) in df64. */
function horner<T>(o: F32Ops<T>, x: DF<T>, c: DF<number>[]): DF<T> {
  let p = lit(o, c[c.length - 1]);
  for (let i = c.length - 2; i >= 0; i--) p = add(o, lit(o, c[i]), mul(o, x, p));
  return p;
}

/** k * c for an integer-valued k (|k| < 2^13) and c in three parts: each product exact but the last. */
function times3<T>(o: F32Ops<T>, k: T, c: number[]): DF<T> {
  return add(o, add(o, twoProd(o, k, o.lit(c[0])), twoProd(o, k, o.lit(c[1]))), [o.mul(k, o.lit(c[2])), o.lit(0)]);
}

/** NaN made at run time (a constant one would be folded by a compiler that assumes none). */
const nan = <T>(o: F32Ops<T>): T => o.sqrt(o.sub(o.lit(0), o.fence(o.lit(1))));
/** Positive iff x is +Inf: x / 2 > 2^127 (WGSL rejects the literal FLT_MAX prints as, 3.40282347e38). */
const isInf = <T>(o: F32Ops<T>, x: T): T => o.sub(o.mul(x, o.lit(0.5)), o.lit(2 ** 127));

// ---- logarithms ----

// ln 2 and log10(2) in three parts for k c exact to 2^-48 of log a ~ k c (from float64:
// the third part's error, 2^-54 k, is far below that).
const LN2_3 = parts(Math.LN2, 3);
const LOG10_2_3 = parts(Math.LOG10E * Math.LN2, 3);
const LOG2E = dfConst(Math.LOG2E);
const LOG10E = dfConst(Math.LOG10E);
// 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ...): to s^18/19 for |s| <= (sqrt2 - 1)/(sqrt2 + 1) = 0.172.
const ATANH_SERIES = Array.from({ length: 9 }, (_, i) => dfConst(1 / (2 * i + 3)));

/** 2 atanh(s) for |s| <= 0.172: log((1 + s) / (1 - s)). */
function logSeries<T>(o: F32Ops<T>, s: DF<T>): DF<T> {
  const s2 = mul(o, s, s);
  return add(o, scale(o, s, 1), mul(o, scale(o, s, 1), mul(o, s2, horner(o, s2, ATANH_SERIES))));
}

/** [k, log m] with a = 2^k m exactly, m in [sqrt(1/2), sqrt(2)): log a = k ln 2 + log m with no cancellation. */
function logParts<T>(o: F32Ops<T>, a: DF<T>): [T, DF<T>] {
  const e = o.exponent(a[0]);
  const m1 = ldexp(o, a, o.sub(o.lit(0), e));
  const big = o.sub(m1[0], o.lit(Math.SQRT2));
  const k = o.ifPositive(big, o.add(e, o.lit(1)), e);
  const m = sel(o, big, scale(o, m1, -1), m1);
  const one = lit<T>(o, 1);
  return [k, logSeries(o, div(o, sub(o, m, one), add(o, m, one)))];
}

/**
 * The logarithm's limits: +Inf at +Inf, -Inf at 0 and at subnormals (which GPUs flush
 * to 0), NaN below 0 (and at NaN on the CPU: WGSL does not promise NaN propagation).
 */
function logRange<T>(o: F32Ops<T>, a: DF<T>, r: DF<T>): DF<T> {
  const inf = o.inf();
  const zero: DF<T> = [o.add(o.sub(o.lit(0), inf), o.mul(a[0], o.lit(0))), o.lit(0)];
  const below = sel(o, o.sub(o.lit(0), a[0]), [nan(o), o.lit(0)], zero);
  // Positive from the smallest normal float32 (2^-126) up: a 2^126 >= 1 > 1 - 2^-24.
  const normal = o.sub(o.mul(a[0], o.lit(2 ** 126)), o.lit(1 - 2 ** -24));
  return sel(o, isInf(o, a[0]), [inf, o.lit(0)], sel(o, normal, r, below));
}

export function dfLog<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [k, lm] = logParts(o, a);
  return logRange(o, a, add(o, times3(o, k, LN2_3), lm));
}

/** k + log(m) log2(e): exact at powers of two. */
export function dfLog2<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [k, lm] = logParts(o, a);
  return logRange(o, a, add(o, [k, o.lit(0)], mul(o, lm, lit(o, LOG2E))));
}

export function dfLog10<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [k, lm] = logParts(o, a);
  return logRange(o, a, add(o, times3(o, k, LOG10_2_3), mul(o, lm, lit(o, LOG10E))));
}

/** log(1 + u) for u in [0, 1], accurate for small u: 1 + u = 2^k m without forming 1 + u. */
function log1pUnit<T>(o: F32Ops<T>, u: DF<T>): DF<T> {
  const k = o.ifPositive(o.sub(u[0], o.lit(Math.SQRT2 - 1)), o.lit(1), o.lit(0));
  // s = (m - 1) / (m + 1) with m = (1 + u) / 2^k: (u - k) / (u + 2 + k).
  const s = div(o, sub(o, u, [k, o.lit(0)]), add(o, u, [o.add(k, o.lit(2)), o.lit(0)]));
  return add(o, times3(o, k, LN2_3), logSeries(o, s));
}

// ---- sin, cos, tan ----

// pi/2 in three float32 (from 60 digits of pi; float64's pi/2 is short of the 72 bits
// that x - k pi/2 needs for |x| up to 1e4).
const PIO2_3 = [1.5707963705062866, -4.371138828673793e-8, -1.7151245100058819e-15];
const PIO2 = dfConst(Math.PI / 2);
// Taylor series on |r| <= pi/4: sin to r^17/17!, cos to r^18/18! (the next terms under 2^-52).
const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
const SIN_SERIES = Array.from({ length: 8 }, (_, i) => dfConst((-1) ** (i + 1) / factorial(2 * i + 3)));
const COS_SERIES = Array.from({ length: 9 }, (_, i) => dfConst((-1) ** (i + 1) / factorial(2 * i + 2)));

/** [q, sin r, cos r] with a = k pi/2 + r, |r| <= pi/4, q = k mod 4; accurate for |a| up to about 1e4. */
function quadrant<T>(o: F32Ops<T>, a: DF<T>): [T, DF<T>, DF<T>] {
  const k = o.floor(o.add(o.mul(a[0], o.lit(2 / Math.PI)), o.lit(0.5)));
  // The parts of k pi/2 come off one by one, each product exact: rounding their sum
  // would cost 2^-48 of |a|, not of r.
  const r1 = sub(o, sub(o, a, twoProd(o, k, o.lit(PIO2_3[0]))), twoProd(o, k, o.lit(PIO2_3[1])));
  const r = sub(o, r1, [o.mul(k, o.lit(PIO2_3[2])), o.lit(0)]);
  const r2 = mul(o, r, r);
  const s = add(o, r, mul(o, r, mul(o, r2, horner(o, r2, SIN_SERIES))));
  const c = add(o, lit(o, 1), mul(o, r2, horner(o, r2, COS_SERIES)));
  return [o.sub(k, o.mul(o.lit(4), o.floor(o.mul(k, o.lit(0.25))))), s, c];
}

/** sin of a + shift quarter turns: the quadrant picks +-sin r or +-cos r. */
function sinShifted<T>(o: F32Ops<T>, a: DF<T>, shift: number): DF<T> {
  const [q0, s, c] = quadrant(o, a);
  const q = o.add(q0, o.lit(shift));
  const half = o.floor(o.mul(q, o.lit(0.5)));
  const odd = o.sub(q, o.mul(half, o.lit(2)));
  const v = sel(o, odd, c, s);
  // half is 0 or 1 (or 2 for q = 4, a full turn: sign +).
  return sel(o, o.sub(o.mul(half, o.sub(o.lit(2), half)), o.lit(0.5)), dfNeg(o, v), v);
}

export function dfSin<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  return sinShifted(o, a, 0);
}

export function dfCos<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  return sinShifted(o, a, 1);
}

/** tan r in even quadrants, -cot r in odd ones. */
export function dfTan<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [q, s, c] = quadrant(o, a);
  const odd = o.sub(q, o.mul(o.floor(o.mul(q, o.lit(0.5))), o.lit(2)));
  return div(o, sel(o, odd, c, s), sel(o, odd, dfNeg(o, s), c));
}

// ---- atan ----

// atan u = u (1 - u^2/3 + u^4/5 - ...) to u^20/21 for |u| <= tan(pi/16) = 0.199.
const ATAN_SERIES = Array.from({ length: 10 }, (_, i) => dfConst((-1) ** (i + 1) / (2 * i + 3)));

/** atan of |a| <= 1 halved twice (atan t = 2 atan(t / (1 + sqrt(1 + t^2)))), then the series; atan(1/|a|) = pi/2 - atan|a| above 1. */
export function dfAtan<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const one = lit<T>(o, 1);
  const abs = dfAbs(o, a);
  const over = o.sub(abs[0], o.lit(1));
  // 1/Inf would be NaN in dfDiv: Inf maps to 0 (atan = pi/2).
  const inv = sel(o, isInf(o, abs[0]), lit(o, 0), div(o, one, abs));
  let t = sel(o, over, inv, abs);
  for (let i = 0; i < 2; i++) t = div(o, t, add(o, one, use(o, 'sqrt', dfSqrt, add(o, one, mul(o, t, t)))));
  const t2 = mul(o, t, t);
  const at = scale(o, add(o, t, mul(o, t, mul(o, t2, horner(o, t2, ATAN_SERIES)))), 2);
  const r = sel(o, over, sub(o, lit(o, PIO2), at), at);
  return sel(o, a[0], r, dfNeg(o, r));
}

// ---- hyperbolic, sigmoid, softplus ----

// Past 20, e^-|a| is under 2^-57 of e^|a|: sinh and cosh are e^|a| / 2.
const HYP_BIG = 20;

// sinh and cosh overflow float32 from ln(2 FLT_MAX) on (FLT_MAX = 3.4028235e38).
const HYP_MAX = 89.41598629223294;

const HALF_E = dfConst(Math.E / 2);

/**
 * e^|a| / 2 = e^(|a| - 1) (e / 2) for |a| >= 20: |a| - 1 is exact there (its high word
 * minus 1 is a float32), where |a| - ln 2 would round to 2^-48 of |a|; and it overflows
 * past ln(2 FLT_MAX) only, as sinh and cosh do.
 */
function halfExp<T>(o: F32Ops<T>, abs: DF<T>): DF<T> {
  // Scaled by 2^-64 around the product: two-product's split overflows past 2^115.
  const big = scale(o, mul(o, scale(o, exp(o, [o.sub(abs[0], o.lit(1)), abs[1]]), -64), lit(o, HALF_E)), 64);
  return sel(o, o.sub(abs[0], o.lit(HYP_MAX)), [o.inf(), o.lit(0)], big);
}
const clampHyp = <T>(o: F32Ops<T>, abs: DF<T>) => sel(o, o.sub(abs[0], o.lit(HYP_BIG)), lit(o, HYP_BIG), abs);

// sinh a = a + a^3/3! + ... to a^15/15! for |a| <= 1/2 (the next term under 2^-54 of a).
const SINH_SERIES = Array.from({ length: 7 }, (_, i) => dfConst(1 / factorial(2 * i + 3)));
const SINH_TAYLOR = 0.5;

/**
 * sinh |a|: the Taylor series below 1/2 (expm1 loses up to 10 units of 2^-48 near 0),
 * then (m + m / (m + 1)) / 2 with m = expm1|a| (no cancellation), e^|a| / 2 past 20.
 */
export function dfSinh<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const abs = dfAbs(o, a);
  const m = expm1(o, clampHyp(o, abs));
  const a2 = mul(o, abs, abs);
  const taylor = add(o, abs, mul(o, abs, mul(o, a2, horner(o, a2, SINH_SERIES))));
  const mid = sel(o, o.sub(abs[0], o.lit(SINH_TAYLOR)), scale(o, add(o, m, div(o, m, add(o, m, lit(o, 1)))), -1), taylor);
  const r = sel(o, o.sub(abs[0], o.lit(HYP_BIG)), halfExp(o, abs), mid);
  return sel(o, a[0], r, dfNeg(o, r));
}

export function dfCosh<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const abs = dfAbs(o, a);
  const e = exp(o, clampHyp(o, abs));
  const small = scale(o, add(o, e, div(o, lit(o, 1), e)), -1);
  return sel(o, o.sub(abs[0], o.lit(HYP_BIG)), halfExp(o, abs), small);
}

/** exp(-|a|), |a| clamped at 200 (exp(-Inf) would be NaN; e^-200 is 0 in float32 anyway). */
function expNegAbs<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const abs = dfAbs(o, a);
  return exp(o, dfNeg(o, sel(o, o.sub(abs[0], o.lit(200)), lit(o, 200), abs)));
}

/** 1 / (1 + e^-a) for a > 0, e^a / (1 + e^a) below: e = exp(-|a|) never overflows. */
export function dfSigmoid<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const e = expNegAbs(o, a);
  return div(o, sel(o, a[0], lit(o, 1), e), add(o, lit(o, 1), e));
}

/** max(a, 0) + log(1 + e^-|a|): no overflow, and accurate where the result is tiny (a very negative). */
export function dfSoftplus<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const l = log1pUnit(o, expNegAbs(o, a));
  return sel(o, a[0], add(o, a, l), l);
}

// ---- abs, sign, floor, min, max ----

export function dfAbs<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  return sel(o, a[0], a, dfNeg(o, a));
}

/** 1, -1 or 0 (0 also for NaN, as the expression language's sign). */
export function dfSign<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  return [o.ifPositive(a[0], o.lit(1), o.ifPositive(o.sub(o.lit(0), a[0]), o.lit(-1), o.lit(0))), o.lit(0)];
}

/** floor(hi) if hi is not an integer (then |lo| < hi's distance to the next integers); else hi + floor(lo). */
export function dfFloor<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const fh = o.floor(a[0]);
  const r = sel(o, o.sub(a[0], fh), [fh, o.lit(0)], quickTwoSum(o, fh, o.floor(a[1])));
  // +-Inf: Inf - Inf in the sum would make NaN.
  return sel(o, isInf(o, dfAbs(o, a)[0]), a, r);
}

/** Positive where a < b: the high words decide, ties go to the low words. */
function less<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): T {
  return o.ifPositive(o.sub(b[0], a[0]), o.lit(1), o.ifPositive(o.sub(a[0], b[0]), o.lit(-1), o.sub(b[1], a[1])));
}

export function dfMin<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  return sel(o, less(o, a, b), a, b);
}

export function dfMax<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  return sel(o, less(o, a, b), b, a);
}

// ---- powers ----

/**
 * a^b = exp(b log a) for a > 0; 0^b and Inf^b are 0, 1 or +Inf as the sign of b says;
 * NaN for a < 0 (as WGSL's pow; integer powers of negatives go through dfPowi). The
 * relative error grows with |b log a| (log's relative error, scaled by exp).
 */
export function dfPow<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  const r = exp(o, mul(o, b, use(o, 'log', dfLog, a)));
  // By the sign of b (positive, negative, zero): a^b at a = 0 and at a = +Inf (where b log a would be NaN).
  const bySign = (pos: T, neg: T, zero: T) => o.ifPositive(b[0], pos, o.ifPositive(o.sub(o.lit(0), b[0]), neg, zero));
  const atZero: DF<T> = [bySign(o.lit(0), o.inf(), o.lit(1)), o.lit(0)];
  const atInf: DF<T> = [bySign(o.inf(), o.lit(0), o.lit(1)), o.lit(0)];
  const positive = sel(o, isInf(o, a[0]), atInf, r);
  return sel(o, a[0], positive, sel(o, o.sub(o.lit(0), a[0]), [nan(o), o.lit(0)], atZero));
}

/** a^n for an integer n known when the routine is built (traced): square-and-multiply, 1 / a^|n| for n < 0. */
export function dfPowi<T>(o: F32Ops<T>, a: DF<T>, n: number): DF<T> {
  if (!Number.isSafeInteger(n)) throw new Error(`powi: the exponent must be an integer, not ${n}`);
  let r: DF<T> | null = null;
  let base = a;
  for (let e = Math.abs(n); e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r = r ? mul(o, r, base) : base;
    if (e > 1) base = mul(o, base, base);
  }
  if (!r) return lit(o, 1);
  return n < 0 ? div(o, lit(o, 1), r) : r;
}
