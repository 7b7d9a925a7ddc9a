
const RUNNING: u32 = 0u;
const CONVERGED: u32 = 1u;
const DIVERGED: u32 = 2u;
const NONFINITE: u32 = 3u;
const NO_MINIMUM: u32 = 0xffffffffu;
const WORKGROUP_SIZE: u32 = 64u;

struct ParticlePos {
  x: f32,
  y: f32,
  // the loss at (x, y)
  loss: f32,
  // the loss before the last update
  prevLoss: f32,
}

struct ParticleInfo {
  status: u32,
  steps: u32,
  // the step at which the status changed from running
  eventStep: u32,
  // index of the minimum converged in, or NO_MINIMUM
  minimum: u32,
}

// Helpers every kernel shares; shaders/common.ts prepends the shared constants.

// By bits: compilers may assume no NaN/Inf and fold `v != v` away.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}


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
  if (x > 88.7228317f) { return es_inf(); }
  if (x < (-87.3365402f)) { return 0.0f; }
  let n = es_round(x * 1.44269502f);
  let r = (x - n * 0.693145752f) - n * 0.00000142860677f;
  // n is an integer in [-126, 128]: read as an i32 from the bits of n + 1.5 * 2^23, exact
  // and cheaper than i32(n), a saturating conversion (a third of exp's time on SwiftShader).
  return es_ldexp((1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * (0.00138888892f + r * 0.000198412701f))))))), bitcast<i32>(n + 12582912.0f) - 0x4b400000);
}

fn es_log(x: f32) -> f32 {
  if (es_is_nan(x) || x < 0.0f) { return es_nan(); }
  let b = bitcast<u32>(x);
  if (b == 0x7f800000u) { return x; }
  let field = (b >> 23u) & 0xffu;
  if (field == 0u) { return es_ninf(); }
  var e = f32(i32(field) - 126);
  var m = bitcast<f32>((b & 0x007fffffu) | 0x3f000000u);
  if (m < 0.707106769f) {
    m = m * 2.0f;
    e = e - 1.0f;
  }
  return e * 0.693145752f + (e * 0.00000142860677f + es_log1p_series(m - 1.0f));
}

fn es_log1p_series(g: f32) -> f32 {
  let s = g / (2.0f + g);
  let z = s * s;
  let R = z * (0.666666687f + z * (0.400000006f + z * (0.285714298f + z * (0.222222224f + z * (0.181818187f + z * (0.15384616f + z * (0.13333334f + z * 0.117647059f)))))));
  return s * (2.0f + R);
}

fn es_log1p(u: f32) -> f32 {
  if (es_is_nan(u)) { return u; }
  if (u > 1.0f || u < -0.25f) { return es_log(1.0f + u); }
  return es_log1p_series(u);
}

// (r, quadrant) with r in [-pi/4, pi/4]
fn es_reduce(x: f32) -> vec2<f32> {
  let k = es_round(x * 0.636619747f);
  let r = ((x - k * 1.5703125f) - k * 0.000483751297f) - k * 7.54979013e-8f;
  return vec2<f32>(r, k - 4.0f * floor(k * 0.25f));
}
fn es_sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + (r * z) * ((-0.166666672f) + z * (0.00833333377f + z * ((-0.000198412701f) + z * 0.00000275573188f)));
}
fn es_cos_poly(r: f32) -> f32 {
  let z = r * r;
  return (1.0f + z * ((-0.5f) + z * (0.0416666679f + z * ((-0.00138888892f) + z * 0.0000248015876f))));
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
  let shifted = a > 0.267949194f;
  if (shifted) { a = (a - 0.577350259f) / (1.0f + a * 0.577350259f); }
  let z = a * a;
  var r = a - (a * z) * (0.333333343f + z * ((-0.200000003f) + z * (0.142857149f + z * ((-0.111111112f) + z * 0.0909090936f))));
  if (shifted) { r = 0.52359879f + r; }
  if (inverted) { r = 1.57079637f - r; }
  return select(r, -r, x < 0.0f);
}

fn es_tanh(x: f32) -> f32 {
  if (es_is_nan(x)) { return x; }
  let a = min(abs(x), 20.0f);
  var r: f32;
  if (a < 0.25f) {
    let z = a * a;
    r = a + (a * z) * ((-0.333333343f) + z * (0.13333334f + z * ((-0.0539682545f) + z * 0.0218694881f)));
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
    r = a + (a * z) * (0.166666672f + z * (0.00833333377f + z * (0.000198412701f + z * 0.00000275573188f)));
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
fn es_log2(x: f32) -> f32 { return es_log(x) * 1.44269502f; }
fn es_log10(x: f32) -> f32 { return es_log(x) * 0.434294492f; }

fn es_pow(x: f32, y: f32) -> f32 {
  if (es_is_nan(x) || es_is_nan(y) || x < 0.0f) { return es_nan(); }
  if (x == 0.0f) { return select(select(es_inf(), 1.0f, y == 0.0f), 0.0f, y > 0.0f); }
  return es_exp(y * es_log(x));
}



struct StepParams {
  // particles
  n: u32,
  // steps in this dispatch
  steps: u32,
  // workgroups along x (the grid is 2-D for large n)
  groupsX: u32,
  seed: u32,
  // gtol squared
  gtol2: f32,
  ftol: f32,
  posBound: f32,
  lossBound: f32,
  clipNorm: f32,
  clipValue: f32,
  // standard deviation of the gradient noise
  noiseScale: f32,
  samRho: f32,
  batch: u32,
  // points in the dataset
  points: u32,
}

const F32_MAX = 3.4028234e38f;

@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<storage, read_write> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read_write> hyper: array<f32>;
@group(0) @binding(3) var<storage, read_write> ostate: array<f32>;
@group(0) @binding(4) var<storage, read_write> info: array<ParticleInfo>;


// Generated from: 0.05*(x^2 + y^2) - 1*exp(-((x - (-1))^2 + y^2)/0.045) - 1.5*exp(-((x - 1.2)^2 + y^2)/1.28)
fn surface_step(x: f32, y: f32) -> vec3<f32> {
  let s3: f32 = (x * x);
  let s4: f32 = (y * y);
  let s5: f32 = s3 + s4;
  let s6: f32 = 0.0500000007f * s5;
  let s8: f32 = x - (-1.0f);
  let s9: f32 = (s8 * s8);
  let s10: f32 = s4 + s9;
  let s12: f32 = s10 * (-22.2222214f);
  let s13: f32 = es_exp(s12);
  let s14: f32 = s6 - s13;
  let s17: f32 = x - 1.20000005f;
  let s18: f32 = (s17 * s17);
  let s19: f32 = s4 + s18;
  let s21: f32 = s19 * (-0.78125f);
  let s22: f32 = es_exp(s21);
  let s23: f32 = 1.5f * s22;
  let s24: f32 = s14 - s23;
  let s26: f32 = x * 0.100000001f;
  let s28: f32 = s8 * (-44.4444427f);
  let s29: f32 = s13 * s28;
  let s30: f32 = s26 - s29;
  let s32: f32 = s17 * (-1.5625f);
  let s33: f32 = s22 * s32;
  let s34: f32 = 1.5f * s33;
  let s35: f32 = s30 - s34;
  let s36: f32 = y * 0.100000001f;
  let s37: f32 = y * (-44.4444427f);
  let s38: f32 = s13 * s37;
  let s39: f32 = s36 - s38;
  let s40: f32 = y * (-1.5625f);
  let s41: f32 = s22 * s40;
  let s42: f32 = 1.5f * s41;
  let s43: f32 = s39 - s42;
  return vec3<f32>(s24, s35, s43);
}

fn surface_loss(x: f32, y: f32) -> f32 {
  let l3: f32 = (x * x);
  let l4: f32 = (y * y);
  let l5: f32 = l3 + l4;
  let l6: f32 = 0.0500000007f * l5;
  let l8: f32 = x - (-1.0f);
  let l9: f32 = (l8 * l8);
  let l10: f32 = l4 + l9;
  let l12: f32 = l10 * (-22.2222214f);
  let l13: f32 = es_exp(l12);
  let l14: f32 = l6 - l13;
  let l17: f32 = x - 1.20000005f;
  let l18: f32 = (l17 * l17);
  let l19: f32 = l4 + l18;
  let l21: f32 = l19 * (-0.78125f);
  let l22: f32 = es_exp(l21);
  let l23: f32 = 1.5f * l22;
  let l24: f32 = l14 - l23;
  return l24;
}

// (hxx, hxy, hyy)
fn surface_hessian(x: f32, y: f32) -> vec3<f32> {
  let h4: f32 = x - (-1.0f);
  let h6: f32 = h4 * (-44.4444427f);
  let h7: f32 = (y * y);
  let h8: f32 = (h4 * h4);
  let h9: f32 = h7 + h8;
  let h11: f32 = h9 * (-22.2222214f);
  let h12: f32 = es_exp(h11);
  let h13: f32 = h12 * h6;
  let h14: f32 = h6 * h13;
  let h15: f32 = h12 * (-44.4444427f);
  let h16: f32 = h14 + h15;
  let h17: f32 = 0.100000001f - h16;
  let h20: f32 = x - 1.20000005f;
  let h22: f32 = h20 * (-1.5625f);
  let h23: f32 = (h20 * h20);
  let h24: f32 = h7 + h23;
  let h26: f32 = h24 * (-0.78125f);
  let h27: f32 = es_exp(h26);
  let h28: f32 = h27 * h22;
  let h29: f32 = h22 * h28;
  let h30: f32 = h27 * (-1.5625f);
  let h31: f32 = h29 + h30;
  let h32: f32 = 1.5f * h31;
  let h33: f32 = h17 - h32;
  let h34: f32 = y * (-44.4444427f);
  let h35: f32 = h12 * h34;
  let h36: f32 = h6 * h35;
  let h37: f32 = -h36;
  let h38: f32 = y * (-1.5625f);
  let h39: f32 = h27 * h38;
  let h40: f32 = h22 * h39;
  let h41: f32 = 1.5f * h40;
  let h42: f32 = h37 - h41;
  let h43: f32 = h34 * h35;
  let h44: f32 = h15 + h43;
  let h45: f32 = 0.100000001f - h44;
  let h46: f32 = h38 * h39;
  let h47: f32 = h30 + h46;
  let h48: f32 = 1.5f * h47;
  let h49: f32 = h45 - h48;
  return vec3<f32>(h33, h42, h49);
}


fn classify(x: f32, y: f32, loss: f32) -> u32 {
  var best = NO_MINIMUM;
  var best_d = 3.0e38f;
  {
    let dx = x - 1.15080607f;
    let dy = y - 0.0f;
    let d2 = dx * dx + dy * dy;
    if (d2 <= 0.152500004f && loss <= (-1.42851806f) && d2 < best_d) { best = 0u; best_d = d2; }
  }
  {
    let dx = x - (-0.995074868f);
    let dy = y - 0.0f;
    let d2 = dx * dx + dy * dy;
    if (d2 <= 0.152500004f && loss <= (-0.982742071f) && d2 < best_d) { best = 1u; best_d = d2; }
  }
  return best;
}


// Adam: 6 hyperparameters, 6 state floats per particle.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groupsX + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.n) { return; }
  let m = info[i];
  if (m.status != RUNNING) { return; }
  let q = pos[i];
  var x = q.x;
  var y = q.y;
  var prev_loss = q.prevLoss;
  var steps = m.steps;
  var status = RUNNING;
  var minimum = m.minimum;
  let hb = i * 6u;
  let sb = i * 6u;
  let h_lr = hyper[hb + 0u];
  let h_beta1 = hyper[hb + 1u];
  let h_beta2 = hyper[hb + 2u];
  let h_eps = hyper[hb + 3u];
  let h_weight_decay = hyper[hb + 4u];
  let h_amsgrad = hyper[hb + 5u];
  var sx_exp_avg = ostate[sb + 0u];
  var sy_exp_avg = ostate[sb + 1u];
  var sx_exp_avg_sq = ostate[sb + 2u];
  var sy_exp_avg_sq = ostate[sb + 3u];
  var sx_max_exp_avg_sq = ostate[sb + 4u];
  var sy_max_exp_avg_sq = ostate[sb + 5u];

  var running = true;
  var stop_loss = 0.0f;

  // Every step checked as CpuEngine.stepParticle checks it, in its order; a particle that
  // stops is frozen by select() for the remaining steps, so SIMD lanes never diverge.
  let checked = params.steps;

  for (var k = 0u; k < checked; k++) {
    let e = surface_step(x, y);
    let L = e.x;
    let gx = e.y;
    let gy = e.z;
    // Priority as in the CPU reference: non-finite, diverged, converged.
    let bad = !is_finite(L) | !is_finite(gx) | !is_finite(gy) | !is_finite(x) | !is_finite(y);
    let out = (abs(x) > params.posBound) | (abs(y) > params.posBound) | (L > params.lossBound);
    let gn2 = gx * gx + gy * gy;
    let conv = (steps > 0u) & (gn2 <= params.gtol2) & (abs(L - prev_loss) <= params.ftol * (1.0f + abs(L)));
    let stop_now = running & (bad | out | conv);
    status = select(status, select(select(CONVERGED, DIVERGED, out), NONFINITE, bad), stop_now);
    stop_loss = select(stop_loss, L, stop_now);
    running = running & !stop_now;

    let t = f32(steps);
    let gnorm = sqrt(gn2);
    var cgx = gx;
    var cgy = gy;






    {
      let oc19: f32 = t + 1.0f;
      let oc20: f32 = es_pow(h_beta1, oc19);
      let oc21: f32 = 1.0f - oc20;
      let oc22: f32 = h_lr / oc21;
      let oc23: f32 = 1.0f - h_beta1;
      let oc25: bool = oc23 < 0.5f;
      let oc34: bool = h_amsgrad == 1.0f;
      let oc36: f32 = 1.0f - h_beta2;
      let oc43: f32 = es_pow(h_beta2, oc19);
      let oc44: f32 = 1.0f - oc43;
      let ox26: f32 = x * h_weight_decay;
      let ox27: f32 = cgx + ox26;
      let ox28: f32 = ox27 - sx_exp_avg;
      let ox29: f32 = oc23 * ox28;
      let ox30: f32 = sx_exp_avg + ox29;
      let ox31: f32 = h_beta1 * ox28;
      let ox32: f32 = ox27 - ox31;
      let ox33: f32 = select(ox32, ox30, oc25);
      let ox35: f32 = h_beta2 * sx_exp_avg_sq;
      let ox37: f32 = (ox27 * ox27);
      let ox38: f32 = oc36 * ox37;
      let ox39: f32 = ox35 + ox38;
      let ox40: f32 = max(sx_max_exp_avg_sq, ox39);
      let ox41: f32 = select(sx_max_exp_avg_sq, ox40, oc34);
      let ox42: f32 = select(ox39, ox41, oc34);
      let ox45: f32 = ox42 / oc44;
      let ox46: f32 = sqrt(ox45);
      let ox47: f32 = h_eps + ox46;
      let ox48: f32 = ox33 / ox47;
      let ox49: f32 = oc22 * ox48;
      let ox50: f32 = x - ox49;
      let oy26: f32 = y * h_weight_decay;
      let oy27: f32 = cgy + oy26;
      let oy28: f32 = oy27 - sy_exp_avg;
      let oy29: f32 = oc23 * oy28;
      let oy30: f32 = sy_exp_avg + oy29;
      let oy31: f32 = h_beta1 * oy28;
      let oy32: f32 = oy27 - oy31;
      let oy33: f32 = select(oy32, oy30, oc25);
      let oy35: f32 = h_beta2 * sy_exp_avg_sq;
      let oy37: f32 = (oy27 * oy27);
      let oy38: f32 = oc36 * oy37;
      let oy39: f32 = oy35 + oy38;
      let oy40: f32 = max(sy_max_exp_avg_sq, oy39);
      let oy41: f32 = select(sy_max_exp_avg_sq, oy40, oc34);
      let oy42: f32 = select(oy39, oy41, oc34);
      let oy45: f32 = oy42 / oc44;
      let oy46: f32 = sqrt(oy45);
      let oy47: f32 = h_eps + oy46;
      let oy48: f32 = oy33 / oy47;
      let oy49: f32 = oc22 * oy48;
      let oy50: f32 = y - oy49;
      let nx_p = ox50;
      let nx_exp_avg = ox33;
      let nx_exp_avg_sq = ox39;
      let nx_max_exp_avg_sq = ox41;
      let ny_p = oy50;
      let ny_exp_avg = oy33;
      let ny_exp_avg_sq = oy39;
      let ny_max_exp_avg_sq = oy41;
      x = select(x, nx_p, running);
      y = select(y, ny_p, running);
      sx_exp_avg = select(sx_exp_avg, nx_exp_avg, running);
      sy_exp_avg = select(sy_exp_avg, ny_exp_avg, running);
      sx_exp_avg_sq = select(sx_exp_avg_sq, nx_exp_avg_sq, running);
      sy_exp_avg_sq = select(sy_exp_avg_sq, ny_exp_avg_sq, running);
      sx_max_exp_avg_sq = select(sx_max_exp_avg_sq, nx_max_exp_avg_sq, running);
      sy_max_exp_avg_sq = select(sy_max_exp_avg_sq, ny_max_exp_avg_sq, running);
    }

    prev_loss = select(prev_loss, L, running);
    steps = select(steps, steps + 1u, running);

  }
  if (status == CONVERGED) { minimum = classify(x, y, stop_loss); }

  pos[i] = ParticlePos(x, y, surface_loss(x, y), prev_loss);
  ostate[sb + 0u] = sx_exp_avg;
  ostate[sb + 1u] = sy_exp_avg;
  ostate[sb + 2u] = sx_exp_avg_sq;
  ostate[sb + 3u] = sy_exp_avg_sq;
  ostate[sb + 4u] = sx_max_exp_avg_sq;
  ostate[sb + 5u] = sy_max_exp_avg_sq;
  var event_step = m.eventStep;
  if (status != RUNNING) { event_step = steps; }
  info[i] = ParticleInfo(status, steps, event_step, minimum);
}
