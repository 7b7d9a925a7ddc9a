// Double-float arithmetic ("df64"): a number held as the unevaluated sum hi + lo of two
// float32, with |lo| <= ulp(hi)/2, giving about 48 significant bits on hardware that has
// only float32 (WebGPU has no f64). The one definition of every routine: written once
// against F32Ops, run on numbers with float32 rounding (the CPU reference, `DF_CPU`) and
// traced into WGSL (shaders/df64.ts), so both engines do the same float32 operations in
// the same order.
//
// The error-free transformations (two-sum, Veltkamp split, two-product by Dekker) only
// work if the compiler evaluates them as written. GPU compilers may reassociate
// (SwiftShader folds (a + b) - a to b), so each intermediate whose folding would lose
// the error term goes through `fence`: on the GPU a multiplication by a 1 read at run
// time, which no compiler can see through; on the CPU the identity. WGSL's fma is not
// guaranteed fused, so the product's error comes from splitting, not from fma.
//
// Range: the 48 bits hold for magnitudes in [2^-78, 2^128); below, the low word would
// be a float32 subnormal, which GPUs flush to 0.
//
// The elementary functions (log, sin, atan, pow, ...) are in df64-math.ts; the tables
// DF_UNARY and DF_BINARY below list every routine under the expression language's names.

import {
  dfAbs,
  dfAtan,
  dfCos,
  dfCosh,
  dfFloor,
  dfLog,
  dfLog10,
  dfLog2,
  dfMax,
  dfMin,
  dfPow,
  dfPowi,
  dfSigmoid,
  dfSign,
  dfSin,
  dfSinh,
  dfSoftplus,
  dfTan,
} from './df64-math';

/** The float32 operations a routine may use. */
export interface F32Ops<T> {
  lit(v: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** Any faithful division will do: the routines correct its error. */
  div(a: T, b: T): T;
  /** Any faithful square root will do: the routines correct its error. */
  sqrt(a: T): T;
  /** The value unchanged, but opaque to the compiler (no folding across it). */
  fence(a: T): T;
  /** `a` where `c > 0`, else `b`. */
  ifPositive(c: T, a: T, b: T): T;
  floor(a: T): T;
  /** +Infinity (WGSL rejects an infinite constant, so the GPU makes it at run time). */
  inf(): T;
  /** 2^k for an integer-valued k in [-126, 127], built from bits (exact). */
  pow2(k: T): T;
  /** floor(log2 |a|) for a normal nonzero a, read from the bits (exact); -127 at 0, 128 at Inf. */
  exponent(a: T): T;
  /**
   * fn(this, ...args), which a tracer may print as a call to a WGSL function df_<name>
   * (one copy of each routine in a kernel instead of one per use). Absent: call fn.
   */
  call?(name: string, fn: DFRoutine, args: DF<T>[]): DF<T>;
}

/** A df64 routine of df64 arguments. */
export type DFRoutine = <T>(o: F32Ops<T>, ...args: DF<T>[]) => DF<T>;

/** A double-float: [hi, lo]. */
export type DF<T> = readonly [T, T];

const f = Math.fround;

const SPLITTER = 4097; // 2^12 + 1: splits a 24-bit significand into two 12-bit halves

/** s + e = a + b exactly (Knuth's two-sum: no condition on the magnitudes). */
function twoSum<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
  const s = o.fence(o.add(a, b));
  const v = o.fence(o.sub(s, a));
  return [s, o.add(o.sub(a, o.sub(s, v)), o.sub(b, v))];
}

/** s + e = a + b exactly, given |a| >= |b| (Dekker's fast two-sum). */
export function quickTwoSum<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
  const s = o.fence(o.add(a, b));
  return [s, o.sub(b, o.sub(s, a))];
}

/** hi + lo = a, each with at most 12 significant bits (Veltkamp). */
function split<T>(o: F32Ops<T>, a: T): DF<T> {
  const t = o.fence(o.mul(o.lit(SPLITTER), a));
  const hi = o.sub(t, o.fence(o.sub(t, a)));
  return [hi, o.sub(a, hi)];
}

/** p + e = a * b exactly (Dekker's two-product). */
export function twoProd<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
  const p = o.fence(o.mul(a, b));
  const [ah, al] = split(o, a);
  const [bh, bl] = split(o, b);
  const e = o.add(o.add(o.add(o.sub(o.mul(ah, bh), p), o.mul(ah, bl)), o.mul(al, bh)), o.mul(al, bl));
  return [p, e];
}

export function dfAdd<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  const [s1, s2] = twoSum(o, a[0], b[0]);
  const [t1, t2] = twoSum(o, a[1], b[1]);
  const [u1, u2] = quickTwoSum(o, s1, o.add(s2, t1));
  return quickTwoSum(o, u1, o.add(u2, t2));
}

export function dfNeg<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  return [o.sub(o.lit(0), a[0]), o.sub(o.lit(0), a[1])];
}

export function dfSub<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  return dfAdd(o, a, dfNeg(o, b));
}

export function dfMul<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  const [p, e] = twoProd(o, a[0], b[0]);
  const cross = o.add(o.mul(a[0], b[1]), o.mul(a[1], b[0]));
  return quickTwoSum(o, p, o.add(e, cross));
}

/** a * b for a float32 b. */
function dfMulF<T>(o: F32Ops<T>, a: DF<T>, b: T): DF<T> {
  const [p, e] = twoProd(o, a[0], b);
  return quickTwoSum(o, p, o.add(e, o.mul(a[1], b)));
}

/** Long division in three float32 quotient digits, each from the exact remainder. */
export function dfDiv<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>): DF<T> {
  const q1 = o.div(a[0], b[0]);
  const r1 = dfSub(o, a, dfMulF(o, b, q1));
  const q2 = o.div(r1[0], b[0]);
  const r2 = dfSub(o, r1, dfMulF(o, b, q2));
  const q3 = o.div(r2[0], b[0]);
  return dfAdd(o, quickTwoSum(o, q1, q2), [q3, o.lit(0)]);
}

/** One Newton step from the float32 root: sqrt(a) ~ x + (a - x^2) / (2x). Zero at zero, NaN below. */
export function dfSqrt<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const x = o.sqrt(a[0]);
  const [p, e] = twoProd(o, x, x);
  const r = dfSub(o, a, [p, e]);
  const root = quickTwoSum(o, x, o.div(r[0], o.add(x, x)));
  // sqrt(0) would divide 0 by 0; a negative hi gives NaN from o.sqrt as it should.
  return [o.ifPositive(a[0], root[0], x), o.ifPositive(a[0], root[1], o.lit(0))];
}

/** a * 2^k for an integer-valued k in [-252, 254], in two exact scalings (each factor a normal float). */
export function ldexp<T>(o: F32Ops<T>, a: DF<T>, k: T): DF<T> {
  const k1 = o.floor(o.mul(k, o.lit(0.5)));
  const s1 = o.pow2(k1);
  const s2 = o.pow2(o.sub(k, k1));
  return [o.mul(o.mul(a[0], s1), s2), o.mul(o.mul(a[1], s1), s2)];
}

// ln 2 in three float32 parts: two are not enough, k ln 2 must be right to 2^-48 for k up to 128.
const LN2 = toDF(Math.LN2);
const LN2_LOW = f(Math.LN2 - LN2[0] - LN2[1]);
const EXP_MAX = 88.72283; // above: exp overflows float32
const EXP_MIN = -87.33654; // below: exp is under the smallest normal float32, flushed to 0
// Taylor coefficients of expm1 past the linear term, highest first: 1/120, 1/24, 1/6, 1/2.
const EXPM1_TAYLOR = [1 / 120, 1 / 24, 1 / 6, 1 / 2].map(toDF);
const SQUARINGS = 9;

/**
 * exp(a) = 2^k (1 + e): k = round(a / ln 2); e = expm1 of r = a - k ln 2 from a Taylor
 * series at r / 2^9, then squared back nine times in the form (1 + e)^2 - 1 = e (2 + e),
 * which keeps e's relative accuracy (squaring 1 + e itself would lose 9 bits).
 * Returns [k, e] with |r| <= ln 2 / 2.
 */
function expParts<T>(o: F32Ops<T>, a: DF<T>): [T, DF<T>] {
  const k = o.floor(o.add(o.mul(a[0], o.lit(Math.LOG2E)), o.lit(0.5)));
  // Each part's product with k is exact (two-product), bar the last, far below 2^-48.
  const r1 = dfSub(o, a, twoProd(o, k, o.lit(LN2[0])));
  const r2 = dfSub(o, r1, twoProd(o, k, o.lit(LN2[1])));
  const r = dfSub(o, r2, [o.mul(k, o.lit(LN2_LOW)), o.lit(0)]);
  const s: DF<T> = [o.mul(r[0], o.lit(2 ** -SQUARINGS)), o.mul(r[1], o.lit(2 ** -SQUARINGS))];
  const lit = (c: DF<number>): DF<T> => [o.lit(c[0]), o.lit(c[1])];
  let p = lit(EXPM1_TAYLOR[0]);
  for (const c of EXPM1_TAYLOR.slice(1)) p = dfAdd(o, lit(c), dfMul(o, s, p));
  let e = dfAdd(o, s, dfMul(o, dfMul(o, s, s), p));
  for (let i = 0; i < SQUARINGS; i++) e = dfMul(o, e, dfAdd(o, e, [o.lit(2), o.lit(0)]));
  return [k, e];
}

/** The float32 limits of exp: +Inf above, 0 below (flushed, as GPUs do), NaN kept. */
function expRange<T>(o: F32Ops<T>, x: T, y: DF<T>): DF<T> {
  const inf = o.inf();
  // (x * 0)^2 is +0 for a finite x and NaN for NaN, so NaN propagates through the last select.
  const z = o.mul(x, o.lit(0));
  const under: DF<T> = [o.mul(z, z), o.mul(z, z)];
  const hi = o.ifPositive(o.sub(x, o.lit(EXP_MAX)), inf, o.ifPositive(o.sub(x, o.lit(EXP_MIN)), y[0], under[0]));
  const lo = o.ifPositive(o.sub(x, o.lit(EXP_MAX)), o.lit(0), o.ifPositive(o.sub(x, o.lit(EXP_MIN)), y[1], under[1]));
  return [hi, lo];
}

/** `a` where `c > 0`, else `b`, per component. */
export function dfIfPositive<T>(o: F32Ops<T>, c: T, a: DF<T>, b: DF<T>): DF<T> {
  return [o.ifPositive(c, a[0], b[0]), o.ifPositive(c, a[1], b[1])];
}

/** hi clamped to [EXP_MIN, EXP_MAX] so 2^k stays a normal float (the caller sets the limits). */
function clampExpArgument<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const hi = o.ifPositive(o.sub(a[0], o.lit(EXP_MAX)), o.lit(EXP_MAX), o.ifPositive(o.sub(o.lit(EXP_MIN), a[0]), o.lit(EXP_MIN), a[0]));
  return [hi, a[1]];
}

export function dfExp<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [k, e] = expParts(o, clampExpArgument(o, a));
  return expRange(o, a[0], ldexp(o, dfAdd(o, [o.lit(1), o.lit(0)], e), k));
}

/** exp(a) - 1, accurate near 0 (for |a| < ln 2 / 2 it is the series' e itself). */
export function dfExpm1<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const [k, e] = expParts(o, clampExpArgument(o, a));
  const far = dfSub(o, ldexp(o, dfAdd(o, [o.lit(1), o.lit(0)], e), k), [o.lit(1), o.lit(0)]);
  return dfIfPositive(o, o.mul(k, k), far, e);
}

/** tanh(a) = sign(a) m / (m + 2), m = expm1(2|a|); |a| clamped at 20, where tanh is 1 to df64 precision. */
export function dfTanh<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
  const abs = dfIfPositive(o, a[0], a, dfNeg(o, a));
  const t = dfIfPositive(o, o.sub(abs[0], o.lit(20)), [o.lit(20), o.lit(0)], abs);
  const m = dfExpm1(o, [o.mul(t[0], o.lit(2)), o.mul(t[1], o.lit(2))]);
  const r = dfDiv(o, m, dfAdd(o, m, [o.lit(2), o.lit(0)]));
  return dfIfPositive(o, a[0], r, dfNeg(o, r));
}

/** The routines by the expression language's op names, which WGSL calls df_<name>; powi is dfPowi (its n is a number). */
export const DF_BINARY = { add: dfAdd, sub: dfSub, mul: dfMul, div: dfDiv, pow: dfPow, min: dfMin, max: dfMax } as const;
export const DF_UNARY = {
  neg: dfNeg,
  sqrt: dfSqrt,
  exp: dfExp,
  tanh: dfTanh,
  log: dfLog,
  log2: dfLog2,
  log10: dfLog10,
  sin: dfSin,
  cos: dfCos,
  tan: dfTan,
  atan: dfAtan,
  sinh: dfSinh,
  cosh: dfCosh,
  sigmoid: dfSigmoid,
  softplus: dfSoftplus,
  abs: dfAbs,
  sign: dfSign,
  floor: dfFloor,
} as const;
export { dfPowi };

const F32_BITS = new DataView(new ArrayBuffer(4)); // scratch: a float32's bits, read at once

/** The CPU reference: every operation rounded to float32, as the GPU does. */
export const DF_CPU: F32Ops<number> = {
  lit: f,
  add: (a, b) => f(a + b),
  sub: (a, b) => f(a - b),
  mul: (a, b) => f(a * b),
  div: (a, b) => f(a / b),
  sqrt: (a) => f(Math.sqrt(a)),
  fence: (a) => a,
  ifPositive: (c, a, b) => (c > 0 ? a : b),
  floor: Math.floor,
  inf: () => Infinity,
  pow2: (k) => f(2 ** k),
  exponent: (a) => {
    F32_BITS.setFloat32(0, a);
    return ((F32_BITS.getUint32(0) >>> 23) & 0xff) - 127;
  },
};

/** The double-float nearest a float64 (hi = its float32 rounding, lo = the rest). */
export function toDF(x: number): DF<number> {
  const hi = f(x);
  return [hi, Number.isFinite(hi) ? f(x - hi) : 0];
}

/** The float64 value of a double-float (exact: hi + lo spans at most 49 bits). */
export function fromDF(a: DF<number>): number {
  return a[0] + a[1];
}
