// Map colours (integer-exact), fractions, boundaries, and the figure's geometry and drawing.

import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, test } from 'vitest';
import { linearTicks } from '../../src/display/ticks';
import {
  BASIN_DIVERGED,
  BASIN_OTHER,
  BASIN_PALETTE,
  BASIN_RUNNING,
  boundaryAlong,
  CONVERGED_LUT,
  DIVERGED_LUT,
  fallBucket,
  lossFloor,
  mapFractions,
  mapPixel,
  packRgba,
  plog2,
  RUNNING_LUT,
  stepBucket,
  unpackRgba,
  type MapColorOptions,
} from '../../src/core/analysis/map';
import { axisValue } from '../../src/core/layouts';
import { INFO_WORDS, NO_MINIMUM, Status, setParticleInfo } from '../../src/core/particles';
import {
  axisFraction,
  axisValueAt,
  basinLegend,
  drawMapFigure,
  flippedRows,
  mapFigureGeometry,
  outcomeLegend,
  pixelAt,
  windowFromDrag,
  wrapText,
  type Context2D,
  type MapAxis,
} from '../../src/display/map-figure';

const outcome: MapColorOptions = { coloring: 'outcome', steps: 1000, floor: 0 };
const basin: MapColorOptions = { ...outcome, coloring: 'basin' };

describe('map colours', () => {
  test('packRgba is ImageData byte order and unpacks', () => {
    const c = packRgba(1, 2, 3, 4);
    expect(Array.from(new Uint8Array(Uint32Array.of(c).buffer))).toEqual([1, 2, 3, 4]);
    expect(unpackRgba(c)).toEqual([1, 2, 3, 4]);
  });

  test('plog2: exact at powers of 2, monotone, within 0.09 of log2', () => {
    for (let k = 0; k < 31; k++) expect(plog2(2 ** k)).toBe(k * 65536);
    let prev = -1;
    for (let v = 1; v < 3e6; v = Math.floor(v * 1.01) + 1) {
      const p = plog2(v);
      expect(p).toBeGreaterThanOrEqual(prev);
      expect(Math.abs(p / 65536 - Math.log2(v))).toBeLessThan(0.09);
      prev = p;
    }
  });

  test('step buckets: step 0 first, the last step last, faster runs never later', () => {
    expect(stepBucket(0, 1000, 64)).toBe(0);
    expect(stepBucket(1000, 1000, 64)).toBe(63);
    expect(stepBucket(5000, 1000, 64)).toBe(63);
    expect(stepBucket(31, 1000, 64)).toBe(Math.floor((63 * 5 * 65536) / plog2(1001)));
    for (let e = 1; e <= 1000; e++) expect(stepBucket(e, 1000, 64)).toBeGreaterThanOrEqual(stepBucket(e - 1, 1000, 64));
    expect(stepBucket(3, 0, 64)).toBe(63); // a run of 0 steps: every event is at its end
  });

  test('fall buckets: octaves the loss gap fell, edge cases', () => {
    expect(fallBucket(1, 1, 0, 32)).toBe(0);
    expect(fallBucket(2 ** -10, 1, 0, 32)).toBe(10);
    expect(fallBucket(3 * 2 ** -7, 3, 0, 32)).toBe(7);
    expect(fallBucket(2, 1, 0, 32)).toBe(0); // rose
    expect(fallBucket(2 ** -40, 1, 0, 32)).toBe(31); // clamped
    expect(fallBucket(-1, 1, -0.5, 32)).toBe(31); // below the floor
    expect(fallBucket(-0.5, 1, -0.5, 32)).toBe(31); // at the floor
    expect(fallBucket(1e-40, 1, 0, 32)).toBe(31); // a subnormal gap counts as none left
    expect(fallBucket(-0.25, 1.5, -0.5, 32)).toBe(3); // gap 0.25 of 2
    expect(fallBucket(NaN, 1, 0, 32)).toBe(0);
    expect(fallBucket(Infinity, 1, 0, 32)).toBe(0);
    expect(fallBucket(0.5, -1, 0, 32)).toBe(0); // no gap at the start
    expect(fallBucket(0.5, NaN, 0, 32)).toBe(0);
  });

  test('outcome colouring: each status in its own scale, intensity by speed', () => {
    expect(mapPixel(Status.Converged, 10, 0, 0, 1, outcome)).toBe(CONVERGED_LUT[stepBucket(10, 1000, 64)]);
    expect(mapPixel(Status.Diverged, 3, NO_MINIMUM, 1e30, 1, outcome)).toBe(DIVERGED_LUT[stepBucket(3, 1000, 64)]);
    expect(mapPixel(Status.NonFinite, 3, NO_MINIMUM, NaN, 1, outcome)).toBe(DIVERGED_LUT[stepBucket(3, 1000, 64)]);
    expect(mapPixel(Status.Running, 0, NO_MINIMUM, 2 ** -5, 1, outcome)).toBe(RUNNING_LUT[5]);
    // fast is dark, slow is light, in both scales
    const lum = (c: number) =>
      unpackRgba(c)
        .slice(0, 3)
        .reduce((a, b) => a + b, 0);
    expect(lum(CONVERGED_LUT[0])).toBeLessThan(lum(CONVERGED_LUT[63]));
    expect(lum(DIVERGED_LUT[0])).toBeLessThan(lum(DIVERGED_LUT[63]));
    // the scales do not share colours
    const all = [...CONVERGED_LUT, ...DIVERGED_LUT, ...RUNNING_LUT];
    expect(new Set(all).size).toBe(all.length);
  });

  test('basin colouring: a colour per minimum, then elsewhere, diverged, running', () => {
    expect(mapPixel(Status.Converged, 10, 1, 0, 1, basin)).toBe(BASIN_PALETTE[1]);
    expect(mapPixel(Status.Converged, 10, BASIN_PALETTE.length + 2, 0, 1, basin)).toBe(BASIN_PALETTE[2]);
    expect(mapPixel(Status.Converged, 10, NO_MINIMUM, 0, 1, basin)).toBe(BASIN_OTHER);
    expect(mapPixel(Status.Diverged, 10, NO_MINIMUM, 0, 1, basin)).toBe(BASIN_DIVERGED);
    expect(mapPixel(Status.NonFinite, 10, NO_MINIMUM, 0, 1, basin)).toBe(BASIN_DIVERGED);
    expect(mapPixel(Status.Running, 10, NO_MINIMUM, 0, 1, basin)).toBe(BASIN_RUNNING);
    expect(new Set([...BASIN_PALETTE, BASIN_OTHER, BASIN_DIVERGED, BASIN_RUNNING]).size).toBe(BASIN_PALETTE.length + 3);
  });

  test('the loss floor is the lowest known minimum (float32), 0 without one', () => {
    expect(lossFloor([])).toBe(0);
    expect(lossFloor([-0.98, -1.43])).toBe(Math.fround(-1.43));
    expect(lossFloor([1e-42])).toBe(0);
  });
});

/** info for a 4 x 3 map from rows of status letters: c converged, d diverged, n non-finite, r running. */
function infoOf(rows: string[], minima: number[] = []): Uint32Array {
  const codes: Record<string, number> = { c: Status.Converged, d: Status.Diverged, n: Status.NonFinite, r: Status.Running };
  const cells = rows.join('').split('');
  const info = new Uint32Array(INFO_WORDS * cells.length);
  cells.forEach((ch, i) => setParticleInfo(info, i, codes[ch], 0, 0, minima[i] ?? NO_MINIMUM));
  return info;
}

describe('reading a map', () => {
  test('fractions per status and per minimum', () => {
    const info = infoOf(['ccdr', 'ccnr', 'cddd'], [0, 1, 0, 0, 0, 9, 0, 0, NO_MINIMUM]);
    const f = mapFractions(info, 12, 2);
    expect(f.converged).toBeCloseTo(5 / 12, 12);
    expect(f.diverged).toBeCloseTo(4 / 12, 12);
    expect(f.nonfinite).toBeCloseTo(1 / 12, 12);
    expect(f.running).toBeCloseTo(2 / 12, 12);
    expect(f.minima[0]).toBeCloseTo(2 / 12, 12);
    expect(f.minima[1]).toBeCloseTo(1 / 12, 12);
    expect(f.elsewhere).toBeCloseTo(2 / 12, 12); // index 9 and NO_MINIMUM
  });

  test('boundary along a row and a column', () => {
    const info = infoOf(['ccrd', 'crnd', 'dddd']);
    expect(boundaryAlong(info, 4, 3, 'x', 0)).toEqual({ lastConverged: 1, firstDiverged: 3 });
    expect(boundaryAlong(info, 4, 3, 'x', 1)).toEqual({ lastConverged: 0, firstDiverged: 2 });
    expect(boundaryAlong(info, 4, 3, 'x', 2)).toEqual({ lastConverged: -1, firstDiverged: 0 });
    expect(boundaryAlong(info, 4, 3, 'y', 1)).toEqual({ lastConverged: 0, firstDiverged: 2 });
  });
});

describe('map figure geometry', () => {
  const x: MapAxis = { param: 'lr', min: 1e-3, max: 10, n: 50, scale: 'log' };
  const y: MapAxis = { param: 'momentum', min: 0, max: 0.99, n: 20 };
  const g = mapFigureGeometry(800, 500, x, y);
  const centre = (ix: number, iy: number) => [
    g.image.left + ((ix + 0.5) / x.n) * g.image.width,
    g.image.top + g.image.height - ((iy + 0.5) / y.n) * g.image.height,
  ];

  test('the image and the legend fit the figure, side by side', () => {
    expect(g.image.left).toBeGreaterThan(0);
    expect(g.image.left + g.image.width).toBeLessThan(g.legend.left);
    expect(g.legend.left + g.legend.width).toBeLessThanOrEqual(800);
    expect(g.image.top + g.image.height).toBeLessThan(500);
  });

  test('pixelAt: pixel centres give the runs own values; row 0 at the bottom; null outside', () => {
    for (const [ix, iy] of [
      [0, 0],
      [49, 19],
      [17, 3],
    ]) {
      const [px, py] = centre(ix, iy);
      const p = pixelAt(g, px, py)!;
      expect([p.ix, p.iy]).toEqual([ix, iy]);
      expect(p.xValue).toBe(axisValue(x.min, x.max, x.n, ix, 'log'));
      expect(p.yValue).toBe(axisValue(y.min, y.max, y.n, iy));
    }
    expect(pixelAt(g, g.image.left - 1, g.image.top + 5)).toBeNull();
    expect(pixelAt(g, g.image.left + 5, g.image.top + g.image.height + 1)).toBeNull();
    expect(pixelAt(g, g.image.left + g.image.width, g.image.top + 5)).toBeNull();
  });

  test('axisFraction and axisValueAt invert each other (log and linear)', () => {
    for (const a of [x, y]) {
      for (const k of [0, 3, a.n - 1]) {
        const v = axisValue(a.min, a.max, a.n, k, a.scale);
        expect(axisFraction(a, v)).toBeCloseTo((k + 0.5) / a.n, 12);
        expect(axisValueAt(a, (k + 0.5) / a.n)).toBeCloseTo(v, 12);
      }
    }
  });

  test('windowFromDrag: the whole image is the whole range; log axes zoom in log space; clicks are not drags', () => {
    const r = g.image;
    const all = windowFromDrag(g, r.left, r.top + r.height, r.left + r.width, r.top)!;
    expect(all.x[0]).toBeCloseTo(x.min, 12);
    expect(all.x[1]).toBeCloseTo(x.max, 12);
    expect(all.y).toEqual([y.min, y.max]);
    // from the centre of pixel 0 to the centre of pixel 49 along x; any drag direction
    const [ax, ay] = centre(0, 0);
    const [bx, by] = centre(49, 19);
    const [mx] = centre(24.5, 0);
    const w = windowFromDrag(g, bx, ay, mx, by)!;
    expect(w.x[0]).toBeCloseTo(Math.sqrt(x.min * x.max), 9); // the geometric middle
    expect(w.x[1]).toBeCloseTo(x.max, 12);
    expect(w.y[0]).toBeCloseTo(0, 12);
    expect(w.y[1]).toBeCloseTo(0.99, 12);
    expect(windowFromDrag(g, ax, ay, ax + 2, ay - 40)).toBeNull();
    expect(windowFromDrag(g, ax, ay, ax + 40, ay - 1)).toBeNull();
  });
});

describe('map figure drawing', () => {
  test('notes wrap to the legend column: no line wider than it, no word lost', () => {
    const ctx = createCanvas(200, 100).getContext('2d');
    ctx.font = '11px sans-serif';
    const note = '(ranked by the fractal measure: converged and diverged networks separately)';
    const lines = wrapText(ctx, note, 110);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(ctx.measureText(l).width).toBeLessThanOrEqual(110);
    expect(lines.join(' ')).toBe(note);
  });

  const x: MapAxis = { param: 'lr', min: 1e-3, max: 1, n: 12, scale: 'log' };
  const y: MapAxis = { param: 'x0', min: -1, max: 1, n: 8 };
  const rgba = Uint32Array.from({ length: 96 }, (_, i) =>
    i % 3 === 0 ? CONVERGED_LUT[i % 64] : i % 3 === 1 ? DIVERGED_LUT[(5 * i) % 64] : RUNNING_LUT[i % 32],
  );

  test('flippedRows puts row 0 at the bottom', () => {
    const b = flippedRows(rgba, 12, 8);
    expect(Array.from(b.slice(0, 4))).toEqual(unpackRgba(rgba[7 * 12]));
    expect(Array.from(b.slice(4 * 7 * 12, 4 * 7 * 12 + 4))).toEqual(unpackRgba(rgba[0]));
  });

  for (const scratch of [true, false]) {
    test(`pixels land under their axis values, legend and labels are drawn (${scratch ? 'scratch canvas' : 'rectangles'})`, () => {
      const canvas = createCanvas(640, 400);
      const ctx = canvas.getContext('2d');
      const g = mapFigureGeometry(640, 400, x, y);
      drawMapFigure(ctx as unknown as Context2D, g, {
        image: { nx: 12, ny: 8, rgba },
        title: 'test map',
        legend: outcomeLegend(1000),
        notes: ['converged 33%'],
        makeCanvas: scratch ? (w, h) => createCanvas(w, h) : () => ({ getContext: () => null }),
      });
      const data = ctx.getImageData(0, 0, 640, 400).data;
      const at = (px: number, py: number) =>
        Array.from(data.slice(4 * (Math.floor(py) * 640 + Math.floor(px)), 4 * (Math.floor(py) * 640 + Math.floor(px)) + 4));
      for (let iy = 0; iy < 8; iy++) {
        for (let ix = 0; ix < 12; ix++) {
          const px = g.image.left + ((ix + 0.5) / 12) * g.image.width;
          const py = g.image.top + g.image.height - ((iy + 0.5) / 8) * g.image.height;
          expect(at(px, py)).toEqual(unpackRgba(rgba[iy * 12 + ix]));
        }
      }
      // legend: text (grey ink that is no colour of the scales) and the colour bars' ends
      let ink = 0;
      let bars = 0;
      const scales = new Set([...CONVERGED_LUT, ...DIVERGED_LUT, ...RUNNING_LUT].map((c) => unpackRgba(c).join()));
      const ends = new Set([CONVERGED_LUT[0], DIVERGED_LUT[0]].map((c) => unpackRgba(c).join()));
      for (let py = g.legend.top; py < g.legend.top + g.legend.height; py++) {
        for (let px = g.legend.left; px < 640; px++) {
          const p = at(px, py);
          if (p[0] < 160 && p[0] === p[1] && p[1] === p[2] && !scales.has(p.join())) ink++;
          if (ends.has(p.join())) bars++;
        }
      }
      expect(ink).toBeGreaterThan(150);
      expect(bars).toBeGreaterThan(10);
      // axis labels under the image and left of it
      let labels = 0;
      for (let py = g.image.top + g.image.height + 4; py < 400; py++)
        for (let px = g.image.left; px < g.image.left + g.image.width; px++) if (at(px, py)[0] < 100) labels++;
      for (let py = g.image.top; py < g.image.top + g.image.height; py++) for (let px = 0; px < g.image.left - 6; px++) if (at(px, py)[0] < 100) labels++;
      expect(labels).toBeGreaterThan(100);
    });
  }

  test('legends: step ticks on the colour scale, basin swatches name minima with their curvature', () => {
    const [conv, , running] = outcomeLegend(1000);
    expect(conv.kind === 'bar' && conv.ticks.map((t) => t.label)).toEqual(['1', '10', '100', '1000']);
    expect(conv.kind === 'bar' && conv.ticks[3].at).toBe(1);
    expect(running.kind === 'bar' && running.ticks.map((t) => t.label)).toEqual(['1', '1e-3', '1e-6', '1e-9']);
    const b = basinLegend([
      { name: 'flat', eigenvalues: [2.43, 2.44] },
      { name: 'sharp', eigenvalues: [44.1, 44.57] },
    ]);
    expect(b.map((i) => i.label)).toEqual(['flat (λmax 2.44)', 'sharp (λmax 44.6)', 'converged elsewhere', 'diverged / non-finite', 'still running']);
    expect(b.map((i) => i.kind === 'swatch' && i.color)).toEqual([BASIN_PALETTE[0], BASIN_PALETTE[1], BASIN_OTHER, BASIN_DIVERGED, BASIN_RUNNING]);
  });
});

test('the outcome legend: the run length last, the decade before it a quarter of the bar away (100 and 300 ran together)', () => {
  for (const steps of [20, 100, 300, 1000, 3000, 10000, 100000]) {
    const bar = outcomeLegend(steps)[0];
    if (bar.kind !== 'bar') throw new Error('a colour bar first');
    const at = bar.ticks.map((t) => t.at);
    expect(at.at(-1)! - at.at(-2)!, `${steps} steps`).toBeGreaterThanOrEqual(0.25);
    for (let k = 1; k < at.length; k++) expect(at[k] - at[k - 1], `${steps} steps`).toBeGreaterThanOrEqual(0.14);
    expect(bar.ticks.at(-1)!.at).toBe(1);
  }
});

test('linear ticks: two at least on a window centred on a round number (a deep zoom offset axis showed 0 alone)', () => {
  expect(linearTicks(-2.5e-10, 2.5e-10, 2).map((t) => t.value)).toEqual([-2e-10, 0, 2e-10]);
  expect(linearTicks(0, 1, 5).map((t) => t.value)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(linearTicks(-1, 1, 2).map((t) => t.value)).toEqual([-1, 0, 1]);
});
