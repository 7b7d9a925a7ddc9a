// WGSL twin of src/core/expr/mathlib.ts: the same algorithms, constants and rounding
// steps, so GPU and CPU reference compute identical float32 values. The constants are
// printed from the TypeScript side so both hold the same bits.

import { C, POLY } from '../src/core/expr/mathlib';
import { f32Literal } from './codegen';

const k = (name: keyof typeof C) => f32Literal(C[name]);

function horner(c: number[], z: string): string {
  let p = f32Literal(c[0]);
  for (let i = 1; i < c.length; i++) p = `(${f32Literal(c[i])} + ${z} * ${p})`;
  return p;
}

export const MATHLIB_WGSL = /* wgsl */ `
// Non-finite values come from a private variable: a constant bitcast to Inf or NaN is
// rejected at shader creation ("cannot be represented as f32").
var<private> es_zero_bits: u32 = 0u;
fn es_inf() -> f32 { return bitcast<f32>(0x7f800000u | es_zero_bits); }
fn es_ninf() -> f32 { return bitcast<f32>(0xff800000u | es_zero_bits); }
fn es_nan() -> f32 { return bitcast<f32>(0x7fc00000u | es_zero_bits); }
fn es_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn es_pow2(e: i32) -> f32 { return bitcast<f32>(u32(e + 127) << 23u); }
fn es_ldexp(p: f32, n: i32) -> f32 {
  let n1 = n >> 1u;
  return (p * es_pow2(n1)) * es_pow2(n - n1);
}
fn es_round(x: f32) -> f32 { return floor(x + 0.5f); }

fn es_exp(x: f32) -> f32 {
  if (es_is_nan(x)) { return x; }
  if (x > ${k('EXP_MAX')}) { return es_inf(); }
  if (x < ${k('EXP_MIN')}) { return 0.0f; }
  let n = es_round(x * ${k('LOG2E')});
  let r = (x - n * ${k('LN2_HI')}) - n * ${k('LN2_LO')};
  // n is an integer in [-126, 128]: read as an i32 from the bits of n + 1.5 * 2^23, exact
  // and cheaper than i32(n), a saturating conversion (a third of exp's time on SwiftShader).
  return es_ldexp(${horner(POLY.exp, 'r')}, bitcast<i32>(n + 12582912.0f) - 0x4b400000);
}

fn es_log(x: f32) -> f32 {
  if (es_is_nan(x) || x < 0.0f) { return es_nan(); }
  let b = bitcast<u32>(x);
  if (b == 0x7f800000u) { return x; }
  let field = (b >> 23u) & 0xffu;
  if (field == 0u) { return es_ninf(); }
  var e = f32(i32(field) - 126);
  var m = bitcast<f32>((b & 0x007fffffu) | 0x3f000000u);
  if (m < ${k('SQRT1_2')}) {
    m = m * 2.0f;
    e = e - 1.0f;
  }
  return e * ${k('LN2_HI')} + (e * ${k('LN2_LO')} + es_log1p_series(m - 1.0f));
}

fn es_log1p_series(g: f32) -> f32 {
  let s = g / (2.0f + g);
  let z = s * s;
  let R = z * ${horner(POLY.log, 'z')};
  return s * (2.0f + R);
}

fn es_log1p(u: f32) -> f32 {
  if (es_is_nan(u)) { return u; }
  if (u > 1.0f || u < -0.25f) { return es_log(1.0f + u); }
  return es_log1p_series(u);
}

// (r, quadrant) with r in [-pi/4, pi/4]
fn es_reduce(x: f32) -> vec2<f32> {
  let k = es_round(x * ${k('TWO_OVER_PI')});
  let r = ((x - k * ${k('PIO2_1')}) - k * ${k('PIO2_2')}) - k * ${k('PIO2_3')};
  return vec2<f32>(r, k - 4.0f * floor(k * 0.25f));
}
fn es_sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + (r * z) * ${horner(POLY.sin, 'z')};
}
fn es_cos_poly(r: f32) -> f32 {
  let z = r * r;
  return ${horner(POLY.cos, 'z')};
}
fn es_is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

// (sin x, cos x) from one reduction; a program that takes both of one argument
// (Rastrigin's loss and gradient) calls it once (shaders/codegen.ts).
fn es_sincos(x: f32) -> vec2<f32> {
  if (!es_is_finite(x)) { return vec2<f32>(es_nan(), es_nan()); }
  let rq = es_reduce(x);
  let s = es_sin_poly(rq.x);
  let c = es_cos_poly(rq.x);
  let q = rq.y;
  return vec2<f32>(
    select(select(select(-c, -s, q == 2.0f), c, q == 1.0f), s, q == 0.0f),
    select(select(select(s, -c, q == 2.0f), -s, q == 1.0f), c, q == 0.0f),
  );
}

fn es_sin(x: f32) -> f32 { return es_sincos(x).x; }
fn es_cos(x: f32) -> f32 { return es_sincos(x).y; }

fn es_tan(x: f32) -> f32 {
  let sc = es_sincos(x);
  return sc.x / sc.y;
}

fn es_atan(x: f32) -> f32 {
  if (es_is_nan(x)) { return x; }
  var a = abs(x);
  let inverted = a > 1.0f;
  if (inverted) { a = 1.0f / a; }
  let shifted = a > ${k('TAN_PI_12')};
  if (shifted) { a = (a - ${k('INV_SQRT3')}) / (1.0f + a * ${k('INV_SQRT3')}); }
  let z = a * a;
  var r = a - (a * z) * ${horner(POLY.atan, 'z')};
  if (shifted) { r = ${k('PI_6')} + r; }
  if (inverted) { r = ${k('PI_2')} - r; }
  return select(r, -r, x < 0.0f);
}

fn es_tanh(x: f32) -> f32 {
  if (es_is_nan(x)) { return x; }
  let a = min(abs(x), 20.0f);
  var r: f32;
  if (a < 0.25f) {
    let z = a * a;
    r = a + (a * z) * ${horner(POLY.tanh, 'z')};
  } else {
    r = 1.0f - 2.0f / (es_exp(2.0f * a) + 1.0f);
  }
  return select(r, -r, x < 0.0f);
}

fn es_sinh(x: f32) -> f32 {
  if (es_is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5f) {
    let z = a * a;
    r = a + (a * z) * ${horner(POLY.sinh, 'z')};
  } else {
    let e = es_exp(a);
    r = (e - 1.0f / e) * 0.5f;
  }
  return select(r, -r, x < 0.0f);
}

fn es_cosh(x: f32) -> f32 {
  let e = es_exp(abs(x));
  return (e + 1.0f / e) * 0.5f;
}

fn es_sigmoid(x: f32) -> f32 { return 1.0f / (1.0f + es_exp(-x)); }
fn es_softplus(x: f32) -> f32 { return max(x, 0.0f) + es_log1p(es_exp(-abs(x))); }
fn es_log2(x: f32) -> f32 { return es_log(x) * ${k('INV_LN2')}; }
fn es_log10(x: f32) -> f32 { return es_log(x) * ${k('INV_LN10')}; }

fn es_pow(x: f32, y: f32) -> f32 {
  if (es_is_nan(x) || es_is_nan(y) || x < 0.0f) { return es_nan(); }
  if (x == 0.0f) { return select(select(es_inf(), 1.0f, y == 0.0f), 0.0f, y > 0.0f); }
  return es_exp(y * es_log(x));
}
`;
