// Bounds on what a Program computes in float32 over a box of inputs: interval arithmetic
// on the program's instructions, each result widened outward past float32's rounding, the
// flush of subnormals to zero and the error of the float32 libm (core/expr/mathlib.ts,
// shaders/mathlib.ts). A bound is null where the value may be non-finite (an overflow, a
// division by zero, a logarithm of zero or less, an argument outside the range where the
// libm's reduction holds) or where the analysis cannot tell: null is always safe.

import { FLOAT32_MAX } from '../float32';
import type { Op } from './graph';
import type { Program } from './program';

export interface Bound {
  lo: number;
  hi: number;
}

/** Relative widening per arithmetic op: far above float32's 2^-24 rounding. */
const ARITH = 2 ** -20;
/** Relative and absolute widening per libm call: far above its few ulps. */
const LIBM_REL = 2 ** -12;
const LIBM_ABS = 2 ** -20;
/** Above every subnormal: a result this small may be flushed to zero. */
const TINY = 2 ** -125;
/** Where es_exp still returns a finite value (C.EXP_MAX is 88.72). */
const EXP_ARG_MAX = 88.5;
/** Where the sin/cos reduction keeps its reduced argument within [-pi/4, pi/4]: k * PIO2_1 exact. */
const TRIG_ARG_MAX = 65536;

/**
 * Widens an exact interval past float32 rounding: a bound never crosses zero, because
 * round-to-nearest (and flushing) keeps the sign of a value. Null where the result may
 * overflow to infinity.
 */
function widen(lo: number, hi: number, rel = ARITH, abs = TINY): Bound | null {
  let l = lo - Math.abs(lo) * rel - abs;
  let h = hi + Math.abs(hi) * rel + abs;
  if (lo >= 0 && l < 0) l = 0;
  if (hi <= 0 && h > 0) h = 0;
  return l >= -FLOAT32_MAX && h <= FLOAT32_MAX ? { lo: l, hi: h } : null;
}

const libm = (lo: number, hi: number) => widen(lo, hi, LIBM_REL, LIBM_ABS);
const maxAbs = (a: Bound) => Math.max(Math.abs(a.lo), Math.abs(a.hi));
const minAbs = (a: Bound) => (a.lo <= 0 && a.hi >= 0 ? 0 : Math.min(Math.abs(a.lo), Math.abs(a.hi)));
/** a's range under a function increasing on it. */
const increasing = (f: (v: number) => number, a: Bound) => libm(f(a.lo), f(a.hi));

export function add(a: Bound, b: Bound): Bound | null {
  return widen(a.lo + b.lo, a.hi + b.hi);
}

export function mul(a: Bound, b: Bound): Bound | null {
  const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
  return widen(Math.min(...p), Math.max(...p));
}

function div(a: Bound, b: Bound): Bound | null {
  if (b.lo <= TINY && b.hi >= -TINY) return null; // the divisor may be zero (or flushed to it)
  const q = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi];
  return widen(Math.min(...q), Math.max(...q));
}

/** a^n for a whole n, as the emitter's binary powering computes it (its partial powers are smaller). */
function powi(a: Bound, n: number): Bound | null {
  const e = Math.abs(n);
  if (e === 0) return { lo: 1, hi: 1 };
  let lo: number;
  let hi: number;
  if (e % 2 === 1) [lo, hi] = [a.lo ** e, a.hi ** e];
  else [lo, hi] = [minAbs(a) ** e, maxAbs(a) ** e];
  // One rounding per multiplication: at most 2 log2(e) + 1 of them.
  const r = widen(lo, hi, ARITH * (2 * Math.ceil(Math.log2(e + 1)) + 1));
  return r && n < 0 ? div({ lo: 1, hi: 1 }, r) : r;
}

function log(a: Bound, scale: number): Bound | null {
  if (a.lo <= TINY) return null;
  return libm(Math.log(a.lo) * scale, Math.log(a.hi) * scale);
}

function exp(a: Bound): Bound | null {
  return a.hi > EXP_ARG_MAX ? null : libm(Math.exp(a.lo), Math.exp(a.hi));
}

/** cos over a: its ends, and 1 or -1 where a holds a multiple of 2 pi or an odd multiple of pi. */
function cos(a: Bound): Bound | null {
  const has = (phase: number) => Math.ceil((a.lo - phase) / (2 * Math.PI)) <= Math.floor((a.hi - phase) / (2 * Math.PI));
  const ends = [Math.cos(a.lo), Math.cos(a.hi)];
  return libm(has(Math.PI) ? -1 : Math.min(...ends), has(0) ? 1 : Math.max(...ends));
}

/** One instruction's result from its arguments' bounds. */
function apply(op: Op, a: Bound | null, b: Bound | null, c: Bound | null, n: number): Bound | null {
  // Comparisons and logic give 0 or 1, even of NaN.
  if (op === 'lt' || op === 'le' || op === 'gt' || op === 'ge' || op === 'eq' || op === 'ne' || op === 'and' || op === 'or' || op === 'not')
    return { lo: 0, hi: 1 };
  if (op === 'select') return b && c ? { lo: Math.min(b.lo, c.lo), hi: Math.max(b.hi, c.hi) } : null;
  if (!a) return null;
  switch (op) {
    case 'neg':
      return { lo: -a.hi, hi: -a.lo };
    case 'abs':
      return { lo: minAbs(a), hi: maxAbs(a) };
    case 'sign':
      return { lo: Math.sign(a.lo), hi: Math.sign(a.hi) };
    case 'floor':
      return { lo: Math.floor(a.lo), hi: Math.floor(a.hi) };
    case 'sqrt':
      return a.lo < 0 ? null : widen(Math.sqrt(a.lo), Math.sqrt(a.hi));
    case 'powi':
      return powi(a, n);
    case 'exp':
      return exp(a);
    case 'log':
      return log(a, 1);
    case 'log2':
      return log(a, Math.LOG2E);
    case 'log10':
      return log(a, Math.LOG10E);
    case 'sin':
      return maxAbs(a) > TRIG_ARG_MAX ? null : cos({ lo: a.lo - Math.PI / 2, hi: a.hi - Math.PI / 2 });
    case 'cos':
      return maxAbs(a) > TRIG_ARG_MAX ? null : cos(a);
    case 'tan':
      return maxAbs(a) > 1.5 ? null : increasing(Math.tan, a);
    case 'atan':
      return increasing(Math.atan, a);
    case 'tanh':
      return increasing(Math.tanh, a);
    case 'sigmoid':
      return increasing((v) => 1 / (1 + Math.exp(-v)), a);
    case 'softplus':
      return increasing((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), a);
    case 'sinh':
      return maxAbs(a) > EXP_ARG_MAX ? null : increasing(Math.sinh, a);
    case 'cosh':
      return maxAbs(a) > EXP_ARG_MAX ? null : libm(Math.cosh(minAbs(a)), Math.cosh(maxAbs(a)));
  }
  if (!b) return null;
  switch (op) {
    case 'add':
      return add(a, b);
    case 'sub':
      return widen(a.lo - b.hi, a.hi - b.lo);
    case 'mul':
      return mul(a, b);
    case 'div':
      return div(a, b);
    case 'min':
      return { lo: Math.min(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
    case 'max':
      return { lo: Math.max(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
    case 'pow': {
      // pow(a, b) = exp(b log a), as es_pow; a at or below zero gives NaN, 0 or infinity.
      const l = log(a, 1);
      const u = l && mul(b, l);
      return u && exp(u);
    }
  }
  return null;
}

/** Bounds on every output of p where each input lies in its bound (inputs absent: unbounded). */
export function programBounds(p: Program, inputs: Record<string, Bound>): Record<string, Bound | null> {
  const vals: (Bound | null)[] = p.values.map((v) => {
    if (v.kind === 'input') return inputs[v.name] ?? null;
    if (v.kind === 'const') {
      const c = Math.fround(v.value);
      return Number.isFinite(c) ? { lo: c, hi: c } : null;
    }
    return null;
  });
  p.values.forEach((v, i) => {
    if (v.kind !== 'instr') return;
    const [a, b, c] = v.instr.args.map((k) => vals[k]);
    vals[i] = apply(v.instr.op, a ?? null, b ?? null, c ?? null, v.instr.n ?? 0);
  });
  return Object.fromEntries(Object.entries(p.outputs).map(([name, k]) => [name, vals[k]]));
}
