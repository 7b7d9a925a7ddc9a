// The page's network map plan (src/app/network-map-plan.ts) and the precision rule it
// shares with the CLI (src/core/nn/precision.ts): coarse level first, then the full map;
// float32 while it resolves the window, df64 below; the rates each pixel trains with;
// a deep window's axes in the figure (ticks as offsets from a base).

import { describe, expect, test } from 'vitest';
import { axisValue } from '../../src/core/layouts';
import { F32_MIN_RELATIVE_WIDTH, mapPrecision, type WindowAxis } from '../../src/core/nn/precision';
import { DEFAULT_STATE, type ExplorerState } from '../../src/model/state';
import { netMapPlan, netMapRates } from '../../src/app/network-map-plan';
import { MAP_COARSE } from '../../src/app/view-specs';
import { uniform01 } from '../../src/core/random';
import { axisOffset } from '../../src/display/map-figure';
import { linearTicks } from '../../src/display/ticks';

const state = (change: Partial<ExplorerState> = {}): ExplorerState => ({ ...DEFAULT_STATE, model: 'mlp:1,16,1:tanh:mean-field', ...change });
const lr = (param: string, min: number, max: number, scale: 'log' | 'linear' = 'log') => ({ param, min, max, scale });
const axis = (min: number, max: number, n: number, scale: 'log' | 'linear' = 'linear'): WindowAxis => ({ param: 'lr_layer0', min, max, n, scale });

describe('the precision a window needs', () => {
  test('float32 over a wide window; df64 once the width falls under the threshold, on either axis', () => {
    const wide = axis(0.01, 100, 256, 'log');
    expect(mapPrecision(wide, wide)).toEqual({ precision: 'f32', why: null });
    const w = (rel: number) => axis(16, 16 * (1 + rel), 16);
    expect(mapPrecision(w(2 * F32_MIN_RELATIVE_WIDTH), wide).precision).toBe('f32');
    const deep = mapPrecision(wide, { ...w(F32_MIN_RELATIVE_WIDTH / 2), param: 'lr_layer1' });
    expect(deep.precision).toBe('df64');
    expect(deep.why).toMatch(/lr_layer1 spans 5\.0e-6 of its value/);
  });

  test('a window float32 is said to resolve keeps every pixel a distinct float32 rate, within about a quarter pixel of its value', () => {
    // Random windows and resolutions: the pixel rule must make exactly those safe.
    let draws = 0;
    const rnd = () => uniform01(7, 0, draws++);
    let resolved = 0;
    for (let k = 0; k < 400; k++) {
      const n = 2 + Math.floor(rnd() * 1000);
      const min = 10 ** (4 * rnd() - 2);
      const max = min * (1 + 10 ** (-7 + 6 * rnd()));
      const a = axis(min, max, n, rnd() < 0.5 ? 'log' : 'linear');
      if (mapPrecision(a, a).precision === 'df64') continue;
      resolved++;
      const exact = Array.from({ length: n }, (_, i) => axisValue(min, max, n, i, a.scale));
      const f = exact.map(Math.fround);
      const bad = f.findIndex((v, i) => i > 0 && !(v > f[i - 1] && Math.abs(v - exact[i]) <= 0.3 * (exact[i] - exact[i - 1])));
      expect(bad, `[${min}, ${max}] over ${n} pixels (${a.scale})`).toBe(-1);
    }
    expect(resolved).toBeGreaterThan(50);
  });

  test('too few float32 spacings between pixels: df64 even above the width threshold', () => {
    // 1e-4 of the value over 2048 pixels: neighbours 5e-8 apart, under float32's spacing.
    const p = mapPrecision(axis(1, 1.0001, 2048), axis(1, 2, 2048));
    expect(p.precision).toBe('df64');
    expect(p.why).toMatch(/pixels are/);
    expect(mapPrecision(axis(1, 1.0001, 64), axis(1, 2, 64)).precision).toBe('f32');
  });
});

describe('the network map plan', () => {
  test('first open: a coarse level, then the full map, over [lrMin, lrMax]^2 in float32', () => {
    const p = netMapPlan(state({ mapRes: 128, lrMin: 0.01, lrMax: 100 }), false);
    expect(p.precision).toBe('f32');
    expect(p.levels.map((l) => [l.x.n, l.y.n])).toEqual([
      [MAP_COARSE, MAP_COARSE],
      [128, 128],
    ]);
    for (const l of p.levels) {
      expect([l.x.param, l.x.min, l.x.max, l.y.param]).toEqual(['lr_layer0', 0.01, 100, 'lr_layer1']);
    }
  });

  test('a dragged window: the same two levels over it; a deep one in df64 for both levels', () => {
    const mapWindow = { x: lr('lr_layer0', 15.514, 15.514 * (1 + 1e-7)), y: lr('lr_layer1', 12, 12.5) };
    const p = netMapPlan(state({ mapRes: 64, mapWindow }), false);
    expect(p.levels.map((l) => [l.x.n, l.x.min, l.x.max])).toEqual([
      [32, 15.514, 15.514 * (1 + 1e-7)],
      [64, 15.514, 15.514 * (1 + 1e-7)],
    ]);
    expect(p.precision).toBe('df64');
    expect(netMapPlan(state({ mapRes: 64, mapWindow: { ...mapWindow, x: lr('lr_layer0', 15, 16) } }), false).precision).toBe('f32');
    // A window over other axes (the surface map's) leaves the network map on its default window.
    expect(netMapPlan(state({ mapWindow: { x: lr('lr', 1e-3, 1), y: lr('momentum', 0, 0.9, 'linear') } }), false).levels[0].x.param).toBe('lr_layer0');
  });

  test('small maps get a coarse pass of half their side; a software GPU caps the side at 32', () => {
    expect(netMapPlan(state({ mapRes: 12 }), false).levels.map((l) => l.x.n)).toEqual([6, 12]);
    expect(netMapPlan(state({ mapRes: 512 }), true).levels.map((l) => l.x.n)).toEqual([16, 32]);
    expect(netMapPlan(state({ mapRes: 1 }), false).levels.map((l) => l.x.n)).toEqual([1]);
  });

  test('rates per pixel: row-major from the y minimum, float64 in df64, float32 otherwise, the other layers at the fill', () => {
    const level = netMapPlan(state({ mapRes: 4, mapWindow: { x: lr('lr_layer2', 1, 1 + 1e-9, 'linear'), y: lr('lr_layer0', 2, 8, 'linear') } }), false)
      .levels[1];
    expect([level.x.n, level.y.n]).toEqual([4, 4]);
    const df = netMapRates(level, 3, 0.3, 'df64');
    const f32 = netMapRates(level, 3, 0.3, 'f32');
    expect(df).toHaveLength(16);
    const [y, fill, x] = df[4 * 1 + 2];
    expect([y, fill]).toEqual([4, 0.3]);
    expect(Math.abs(x - (1 + 2e-9 / 3))).toBeLessThan(1e-15);
    expect(new Set(df.map((r) => r[2])).size).toBe(4);
    expect(new Set(f32.map((r) => r[2])).size).toBe(1);
    expect(f32[4 * 3 + 0]).toEqual([8, Math.fround(0.3), 1]);
    expect(() => netMapRates(level, 2, 0.3, 'f32')).toThrow(/2 weight matrices: the map's axes are lr_layer0..lr_layer1/);
  });
});

describe("a deep window's axis in the figure", () => {
  test('ticks are offsets from a base inside the window, their labels distinct; wide windows keep plain ticks', () => {
    const y = { param: 'lr_layer1', min: 131.2417858, max: 131.2417888, n: 12, scale: 'log' as const };
    const base = axisOffset(y)!;
    expect(base).toBeGreaterThan(y.min);
    expect(base).toBeLessThan(y.max);
    // Digits enough that the base lies within a tenth of the width of the centre.
    expect(Math.abs(base - (y.min + y.max) / 2)).toBeLessThan((y.max - y.min) / 10);
    const ticks = linearTicks(y.min - base, y.max - base, 4);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
    expect(axisOffset({ ...y, min: 0.01, max: 1000 })).toBeNull();
    expect(axisOffset({ ...y, min: 131, max: 132 })).toBeNull();
  });
});
