// On-canvas annotations drawn with @napi-rs/canvas: the title block's pixels, its
// scaling, the eta colour bar against the colormap, the status swatches.

import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, test } from 'vitest';
import { annotationScale, drawAnnotations, STATUS_COLORS, type AnnotationInput, type Box } from '../../src/display/annotations';
import { colormap } from '../../src/display/colormaps';

const input: AnnotationInput = {
  title: 'The stability limit',
  formula: 'η < 2/λ_max',
  step: 1200,
  legend: { kind: 'lr', min: 0.01, max: 1, colormap: 'plasma' },
};

function draw(w: number, h: number, inp: AnnotationInput, scale: number) {
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const layout = drawAnnotations(ctx as never, w, h, inp, scale);
  const data = ctx.getImageData(0, 0, w, h).data;
  const px = (x: number, y: number) => Array.from(data.subarray(4 * (Math.round(y) * w + Math.round(x)), 4 * (Math.round(y) * w + Math.round(x)) + 4));
  /** Pixels in a box bright enough to be text (the panel is dark). */
  const bright = (b: Box) => {
    let n = 0;
    for (let y = b.top; y < b.top + b.height; y++) for (let x = b.left; x < b.left + b.width; x++) if (px(x, y)[0] + px(x, y)[1] + px(x, y)[2] > 450) n++;
    return n;
  };
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return { layout, px, bright, drawn };
}

describe('drawAnnotations', () => {
  test('title block: centred at the top, dark panel with bright text; nothing drawn outside title and legend', () => {
    const { layout, bright, px, drawn } = draw(960, 540, input, 1);
    const t = layout.title;
    expect(Math.abs(t.left + t.width / 2 - 480)).toBeLessThanOrEqual(1);
    expect(t.top).toBeLessThan(30);
    expect(bright(t)).toBeGreaterThan(300);
    expect(px(t.left + 2, t.top + 2)[3]).toBeGreaterThan(150); // the panel
    const l = layout.legend!;
    expect(drawn).toBeLessThanOrEqual(t.width * t.height + l.width * l.height + 2 * (t.width + t.height + l.width + l.height));
    expect(px(480, 300)[3]).toBe(0); // the scene shows through
  });

  test('scale 2 doubles the title block (presentation, 4K video)', () => {
    const a = draw(1920, 1080, input, 1).layout.title;
    const b = draw(1920, 1080, input, 2).layout.title;
    expect(b.height / a.height).toBeGreaterThan(1.9);
    expect(b.height / a.height).toBeLessThan(2.1);
    expect(b.width / a.width).toBeGreaterThan(1.8);
  });

  test('the eta colour bar runs along the colormap', () => {
    const { layout, px } = draw(960, 540, input, 1);
    const l = layout.legend!;
    expect(l.top + l.height).toBeLessThanOrEqual(540);
    // Scan the legend for the bar's row: the leftmost and rightmost bar pixels are the colormap's ends.
    const barY = l.top + 10 + 15 * 1.3 + 8;
    const x0 = l.left + 10 + 8;
    for (const [x, t] of [
      [x0 + 2, 0],
      [x0 + 140, 0.5],
      [x0 + 277, 1],
    ] as const) {
      const want = colormap('plasma', t).map((v) => v * 255);
      const got = px(x, barY);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c]), `t ${t} channel ${c}`).toBeLessThan(12);
    }
  });

  test('the status legend shows the four status colours; no legend when null', () => {
    const { layout, px } = draw(960, 540, { ...input, legend: { kind: 'status' } }, 1);
    const l = layout.legend!;
    const hex = (h: string) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
    STATUS_COLORS.forEach(([color], k) => {
      const got = px(l.left + 10 + 6, l.top + 10 + 15 * 1.3 + k * 13 * 1.6 + 7);
      expect(got.slice(0, 3)).toEqual(hex(color));
    });
    expect(draw(960, 540, { ...input, legend: null }, 1).layout.legend).toBeNull();
  });

  test('a title wider than the canvas shrinks to fit; notes add lines, no step counter one less', () => {
    const long = draw(400, 300, { ...input, title: 'A very long title that would never fit into four hundred pixels of width' }, 1).layout.title;
    expect(long.left).toBeGreaterThanOrEqual(0);
    expect(long.left + long.width).toBeLessThanOrEqual(400);
    const plain = draw(960, 540, input, 1).layout.title;
    const noted = draw(960, 540, { ...input, notes: ['one note'] }, 1).layout.title;
    expect(noted.height).toBeGreaterThan(plain.height + 15);
    const stepless = draw(960, 540, { ...input, step: null }, 1).layout.title;
    expect(stepless.height).toBeLessThan(plain.height - 15);
  });

  test('annotationScale: 1 at 1280 x 720, 1.5 at 1080p, 3 at 2160p', () => {
    expect(annotationScale(1280, 720)).toBe(1);
    expect(annotationScale(1920, 1080)).toBe(1.5);
    expect(annotationScale(3840, 2160)).toBe(3);
  });
});
