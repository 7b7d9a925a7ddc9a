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
}

/** A double-float: [hi, lo]. */
export type DF<T> = readonly [T, T];

const SPLITTER = 4097; // 2^12 + 1: splits a 24-bit significand into two 12-bit halves

/** s + e = a + b exactly (Knuth's two-sum: no condition on the magnitudes). */
function twoSum<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
  const s = o.fence(o.add(a, b));
  const v = o.fence(o.sub(s, a));
  return [s, o.add(o.sub(a, o.sub(s, v)), o.sub(b, v))];
}

/** s + e = a + b exactly, given |a| >= |b| (Dekker's fast two-sum). */
function quickTwoSum<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
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
function twoProd<T>(o: F32Ops<T>, a: T, b: T): DF<T> {
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

function dfNeg<T>(o: F32Ops<T>, a: DF<T>): DF<T> {
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

/** The routines a kernel gets, by the name the WGSL gives them (`df_add`, ...). */
export const DF_BINARY = { add: dfAdd, sub: dfSub, mul: dfMul, div: dfDiv } as const;
export const DF_UNARY = { neg: dfNeg, sqrt: dfSqrt } as const;

const f = Math.fround;

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
