// What shaders/splat.wgsl should draw, computed on the CPU in float64 from the same
// rules: each pixel shows the largest key that covers it (layer, full coverage, id),
// blended over the background. Differences with the GPU are float32 rounding at disc
// rims and line steps only.

import { level, PARTICLE_LIFT, PARTICLE_RIM_PX, PARTICLE_RIM_SHADE, TRAIL_LIFT, type Mapping } from '../../src/display/mapping';
import { particleStatus, Status } from '../../src/core/particles';

export interface SplatScene {
  width: number;
  height: number;
  /** projection x view, column-major. */
  viewProj: ArrayLike<number>;
  /** Pixels per world unit at depth 1. */
  projScale: number;
  mapping: Mapping;
  size: number;
  fade: number;
  byStatus: boolean;
  highlight: { div: number; mod: number; bin: number } | null;
  pos: Float32Array;
  info: Uint32Array;
  colors: Float32Array;
  trails: { ring: Float32Array; colors: Float32Array; count: number; len: number; head: number; filled: number } | null;
  /** rgba8, row-major. */
  background: Uint8Array;
  /** The labels layer (rgba8, premultiplied), put over what the splat draws; none if absent. */
  labels?: Uint8Array;
}

const mix = (a: number, b: number, t: number) => a + (b - a) * t;

function clip(s: SplatScene, x: number, y: number, loss: number, lift: number): [number, number, number, number] {
  const m = s.mapping;
  const w = [(x - m.cx) * m.scale, level(m, loss) * m.heightScale + lift, -(y - m.cy) * m.scale, 1];
  const v = s.viewProj;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let r = 0; r < 4; r++) out[r] = v[r] * w[0] + v[4 + r] * w[1] + v[8 + r] * w[2] + v[12 + r] * w[3];
  return out;
}

const toPixels = (s: SplatScene, c: number[]) => [((c[0] / c[3]) * 0.5 + 0.5) * s.width, (0.5 - (c[1] / c[3]) * 0.5) * s.height];

export function splatReference(s: SplatScene): Uint8Array {
  const { width: W, height: H } = s;
  const keys = new Float64Array(W * H); // keys < 2^32 are exact in float64
  const paint: ((x: number, y: number) => [number, number, number, number])[] = [];
  const owner = new Int32Array(W * H).fill(-1);
  const put = (x: number, y: number, key: number, who: number) => {
    const k = y * W + x;
    if (key > keys[k]) {
      keys[k] = key;
      owner[k] = who;
    }
  };
  // Trails: segment `age` of trail t joins the points recorded age and age + 1 frames ago.
  const t = s.trails;
  if (t && t.filled > 1) {
    const segs = t.len - 1;
    for (let tr = 0; tr < t.count; tr++) {
      for (let age = 0; age < segs; age++) {
        if (age + 1 >= t.filled) continue;
        const p0 = 4 * (tr * t.len + ((t.head + t.len - age) % t.len));
        const p1 = 4 * (tr * t.len + ((t.head + t.len - age - 1) % t.len));
        const c0 = clip(s, t.ring[p0], t.ring[p0 + 1], t.ring[p0 + 2], TRAIL_LIFT);
        const c1 = clip(s, t.ring[p1], t.ring[p1 + 1], t.ring[p1 + 2], TRAIL_LIFT);
        if (!(c0[3] > 1e-6 && c1[3] > 1e-6)) continue;
        const a = toPixels(s, c0);
        const b = toPixels(s, c1);
        const n = Math.min(Math.ceil(Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]))), 1024);
        const key = (((segs - age) << 12) | tr) + 1;
        const alpha = (1 - age / t.len) * 0.85;
        const color = t.colors.subarray(4 * tr, 4 * tr + 3);
        const who = paint.push(() => [color[0], color[1], color[2], alpha]) - 1;
        for (let k = 0; k <= n; k++) {
          const f = n === 0 ? 0 : k / n;
          const x = Math.floor(mix(a[0], b[0], f));
          const y = Math.floor(mix(a[1], b[1], f));
          if (x >= 0 && y >= 0 && x < W && y < H) put(x, y, key, who);
        }
      }
    }
  }
  const n = s.info.length / 4;
  for (let i = 0; i < n; i++) {
    const [x, y, loss] = [s.pos[4 * i], s.pos[4 * i + 1], s.pos[4 * i + 2]];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const c = clip(s, x, y, loss, PARTICLE_LIFT);
    if (!(c[3] > 1e-6)) continue;
    const [cx, cy] = toPixels(s, c);
    const status = particleStatus(s.info, i);
    const stopped = status >= Status.Diverged;
    const converged = status === Status.Converged;
    const h = s.highlight;
    const inBin = h ? Math.floor(i / h.div) % h.mod === h.bin : false;
    const lit = !!h && inBin;
    const dimmed = !!h && !inBin;
    const size = s.size * (converged ? 1.5 : 1) * (lit ? 1.8 : 1);
    const radius = Math.max(0.75, (0.44 * size * s.projScale) / c[3]);
    const layer = lit ? 3 : stopped || dimmed ? 1 : 2;
    const opacity = (stopped ? s.fade : 1) * (dimmed ? 0.15 : 1);
    const col = [s.colors[4 * i], s.colors[4 * i + 1], s.colors[4 * i + 2]];
    const byLr = converged ? col.map((v) => mix(v, 1, 0.35)) : col;
    const byStatus = converged
      ? [0.3, 0.85, 0.4]
      : status === Status.Diverged
        ? [0.95, 0.3, 0.25]
        : status === Status.NonFinite
          ? [0.9, 0.3, 0.9]
          : [0.65, 0.75, 0.95];
    const base = byLr.map((v, k) => mix(v, byStatus[k], s.byStatus ? 1 : 0));
    const color = lit ? base.map((v) => mix(v, 1, 0.5)) : base;
    // The coloured disc and its dark rim PARTICLE_RIM_PX wide.
    const r = radius + PARTICLE_RIM_PX + 0.5;
    for (let py = Math.max(0, Math.floor(cy - r)); py <= Math.min(H - 1, Math.ceil(cy + r)); py++) {
      for (let px = Math.max(0, Math.floor(cx - r)); px <= Math.min(W - 1, Math.ceil(cx + r)); px++) {
        const o = Math.hypot(px + 0.5 - cx, py + 0.5 - cy);
        const cov = Math.min(1, Math.max(0, r - o));
        if (cov <= 0) continue;
        const key = layer * 2 ** 30 + (cov >= 1 ? 2 ** 29 : 0) + ((i + 1) % 2 ** 29);
        const t = Math.min(1, Math.max(0, o - radius + 0.5));
        const shaded = color.map((v) => mix(v, v * PARTICLE_RIM_SHADE, t));
        const who = paint.push(() => [shaded[0], shaded[1], shaded[2], cov * opacity]) - 1;
        put(px, py, key, who);
      }
    }
  }
  const out = new Uint8Array(s.background);
  for (let k = 0; k < W * H; k++) {
    if (owner[k] < 0) continue;
    const [r, g, b, a] = paint[owner[k]](k % W, Math.floor(k / W));
    const bg = s.background.subarray(4 * k, 4 * k + 3);
    const la = s.labels ? s.labels[4 * k + 3] / 255 : 0;
    const blend = (fg: number, back: number, c: number) => {
      const drawn = a < 1 ? mix(back / 255, fg, a) : fg;
      return Math.round(255 * ((s.labels ? s.labels[4 * k + c] / 255 : 0) + (1 - la) * drawn));
    };
    out[4 * k] = blend(r, bg[0], 0);
    out[4 * k + 1] = blend(g, bg[1], 1);
    out[4 * k + 2] = blend(b, bg[2], 2);
    out[4 * k + 3] = 255;
  }
  return out;
}
