// Float32 elementary functions, step for step the same as shaders/mathlib.ts (the WGSL it prints).
//
// Why our own: WGSL lets implementations be loose (SwiftShader's sin/cos err by
// ~2e-4 absolute, tanh by thousands of ULP near 0), and every GPU differs. With one
// algorithm built from +, -, *, / and exact bit operations, the GPU and the CPU
// reference compute the same float32 numbers, on any GPU, to about 1-2 ULP of the
// true value. Every line rounds to float32 exactly where the WGSL does.

const f = Math.fround;
const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);

function toBits(x: number): number {
  scratch[0] = x;
  return bits[0];
}
function fromBits(b: number): number {
  bits[0] = b >>> 0;
  return scratch[0];
}

/** 2^e for integer e in [-126, 127], built from bits (exact). */
function pow2(e: number): number {
  return fromBits((e + 127) << 23);
}

/** p * 2^n in two exact steps (each factor stays a normal float). */
function ldexp(p: number, n: number): number {
  const n1 = Math.floor(n / 2);
  return f(f(p * pow2(n1)) * pow2(n - n1));
}

/** Constants, float32; shaders/mathlib.ts prints the same bits. */
export const C = {
  EXP_MAX: f(88.72283),
  EXP_MIN: f(-87.33654),
  LOG2E: f(1.4426950408889634),
  LN2_HI: f(0.693145751953125),
  LN2_LO: f(1.428606765330187e-6),
  SQRT1_2: f(0.7071067811865476),
  TWO_OVER_PI: f(0.6366197723675814),
  PIO2_1: f(1.5703125),
  PIO2_2: f(0.0004837512969970703),
  PIO2_3: f(7.549789954891882e-8),
  TAN_PI_12: f(0.2679491924311227),
  INV_SQRT3: f(0.5773502691896257),
  PI_6: f(0.5235987755982989),
  PI_2: f(1.5707963267948966),
  INV_LN2: f(1.4426950408889634),
  INV_LN10: f(0.4342944819032518),
};

/** Polynomial coefficients, highest degree first (Horner); shaders/mathlib.ts prints the same. */
export const POLY = {
  exp: [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1],
  // atanh series for log1p: |s| <= 1/3 needs terms to z^8 for float32.
  log: [2 / 17, 2 / 15, 2 / 13, 2 / 11, 2 / 9, 2 / 7, 2 / 5, 2 / 3],
  sin: [1 / 362880, -1 / 5040, 1 / 120, -1 / 6],
  cos: [1 / 40320, -1 / 720, 1 / 24, -0.5, 1],
  atan: [1 / 11, -1 / 9, 1 / 7, -1 / 5, 1 / 3],
  tanh: [62 / 2835, -17 / 315, 2 / 15, -1 / 3],
  sinh: [1 / 362880, 1 / 5040, 1 / 120, 1 / 6],
};

/** c[0] z^n + ... + c[n], rounding after every operation. */
function horner(c: number[], z: number): number {
  let p = f(c[0]);
  for (let k = 1; k < c.length; k++) p = f(f(c[k]) + f(z * p));
  return p;
}

/** floor(x + 0.5) in float32: the rounding both engines use. */
function roundHalfUp(x: number): number {
  return Math.floor(f(x + 0.5));
}

export function exp32(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > C.EXP_MAX) return Infinity;
  if (x < C.EXP_MIN) return 0; // below the smallest normal float: flushed, as GPUs do
  const n = roundHalfUp(f(x * C.LOG2E));
  const r = f(f(x - f(n * C.LN2_HI)) - f(n * C.LN2_LO));
  return ldexp(horner(POLY.exp, r), n);
}

export function log32(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === Infinity) return Infinity;
  const b = toBits(x);
  const field = (b >>> 23) & 0xff;
  if (field === 0) return -Infinity; // zero or subnormal (flushed)
  let e = field - 126;
  let m = fromBits((b & 0x007fffff) | 0x3f000000); // [0.5, 1)
  if (m < C.SQRT1_2) {
    m = f(m * 2);
    e -= 1;
  }
  return f(f(e * C.LN2_HI) + f(f(e * C.LN2_LO) + log1pSeries(f(m - 1))));
}

/**
 * log(1 + g) = 2 atanh(s), s = g / (2 + g): no cancellation, so no formula whose
 * accuracy a reassociating GPU compiler could undo (SwiftShader folds (1 + u) - 1
 * to u, which breaks the usual log1p trick).
 */
function log1pSeries(g: number): number {
  const s = f(g / f(2 + g));
  const z = f(s * s);
  const R = f(z * horner(POLY.log, z));
  return f(s * f(2 + R));
}

/** log(1 + u) for u > -1, accurate for small u. */
export function log1p32(u: number): number {
  if (Number.isNaN(u)) return NaN;
  if (u > 1 || u < -0.25) return log32(f(1 + u));
  return log1pSeries(u);
}

/** Reduces x to r in [-pi/4, pi/4] and the quadrant of x. */
function reduce(x: number): [number, number] {
  const k = roundHalfUp(f(x * C.TWO_OVER_PI));
  const r = f(f(f(x - f(k * C.PIO2_1)) - f(k * C.PIO2_2)) - f(k * C.PIO2_3));
  return [r, k - 4 * Math.floor(k * 0.25)]; // quadrant, exact in float32 as in the WGSL
}

function sinPoly(r: number): number {
  const z = f(r * r);
  return f(r + f(f(r * z) * horner(POLY.sin, z)));
}

function cosPoly(r: number): number {
  return horner(POLY.cos, f(r * r));
}

export function sin32(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  const [r, q] = reduce(x);
  const s = sinPoly(r);
  const c = cosPoly(r);
  return q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
}

export function cos32(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  const [r, q] = reduce(x);
  const s = sinPoly(r);
  const c = cosPoly(r);
  return q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
}

export function tan32(x: number): number {
  return f(sin32(x) / cos32(x));
}

export function atan32(x: number): number {
  if (Number.isNaN(x)) return NaN;
  let a = Math.abs(x);
  const inverted = a > 1;
  if (inverted) a = f(1 / a);
  const shifted = a > C.TAN_PI_12;
  if (shifted) a = f(f(a - C.INV_SQRT3) / f(1 + f(a * C.INV_SQRT3)));
  const z = f(a * a);
  let r = f(a - f(f(a * z) * horner(POLY.atan, z)));
  if (shifted) r = f(C.PI_6 + r);
  if (inverted) r = f(C.PI_2 - r);
  return x < 0 ? -r : r;
}

export function tanh32(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.min(Math.abs(x), 20);
  let r: number;
  if (a < 0.25) {
    const z = f(a * a);
    r = f(a + f(f(a * z) * horner(POLY.tanh, z)));
  } else {
    r = f(1 - f(2 / f(exp32(f(2 * a)) + 1)));
  }
  return x < 0 ? -r : r;
}

export function sinh32(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 0.5) {
    const z = f(a * a);
    r = f(a + f(f(a * z) * horner(POLY.sinh, z)));
  } else {
    const e = exp32(a);
    r = f(f(e - f(1 / e)) * 0.5);
  }
  return x < 0 ? -r : r;
}

export function cosh32(x: number): number {
  const e = exp32(Math.abs(x));
  return f(f(e + f(1 / e)) * 0.5);
}

export function sigmoid32(x: number): number {
  return f(1 / f(1 + exp32(-x)));
}

export function softplus32(x: number): number {
  return f(Math.max(x, 0) + log1p32(exp32(-Math.abs(x))));
}

export function log2_32(x: number): number {
  return f(log32(x) * C.INV_LN2);
}

export function log10_32(x: number): number {
  return f(log32(x) * C.INV_LN10);
}

/** x^y as WGSL defines pow: NaN for x < 0. */
export function pow32(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y) || x < 0) return NaN;
  if (x === 0) return y > 0 ? 0 : y === 0 ? 1 : Infinity;
  return exp32(f(y * log32(x)));
}
