
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


// Generated from: 0.5*(1*x^2 + 10*y^2)
fn surface_step(x: f32, y: f32) -> vec3<f32> {
  let s3: f32 = (x * x);
  let s5: f32 = (y * y);
  let s6: f32 = 10.0f * s5;
  let s7: f32 = s3 + s6;
  let s8: f32 = 0.5f * s7;
  let s9: f32 = y * 10.0f;
  return vec3<f32>(s8, x, s9);
}

fn surface_loss(x: f32, y: f32) -> f32 {
  let l3: f32 = (x * x);
  let l5: f32 = (y * y);
  let l6: f32 = 10.0f * l5;
  let l7: f32 = l3 + l6;
  let l8: f32 = 0.5f * l7;
  return l8;
}

// (hxx, hxy, hyy)
fn surface_hessian(x: f32, y: f32) -> vec3<f32> {

  return vec3<f32>(1.0f, 0.0f, 10.0f);
}


fn classify(x: f32, y: f32, loss: f32) -> u32 {
  var best = NO_MINIMUM;
  var best_d = 3.0e38f;
  {
    let dx = x - 0.0f;
    let dy = y - 0.0f;
    let d2 = dx * dx + dy * dy;
    if (d2 <= 0.0799999982f && loss <= 0.00100000005f && d2 < best_d) { best = 0u; best_d = d2; }
  }
  return best;
}


// SGD: 5 hyperparameters, 2 state floats per particle.
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
  let hb = i * 5u;
  let sb = i * 2u;
  let h_lr = hyper[hb + 0u];
  let h_momentum = hyper[hb + 1u];
  let h_dampening = hyper[hb + 2u];
  let h_weight_decay = hyper[hb + 3u];
  let h_nesterov = hyper[hb + 4u];
  var sx_buf = ostate[sb + 0u];
  var sy_buf = ostate[sb + 1u];

  var running = true;
  var stop_loss = 0.0f;

  // The dispatch's steps as one chunk (at most STEP_CHUNK). The fast pass runs them with
  // the arithmetic and one running test that holds only if no check of the CPU reference
  // (non-finite, diverged, converged) can fire at any step: x, y and the loss finite and
  // within their bounds, and gtol2 < |g|^2 < inf. Where it fails, the steps run again
  // from the saved start with the checks of CpuEngine.stepParticle at every step, in its
  // order, a stopped particle frozen by select(); so statuses and event steps are the
  // reference's. Where the test held, the steps short of a whole unrolled block run
  // checked after the fast ones.

  let pb = min(params.posBound, F32_MAX);
  let lb = min(params.lossBound, F32_MAX);

  let gtol2 = params.gtol2;
  let x0 = x;
  let y0 = y;
  let prev_loss0 = prev_loss;
  let steps0 = steps;
  let sx_buf0 = sx_buf;
  let sy_buf0 = sy_buf;
  var ok = true;
  // Whole blocks of 1 steps; the rest of the dispatch's steps run checked below.
  let fast_steps = params.steps - params.steps % 1u;
  for (var k = 0u; k < fast_steps; k += 1u) {
    {
      let e = surface_step(x, y);
      let L = e.x;
      let gx = e.y;
      let gy = e.z;
      let gn2 = gx * gx + gy * gy;
      ok = ok & (abs(x) <= pb) & (abs(y) <= pb) & (L <= lb) & (L >= -F32_MAX) & (gn2 > gtol2) & (gn2 <= F32_MAX);

      let t = f32(steps);
      let gnorm = sqrt(gn2);
      var cgx = gx;
      var cgy = gy;






      {
        let oc16: bool = h_momentum == 0.0f;
        let oc20: bool = h_nesterov == 1.0f;
        let oc21: bool = t == 0.0f;
        let oc23: f32 = 1.0f - h_dampening;
        let ox17: f32 = x * h_weight_decay;
        let ox18: f32 = cgx + ox17;
        let ox22: f32 = h_momentum * sx_buf;
        let ox24: f32 = ox18 * oc23;
        let ox25: f32 = ox22 + ox24;
        let ox26: f32 = select(ox25, ox18, oc21);
        let ox27: f32 = h_momentum * ox26;
        let ox28: f32 = ox18 + ox27;
        let ox29: f32 = select(ox26, ox28, oc20);
        let ox30: f32 = select(ox29, ox18, oc16);
        let ox31: f32 = h_lr * ox30;
        let ox32: f32 = x - ox31;
        let oy17: f32 = y * h_weight_decay;
        let oy18: f32 = cgy + oy17;
        let oy22: f32 = h_momentum * sy_buf;
        let oy24: f32 = oy18 * oc23;
        let oy25: f32 = oy22 + oy24;
        let oy26: f32 = select(oy25, oy18, oc21);
        let oy27: f32 = h_momentum * oy26;
        let oy28: f32 = oy18 + oy27;
        let oy29: f32 = select(oy26, oy28, oc20);
        let oy30: f32 = select(oy29, oy18, oc16);
        let oy31: f32 = h_lr * oy30;
        let oy32: f32 = y - oy31;
        let nx_p = ox32;
        let nx_buf = ox26;
        let ny_p = oy32;
        let ny_buf = oy26;
        x = nx_p;
        y = ny_p;
        sx_buf = nx_buf;
        sy_buf = ny_buf;
      }

      prev_loss = L;
      steps = steps + 1u;

    }

  }
  x = select(x0, x, ok);
  y = select(y0, y, ok);
  prev_loss = select(prev_loss0, prev_loss, ok);
  steps = select(steps0, steps, ok);
  sx_buf = select(sx_buf0, sx_buf, ok);
  sy_buf = select(sy_buf0, sy_buf, ok);
  let checked = select(params.steps, params.steps - fast_steps, ok);

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
      let oc16: bool = h_momentum == 0.0f;
      let oc20: bool = h_nesterov == 1.0f;
      let oc21: bool = t == 0.0f;
      let oc23: f32 = 1.0f - h_dampening;
      let ox17: f32 = x * h_weight_decay;
      let ox18: f32 = cgx + ox17;
      let ox22: f32 = h_momentum * sx_buf;
      let ox24: f32 = ox18 * oc23;
      let ox25: f32 = ox22 + ox24;
      let ox26: f32 = select(ox25, ox18, oc21);
      let ox27: f32 = h_momentum * ox26;
      let ox28: f32 = ox18 + ox27;
      let ox29: f32 = select(ox26, ox28, oc20);
      let ox30: f32 = select(ox29, ox18, oc16);
      let ox31: f32 = h_lr * ox30;
      let ox32: f32 = x - ox31;
      let oy17: f32 = y * h_weight_decay;
      let oy18: f32 = cgy + oy17;
      let oy22: f32 = h_momentum * sy_buf;
      let oy24: f32 = oy18 * oc23;
      let oy25: f32 = oy22 + oy24;
      let oy26: f32 = select(oy25, oy18, oc21);
      let oy27: f32 = h_momentum * oy26;
      let oy28: f32 = oy18 + oy27;
      let oy29: f32 = select(oy26, oy28, oc20);
      let oy30: f32 = select(oy29, oy18, oc16);
      let oy31: f32 = h_lr * oy30;
      let oy32: f32 = y - oy31;
      let nx_p = ox32;
      let nx_buf = ox26;
      let ny_p = oy32;
      let ny_buf = oy26;
      x = select(x, nx_p, running);
      y = select(y, ny_p, running);
      sx_buf = select(sx_buf, nx_buf, running);
      sy_buf = select(sy_buf, ny_buf, running);
    }

    prev_loss = select(prev_loss, L, running);
    steps = select(steps, steps + 1u, running);

  }
  if (status == CONVERGED) { minimum = classify(x, y, stop_loss); }

  pos[i] = ParticlePos(x, y, surface_loss(x, y), prev_loss);
  ostate[sb + 0u] = sx_buf;
  ostate[sb + 1u] = sy_buf;
  var event_step = m.eventStep;
  if (status != RUNNING) { event_step = steps; }
  info[i] = ParticleInfo(status, steps, event_step, minimum);
}
