// The hyperparameter map as a figure: the image with axes (log or linear ticks, axis
// titles = parameter names), a title and a legend, drawn on any Canvas 2D context (a
// DOM canvas on the page, @napi-rs/canvas in the CLI). The geometry is exported so the
// page maps mouse positions to axis values (pixelAt) and drags to zoom windows.

import { BASIN_DIVERGED, BASIN_OTHER, BASIN_PALETTE, BASIN_RUNNING, CONVERGED_LUT, DIVERGED_LUT, RUNNING_LUT, unpackRgba } from '../core/analysis/map';
import { axisValue, type Scale } from '../core/layouts';
import { formatNumber, linearTicks, logTicks, type Tick } from './ticks';

export interface MapAxis {
  param: string;
  min: number;
  max: number;
  n: number;
  scale?: Scale;
}

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface MapFigureGeometry {
  width: number;
  height: number;
  /** Where the map image sits (canvas pixels); row 0 of the map at its bottom. */
  image: Rect;
  /** The legend column. */
  legend: Rect;
  x: MapAxis;
  y: MapAxis;
}

const MARGIN = { left: 72, right: 16, top: 36, bottom: 50 };
const LEGEND_WIDTH = 220;

export function mapFigureGeometry(width: number, height: number, x: MapAxis, y: MapAxis, legendWidth = LEGEND_WIDTH): MapFigureGeometry {
  const image = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: Math.max(1, width - MARGIN.left - MARGIN.right - legendWidth),
    height: Math.max(1, height - MARGIN.top - MARGIN.bottom),
  };
  const legend = { left: image.left + image.width + 24, top: MARGIN.top, width: legendWidth - 24, height: image.height };
  return { width, height, image, legend, x, y };
}

const toScale = (a: MapAxis, v: number) => (a.scale === 'log' ? Math.log(v) : v);

/** Position (0..1 along the image side) of an axis value: pixel k's centre holds value k. */
export function axisFraction(a: MapAxis, v: number): number {
  if (a.n === 1 || a.max === a.min) return 0.5;
  const u = (toScale(a, v) - toScale(a, a.min)) / (toScale(a, a.max) - toScale(a, a.min));
  return (0.5 + u * (a.n - 1)) / a.n;
}

/** The axis value at a position along the image side (continuous), clamped to the axis range. */
export function axisValueAt(a: MapAxis, f: number): number {
  if (a.n === 1 || a.max === a.min) return a.min;
  const u = Math.min(1, Math.max(0, (f * a.n - 0.5) / (a.n - 1)));
  return a.scale === 'log' ? a.min * Math.pow(a.max / a.min, u) : a.min + (a.max - a.min) * u;
}

export interface MapPixel {
  ix: number;
  iy: number;
  /** The run's own values (its pixel's centre). */
  xValue: number;
  yValue: number;
}

/** The map pixel under a canvas position, or null outside the image. */
export function pixelAt(g: MapFigureGeometry, px: number, py: number): MapPixel | null {
  const fx = (px - g.image.left) / g.image.width;
  const fy = (g.image.top + g.image.height - py) / g.image.height;
  if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
  const ix = Math.floor(fx * g.x.n);
  const iy = Math.floor(fy * g.y.n);
  return { ix, iy, xValue: axisValue(g.x.min, g.x.max, g.x.n, ix, g.x.scale), yValue: axisValue(g.y.min, g.y.max, g.y.n, iy, g.y.scale) };
}

export interface MapWindow {
  x: [number, number];
  y: [number, number];
}

/**
 * The axis ranges of a drag rectangle (two canvas positions, any order), inside the
 * current ranges; log axes interpolate in log space. Null for a drag under `minPixels`
 * on either side (a click).
 */
export function windowFromDrag(g: MapFigureGeometry, px0: number, py0: number, px1: number, py1: number, minPixels = 3): MapWindow | null {
  if (Math.abs(px1 - px0) < minPixels || Math.abs(py1 - py0) < minPixels) return null;
  const fx = [px0, px1].map((p) => (p - g.image.left) / g.image.width).sort((a, b) => a - b);
  const fy = [py0, py1].map((p) => (g.image.top + g.image.height - p) / g.image.height).sort((a, b) => a - b);
  const x: [number, number] = [axisValueAt(g.x, fx[0]), axisValueAt(g.x, fx[1])];
  const y: [number, number] = [axisValueAt(g.y, fy[0]), axisValueAt(g.y, fy[1])];
  if (!(x[1] > x[0] && y[1] > y[0])) return null;
  return { x, y };
}

// ---------------------------------------------------------------- legend

export type LegendItem =
  { kind: 'bar'; label: string; colors: Uint32Array; ticks: { at: number; label: string }[] } | { kind: 'swatch'; label: string; color: number };

/** Ticks of a step scale where the colour scale puts them: S, and the decades clear of it (100 and 300 ran together). */
function stepTicks(steps: number): { at: number; label: string }[] {
  const top = Math.log2(steps + 1);
  const at = (v: number) => (top > 0 ? Math.log2(v + 1) / top : 0);
  const values = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].filter((v) => at(v) <= 0.75);
  return [...values, steps].map((v) => ({ at: at(v), label: formatNumber(v) }));
}

/** The outcome colouring's legend for a run of `steps` steps. */
export function outcomeLegend(steps: number): LegendItem[] {
  const octaves = RUNNING_LUT.length - 1;
  return [
    { kind: 'bar', label: 'converged after N steps', colors: CONVERGED_LUT, ticks: stepTicks(steps) },
    { kind: 'bar', label: 'diverged after N steps', colors: DIVERGED_LUT, ticks: stepTicks(steps) },
    {
      kind: 'bar',
      label: 'running: (L−L*)/(L0−L*)',
      colors: RUNNING_LUT,
      ticks: [0, 3, 6, 9].map((d) => ({ at: Math.min(1, (d * Math.log2(10)) / octaves), label: d === 0 ? '1' : `1e-${d}` })),
    },
  ];
}

export interface LegendMinimum {
  name: string;
  eigenvalues: [number, number];
}

/** The basin colouring's legend: a swatch per known minimum, then the other outcomes. */
export function basinLegend(minima: LegendMinimum[], maxMinima = 9): LegendItem[] {
  const shown = minima.slice(0, maxMinima).map((m, j): LegendItem => {
    const lmax = m.eigenvalues[1];
    const curv = Number.isFinite(lmax) ? ` (λmax ${formatNumber(lmax)})` : '';
    return { kind: 'swatch', label: `${m.name}${curv}`, color: BASIN_PALETTE[j % BASIN_PALETTE.length] };
  });
  const more: LegendItem[] =
    minima.length > maxMinima
      ? [{ kind: 'swatch', label: `... ${minima.length - maxMinima} more (colours repeat)`, color: BASIN_PALETTE[maxMinima % BASIN_PALETTE.length] }]
      : [];
  return [
    ...shown,
    ...more,
    { kind: 'swatch', label: 'converged elsewhere', color: BASIN_OTHER },
    { kind: 'swatch', label: 'diverged / non-finite', color: BASIN_DIVERGED },
    { kind: 'swatch', label: 'still running', color: BASIN_RUNNING },
  ];
}

// ---------------------------------------------------------------- drawing

/** What the figure needs of a Canvas 2D context (DOM and @napi-rs/canvas both have it). */
export interface Context2D {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  font: string;
  textAlign: unknown;
  textBaseline: unknown;
  imageSmoothingEnabled: boolean;
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(angle: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  drawImage(image: object, dx: number, dy: number, dw: number, dh: number): void;
}

/** A canvas to put the map's pixels on before scaling them into the figure. */
export interface ScratchCanvas {
  getContext(type: '2d'): {
    createImageData(w: number, h: number): { data: Uint8ClampedArray };
    putImageData(data: object, x: number, y: number): void;
  } | null;
}

export interface MapFigureInput {
  image: { nx: number; ny: number; rgba: Uint32Array };
  title: string;
  legend: LegendItem[];
  /** Lines under the legend (e.g. fractions). */
  notes?: string[];
  font?: string;
  /** Makes the scratch canvas (default: OffscreenCanvas where there is one; else pixels are filled as rectangles). */
  makeCanvas?: (w: number, h: number) => ScratchCanvas;
}

/** The map's RGBA bytes with row 0 (the y axis' minimum) at the bottom, as a canvas shows them. */
export function flippedRows(rgba: Uint32Array, nx: number, ny: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * nx * ny);
  const rows = new Uint32Array(out.buffer);
  // Packed words are RGBA bytes on little-endian hosts (all that run WebGPU).
  for (let iy = 0; iy < ny; iy++) rows.set(rgba.subarray(iy * nx, (iy + 1) * nx), (ny - 1 - iy) * nx);
  return out;
}

const css = (c: number) => {
  const [r, g, b] = unpackRgba(c);
  return `rgb(${r}, ${g}, ${b})`;
};

function drawPixels(ctx: Context2D, r: Rect, input: MapFigureInput): void {
  const { nx, ny, rgba } = input.image;
  const make =
    input.makeCanvas ?? (typeof OffscreenCanvas !== 'undefined' ? (w: number, h: number) => new OffscreenCanvas(w, h) as unknown as ScratchCanvas : null);
  const scratch = make?.(nx, ny);
  const sctx = scratch?.getContext('2d');
  if (scratch && sctx) {
    const data = sctx.createImageData(nx, ny);
    data.data.set(flippedRows(rgba, nx, ny));
    sctx.putImageData(data, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, r.left, r.top, r.width, r.height);
    return;
  }
  // No scratch canvas: runs of equal colour as rectangles.
  const w = r.width / nx;
  const h = r.height / ny;
  for (let iy = 0; iy < ny; iy++) {
    const y = r.top + (ny - 1 - iy) * h;
    for (let ix = 0; ix < nx;) {
      const c = rgba[iy * nx + ix];
      let end = ix + 1;
      while (end < nx && rgba[iy * nx + end] === c) end++;
      ctx.fillStyle = css(c);
      ctx.fillRect(r.left + ix * w, y, (end - ix) * w + 0.5, h + 0.5);
      ix = end;
    }
  }
}

/** Windows narrower than this fraction of their values label their ticks as offsets from a base (3-digit labels no longer tell them apart). */
const OFFSET_AXIS_WIDTH = 1e-3;

/**
 * The base a deep window's ticks are offsets from (named in the axis title, as plotting
 * libraries do): its centre, rounded to a tenth of its width. Null for other windows.
 */
export function axisOffset(a: MapAxis): number | null {
  const size = Math.max(Math.abs(a.min), Math.abs(a.max));
  const width = a.max - a.min;
  if (!(width > 0) || !(width < OFFSET_AXIS_WIDTH * size)) return null;
  const digits = Math.min(17, Math.ceil(Math.log10(size / width)) + 2);
  return Number(((a.min + a.max) / 2).toPrecision(digits));
}

/** Ticks in axis values (`value`), labelled as offsets from the base on deep windows. */
function axisTicks(a: MapAxis, target: number): Tick[] {
  const base = axisOffset(a);
  if (base !== null) return linearTicks(a.min - base, a.max - base, target).map((t) => ({ ...t, value: t.value + base }));
  return a.scale === 'log' ? logTicks(a.min, a.max, target) : linearTicks(a.min, a.max, target);
}

const AXIS_TITLES: Record<string, string> = { x0: 'start x', y0: 'start y' };
const axisTitle = (a: MapAxis) => {
  const base = axisOffset(a);
  return `${AXIS_TITLES[a.param] ?? a.param}${base !== null ? ` − ${base}` : a.scale === 'log' ? ' (log)' : ''}`;
};

export function drawMapFigure(ctx: Context2D, g: MapFigureGeometry, input: MapFigureInput): void {
  const family = input.font ?? 'sans-serif';
  const ink = '#222';
  const { image: r } = g;
  ctx.save();
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, g.width, g.height);
  drawPixels(ctx, r, input);
  ctx.strokeStyle = ink;
  ctx.lineWidth = 1;
  ctx.strokeRect(r.left - 0.5, r.top - 0.5, r.width + 1, r.height + 1);

  // title
  ctx.fillStyle = ink;
  ctx.font = `bold 14px ${family}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(input.title, r.left, MARGIN.top / 2);

  // x axis
  ctx.font = `11px ${family}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const bottom = r.top + r.height;
  for (const t of axisTicks(g.x, Math.max(2, Math.floor(r.width / 80)))) {
    const px = r.left + axisFraction(g.x, t.value) * r.width;
    if (px < r.left - 1 || px > r.left + r.width + 1) continue;
    ctx.beginPath();
    ctx.moveTo(px, bottom);
    ctx.lineTo(px, bottom + 5);
    ctx.stroke();
    ctx.fillText(t.label, px, bottom + 7);
  }
  ctx.font = `12px ${family}`;
  ctx.fillText(axisTitle(g.x), r.left + r.width / 2, bottom + 26);

  // y axis
  ctx.font = `11px ${family}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of axisTicks(g.y, Math.max(2, Math.floor(r.height / 50)))) {
    const py = bottom - axisFraction(g.y, t.value) * r.height;
    if (py < r.top - 1 || py > bottom + 1) continue;
    ctx.beginPath();
    ctx.moveTo(r.left - 5, py);
    ctx.lineTo(r.left, py);
    ctx.stroke();
    ctx.fillText(t.label, r.left - 7, py);
  }
  ctx.save();
  ctx.translate(16, r.top + r.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.font = `12px ${family}`;
  ctx.fillText(axisTitle(g.y), 0, 0);
  ctx.restore();

  drawLegend(ctx, g.legend, input, family);
  ctx.restore();
}

function drawLegend(ctx: Context2D, box: Rect, input: MapFigureInput, family: string): void {
  const ink = '#222';
  let y = box.top;
  const x = box.left;
  const w = Math.min(box.width, 170);
  ctx.textAlign = 'left';
  for (const item of input.legend) {
    ctx.fillStyle = ink;
    if (item.kind === 'swatch') {
      ctx.fillStyle = css(item.color);
      ctx.fillRect(x, y + 2, 14, 14);
      ctx.strokeStyle = '#999';
      ctx.strokeRect(x + 0.5, y + 2.5, 13, 13);
      ctx.fillStyle = ink;
      ctx.font = `12px ${family}`;
      ctx.textBaseline = 'middle';
      ctx.fillText(item.label, x + 20, y + 9);
      y += 22;
      continue;
    }
    ctx.font = `12px ${family}`;
    ctx.textBaseline = 'top';
    ctx.fillText(item.label, x, y);
    y += 16;
    const n = item.colors.length;
    for (let k = 0; k < n; k++) {
      ctx.fillStyle = css(item.colors[k]);
      ctx.fillRect(x + (k * w) / n, y, w / n + 0.5, 12);
    }
    ctx.strokeStyle = '#999';
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, 11);
    y += 14;
    ctx.fillStyle = ink;
    ctx.font = `10px ${family}`;
    ctx.textAlign = 'center';
    for (const t of item.ticks) ctx.fillText(t.label, x + Math.min(w - 8, Math.max(8, t.at * w)), y);
    ctx.textAlign = 'left';
    y += 24;
  }
  ctx.font = `11px ${family}`;
  ctx.textBaseline = 'top';
  ctx.fillStyle = ink;
  for (const note of input.notes ?? []) {
    y += 4;
    // Wrapped to the legend's column: a long note never runs off the figure's edge.
    for (const line of wrapText(ctx, note, box.width)) {
      ctx.fillText(line, x, y);
      y += 12;
    }
  }
}

/** Words of `text` in lines no wider than `width` (a word wider than that gets a line of its own). */
export function wrapText(ctx: { measureText(text: string): { width: number } }, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}
