// Particles and trails drawn by compute, straight into the canvas (src/render/splat.ts).
// A software rasterizer (SwiftShader) spends most of a frame on 10^4 sprite quads; here
// each particle walks the few pixels of its disc instead. Two passes make it exact and
// deterministic: `*_splat` keeps, per pixel, the largest key of what covers it
// (atomicMax); `*_resolve` lets only that winner write its colour over the cached
// surface image, and resets the pixel's key to 0 for the next frame.
//
// Key: bits 30-31 layer (0 trail, 1 faded particle, 2 particle, 3 highlighted),
// bit 29 full coverage (a disc's inside beats a neighbour's anti-aliased rim),
// bits 0-28 id + 1 (particle index, or a trail segment: newer on top).

// src/render/splat.ts (splatShader) prepends what kernels share (status codes,
// WORKGROUP_SIZE, ParticlePos, ParticleInfo, is_finite), the mapping's constants
// (LOG_GAIN, HEIGHT_CLIP, lifts) and the SplatParams struct.

@group(0) @binding(0) var<uniform> P: SplatParams;
@group(0) @binding(1) var<storage, read> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read> info: array<ParticleInfo>;
@group(0) @binding(3) var<storage, read> colors: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> keys: array<atomic<u32>>;
@group(0) @binding(5) var background: texture_2d<f32>;
@group(0) @binding(6) var frame: texture_storage_2d<FORMAT, write>;
@group(0) @binding(7) var<storage, read> ring: array<ParticlePos>;
@group(0) @binding(8) var<storage, read> trail_colors: array<vec4<f32>>;
// The minima's labels (premultiplied alpha), put back over whatever is drawn here.
@group(0) @binding(9) var labels: texture_2d<f32>;

const MAX_TRAIL_PIXELS = 1024;

// render/mapping.ts level(): 0 at the lowest loss, 1 at the colour scale's top.
fn level(loss: f32) -> f32 {
  let bits = bitcast<u32>(loss) & 0x7fffffffu;
  if (bits > 0x7f800000u) { return HEIGHT_CLIP; } // NaN
  let t = max(0.0, (loss - P.lossMin) / (P.lossTop - P.lossMin));
  let lg = log(t * LOG_GAIN + 1.0) / log(1.0 + LOG_GAIN);
  return min(select(t, lg, P.logHeight != 0u), HEIGHT_CLIP);
}

// Clip-space position of a domain point (x, y, loss) lifted above the surface.
fn clip_of(p: ParticlePos, lift: f32) -> vec4<f32> {
  let world = vec3<f32>((p.x - P.mapCenter.x) * P.mapScale, level(p.loss) * P.heightScale + lift, -(p.y - P.mapCenter.y) * P.mapScale);
  return P.viewProj * vec4<f32>(world, 1.0);
}

fn to_pixels(clip: vec4<f32>) -> vec2<f32> {
  let ndc = clip.xy / clip.w;
  return vec2<f32>((ndc.x * 0.5 + 0.5) * P.viewport.x, (0.5 - ndc.y * 0.5) * P.viewport.y);
}

struct Disc {
  center: vec2<f32>,
  radius: f32,
  visible: bool,
  layer: u32,
  opacity: f32,
  color: vec3<f32>,
}

fn disc(i: u32) -> Disc {
  var d: Disc;
  let p = pos[i];
  let clip = clip_of(p, PARTICLE_LIFT);
  d.visible = is_finite(p.x) && is_finite(p.y) && clip.w > 1e-6;
  if (!d.visible) { return d; }
  d.center = to_pixels(clip);
  let status = info[i].status;
  let stopped = status >= DIVERGED;
  let converged = status == CONVERGED;
  let on = P.highlight != 0u;
  let in_bin = ((i / max(P.highlightDiv, 1u)) % max(P.highlightMod, 1u)) == P.highlightBin;
  let lit = on && in_bin;
  let dimmed = on && !in_bin;
  // The sprite's disc edge (render/particles.ts): 0.44 of its size, converged 1.5x, highlighted 1.8x.
  let size = P.particleSize * select(1.0, 1.5, converged) * select(1.0, 1.8, lit);
  d.radius = max(0.75, 0.44 * size * P.pixelsPerUnit / clip.w);
  d.layer = select(select(2u, 1u, stopped || dimmed), 3u, lit);
  d.opacity = select(1.0, P.stoppedOpacity, stopped) * select(1.0, 0.15, dimmed);
  let c = colors[i].xyz;
  let by_lr = select(c, mix(c, vec3<f32>(1.0), 0.35), converged);
  // Status palette: running blue-grey, converged green, diverged red, non-finite magenta.
  let by_status = select(select(select(vec3<f32>(0.65, 0.75, 0.95), vec3<f32>(0.9, 0.3, 0.9), status == NONFINITE), vec3<f32>(0.95, 0.3, 0.25), status == DIVERGED), vec3<f32>(0.3, 0.85, 0.4), converged);
  let base = select(by_lr, by_status, P.colorByStatus != 0u);
  d.color = select(base, mix(base, vec3<f32>(1.0), 0.5), lit);
  return d;
}

// The disc with its dark rim: the coloured disc and PARTICLE_RIM_PX pixels around it.
fn outer(d: Disc) -> f32 {
  return d.radius + PARTICLE_RIM_PX;
}

// Pixel bounds of a disc, clipped to the viewport: (x0, x1, y0, y1), empty when x0 > x1.
fn bounds(d: Disc) -> vec4<i32> {
  let r = outer(d) + 0.5;
  let w = i32(P.viewport.x) - 1;
  let h = i32(P.viewport.y) - 1;
  let lo = clamp(floor(d.center - vec2<f32>(r)), vec2<f32>(-1.0), vec2<f32>(P.viewport));
  let hi = clamp(ceil(d.center + vec2<f32>(r)), vec2<f32>(-1.0), vec2<f32>(P.viewport));
  return vec4<i32>(max(i32(lo.x), 0), min(i32(hi.x), w), max(i32(lo.y), 0), min(i32(hi.y), h));
}

// Pixels of row y whose centres lie within radius + 0.5 of the disc's centre: (x0, x1).
fn row_span(d: Disc, b: vec4<i32>, y: i32) -> vec2<i32> {
  let r = outer(d) + 0.5;
  let dy = f32(y) + 0.5 - d.center.y;
  let half = sqrt(max(0.0, r * r - dy * dy));
  return vec2<i32>(max(i32(ceil(d.center.x - half - 0.5)), b.x), min(i32(floor(d.center.x + half - 0.5)), b.y));
}

// Anti-aliased coverage of pixel (x, y) by the disc and its rim, in [0, 1].
fn coverage(d: Disc, x: i32, y: i32) -> f32 {
  let o = vec2<f32>(f32(x) + 0.5, f32(y) + 0.5) - d.center;
  return clamp(outer(d) + 0.5 - length(o), 0.0, 1.0);
}

// The colour at pixel (x, y): the particle's inside the disc, its dark rim from half a pixel inside the edge.
fn rim_color(d: Disc, x: i32, y: i32) -> vec3<f32> {
  let o = vec2<f32>(f32(x) + 0.5, f32(y) + 0.5) - d.center;
  let t = clamp(length(o) - d.radius + 0.5, 0.0, 1.0);
  return mix(d.color, d.color * PARTICLE_RIM_SHADE, t);
}

fn particle_key(d: Disc, i: u32, cov: f32) -> u32 {
  return (d.layer << 30u) | (select(0u, 1u, cov >= 1.0) << 29u) | ((i + 1u) & 0x1fffffffu);
}

fn pixel(x: i32, y: i32) -> u32 {
  return u32(y) * u32(P.viewport.x) + u32(x);
}

fn blend(x: i32, y: i32, color: vec3<f32>, alpha: f32) {
  var out = color;
  if (alpha < 1.0) {
    out = mix(textureLoad(background, vec2<i32>(x, y), 0).rgb, color, alpha);
  }
  let label = textureLoad(labels, vec2<i32>(x, y), 0);
  out = label.rgb + (1.0 - label.a) * out;
  textureStore(frame, vec2<i32>(x, y), vec4<f32>(out, 1.0));
}

// One walk over a particle's disc for both passes, so the resolve visits exactly the
// pixels, with exactly the keys, that the splat did.
fn particle_pass(i: u32, resolve: bool) {
  if (i >= P.particleCount) { return; }
  let d = disc(i);
  if (!d.visible) { return; }
  let b = bounds(d);
  for (var y = b.z; y <= b.w; y++) {
    let span = row_span(d, b, y);
    for (var x = span.x; x <= span.y; x++) {
      let cov = coverage(d, x, y);
      if (cov <= 0.0) { continue; }
      let k = pixel(x, y);
      let key = particle_key(d, i, cov);
      // A plain load first: where particles pile up, most pixels already hold a larger key.
      let held = atomicLoad(&keys[k]);
      if (!resolve) {
        if (held < key) { atomicMax(&keys[k], key); }
      } else if (held == key) {
        atomicStore(&keys[k], 0u);
        blend(x, y, rim_color(d, x, y), cov * d.opacity);
      }
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn particles_splat(@builtin(global_invocation_id) gid: vec3<u32>) {
  particle_pass(gid.x, false);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn particles_resolve(@builtin(global_invocation_id) gid: vec3<u32>) {
  particle_pass(gid.x, true);
}

// Trail segment s (0 newest) of trail t: its two ends, or nothing when not yet recorded.
struct Segment {
  a: vec2<f32>,
  b: vec2<f32>,
  visible: bool,
  key: u32,
  alpha: f32,
}

fn segment(j: u32) -> Segment {
  var s: Segment;
  let len = P.trailLen;
  let segs = len - 1u;
  let t = j / segs;
  let age = j % segs;
  s.visible = age + 1u < P.trailFilled;
  if (!s.visible) { return s; }
  let head = P.trailHead;
  let p0 = ring[t * len + (head + len - age) % len];
  let p1 = ring[t * len + (head + len - age - 1u) % len];
  let c0 = clip_of(p0, TRAIL_LIFT);
  let c1 = clip_of(p1, TRAIL_LIFT);
  s.visible = c0.w > 1e-6 && c1.w > 1e-6 && is_finite(p0.x) && is_finite(p0.y) && is_finite(p1.x) && is_finite(p1.y);
  s.a = to_pixels(c0);
  s.b = to_pixels(c1);
  // Fading with age as the line material did; newer segments drawn over older ones.
  s.alpha = (1.0 - f32(age) / f32(len)) * 0.85;
  s.key = (((segs - age) << 12u) | t) + 1u;
  return s;
}

fn segment_steps(s: Segment) -> i32 {
  let d = abs(s.b - s.a);
  return min(i32(ceil(max(d.x, d.y))), MAX_TRAIL_PIXELS);
}

fn segment_pixel(s: Segment, k: i32, n: i32) -> vec2<i32> {
  let f = select(f32(k) / f32(n), 0.0, n == 0);
  return vec2<i32>(floor(mix(s.a, s.b, f)));
}

fn inside(p: vec2<i32>) -> bool {
  return p.x >= 0 && p.y >= 0 && p.x < i32(P.viewport.x) && p.y < i32(P.viewport.y);
}

// One walk along a trail segment for both passes (as particle_pass).
fn trail_pass(j: u32, resolve: bool) {
  if (j >= P.trailCount * (P.trailLen - 1u)) { return; }
  let s = segment(j);
  if (!s.visible) { return; }
  let color = trail_colors[j / (P.trailLen - 1u)].xyz;
  let n = segment_steps(s);
  for (var k = 0; k <= n; k++) {
    let p = segment_pixel(s, k, n);
    if (!inside(p)) { continue; }
    let px = pixel(p.x, p.y);
    let held = atomicLoad(&keys[px]);
    if (!resolve) {
      if (held < s.key) { atomicMax(&keys[px], s.key); }
    } else if (held == s.key) {
      atomicStore(&keys[px], 0u);
      blend(p.x, p.y, color, s.alpha);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn trails_splat(@builtin(global_invocation_id) gid: vec3<u32>) {
  trail_pass(gid.x, false);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn trails_resolve(@builtin(global_invocation_id) gid: vec3<u32>) {
  trail_pass(gid.x, true);
}
