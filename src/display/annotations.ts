// On-canvas annotations for lectures and video: the scene title, its formula, the step
// counter and the colour legend (eta on the particles' colormap, or the status colours),
// drawn on any Canvas 2D context (the page's overlay canvas, the recorder's frames,
// @napi-rs/canvas in tests). Sizes are CSS pixels times `scale`.

import { colormap, type ColormapName } from './colormaps';
import { logTicks } from './ticks';
import type { Context2D, Rect } from './map-figure';

type AnnotationLegend = { kind: 'lr'; min: number; max: number; colormap: ColormapName } | { kind: 'status' };

export interface AnnotationInput {
  title: string;
  formula: string;
  /** The step counter; null: none (the page's HUD shows it outside presentation mode). */
  step: number | null;
  /** null: no legend (the page shows its own in normal mode). */
  legend: AnnotationLegend | null;
  /** Short lines under the formula. */
  notes?: string[];
}

/** What the annotations need of a Canvas 2D context (DOM, OffscreenCanvas and @napi-rs/canvas all have it): the map figure's, and measuring text. */
export type AnnotationContext = Omit<Context2D, 'imageSmoothingEnabled' | 'translate' | 'rotate' | 'strokeRect' | 'drawImage'> & {
  measureText(text: string): { width: number };
};

export type Box = Rect;

/** Where the parts were drawn (canvas pixels), for tests and hit checks. */
export interface AnnotationLayout {
  title: Box;
  legend: Box | null;
}

export const STATUS_COLORS: [string, string][] = [
  ['#a6bff2', 'running'],
  ['#4dd966', 'converged'],
  ['#f24d40', 'diverged'],
  ['#e64de6', 'non-finite'],
];

const FAMILY = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";
const MONO = "'DejaVu Sans Mono', Menlo, monospace";
const PANEL = 'rgba(15, 17, 23, 0.78)';
const INK = '#f2f4f8';
const SOFT = '#c9d1d9';

/** Draws the annotations over whatever is on `ctx` (it does not clear). */
export function drawAnnotations(ctx: AnnotationContext, width: number, height: number, input: AnnotationInput, scale = 1): AnnotationLayout {
  const s = Math.max(0.25, scale);
  ctx.save();
  ctx.textBaseline = 'top';
  const title = drawTitleBlock(ctx, width, input, s);
  const legend = input.legend ? drawLegend(ctx, height, input.legend, s) : null;
  ctx.restore();
  return { title, legend };
}

/** Title, formula, notes and step counter, centred at the top on one dark panel. */
function drawTitleBlock(ctx: AnnotationContext, width: number, input: AnnotationInput, s: number): Box {
  const lines: { text: string; font: string; color: string; size: number }[] = [];
  if (input.title) lines.push({ text: input.title, font: `700 ${26 * s}px ${FAMILY}`, color: INK, size: 26 * s });
  if (input.formula) lines.push({ text: input.formula, font: `italic 400 ${21 * s}px ${FAMILY}`, color: '#ffd479', size: 21 * s });
  for (const n of input.notes ?? []) lines.push({ text: n, font: `400 ${15 * s}px ${FAMILY}`, color: SOFT, size: 15 * s });
  if (input.step !== null) lines.push({ text: `step ${input.step.toLocaleString('en')}`, font: `600 ${16 * s}px ${MONO}`, color: SOFT, size: 16 * s });
  const pad = 12 * s;
  const gap = 6 * s;
  // Lines too wide for the canvas shrink to fit.
  let textWidth = 0;
  for (const l of lines) {
    ctx.font = l.font;
    const w = ctx.measureText(l.text).width;
    const room = width - 2 * pad - 24 * s;
    if (w > room && w > 0) {
      const k = room / w;
      l.size *= k;
      l.font = l.font.replace(/[\d.]+px/, `${l.size}px`);
      textWidth = Math.max(textWidth, room);
    } else textWidth = Math.max(textWidth, w);
  }
  const boxH = 2 * pad + lines.reduce((a, l) => a + l.size * 1.2, 0) + gap * (lines.length - 1);
  const box = { left: Math.round((width - textWidth) / 2 - pad), top: Math.round(12 * s), width: Math.round(textWidth + 2 * pad), height: Math.round(boxH) };
  ctx.fillStyle = PANEL;
  ctx.fillRect(box.left, box.top, box.width, box.height);
  ctx.textAlign = 'center';
  let y = box.top + pad;
  for (const l of lines) {
    ctx.font = l.font;
    ctx.fillStyle = l.color;
    ctx.fillText(l.text, width / 2, y + l.size * 0.1);
    y += l.size * 1.2 + gap;
  }
  return box;
}

/** The legend at the bottom left: eta's colour bar with log ticks, or the status swatches. */
function drawLegend(ctx: AnnotationContext, height: number, legend: AnnotationLegend, s: number): Box {
  const pad = 10 * s;
  const titleSize = 15 * s;
  const tickSize = 13 * s;
  const barW = 280 * s;
  const barH = 16 * s;
  const swatch = 13 * s;
  const rows = legend.kind === 'lr' ? 0 : STATUS_COLORS.length;
  const innerH = legend.kind === 'lr' ? titleSize * 1.3 + barH + 6 * s + tickSize * 1.2 : titleSize * 1.3 + rows * swatch * 1.6;
  const box = {
    left: Math.round(16 * s),
    top: 0,
    width: Math.round(barW + 2 * pad + (legend.kind === 'lr' ? 16 * s : 0)),
    height: Math.round(innerH + 2 * pad),
  };
  box.top = Math.round(height - 16 * s - box.height);
  ctx.fillStyle = PANEL;
  ctx.fillRect(box.left, box.top, box.width, box.height);
  ctx.textAlign = 'left';
  ctx.fillStyle = INK;
  ctx.font = `600 ${titleSize}px ${FAMILY}`;
  const x0 = box.left + pad + (legend.kind === 'lr' ? 8 * s : 0);
  let y = box.top + pad;
  ctx.fillText(legend.kind === 'lr' ? 'learning rate η (log scale)' : 'status', box.left + pad, y);
  y += titleSize * 1.3;
  if (legend.kind === 'lr') {
    const segments = 128;
    for (let k = 0; k < segments; k++) {
      const [r, g, b] = colormap(legend.colormap, (k + 0.5) / segments);
      ctx.fillStyle = `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
      // Each segment overlaps the next by a pixel: no seams when scaled.
      ctx.fillRect(x0 + (k * barW) / segments, y, barW / segments + 1, barH);
    }
    ctx.font = `400 ${tickSize}px ${MONO}`;
    ctx.textAlign = 'center';
    ctx.strokeStyle = INK;
    ctx.lineWidth = Math.max(1, s);
    for (const t of logTicks(legend.min, legend.max)) {
      const x = x0 + t.at * barW;
      ctx.beginPath();
      ctx.moveTo(x, y + barH);
      ctx.lineTo(x, y + barH + 4 * s);
      ctx.stroke();
      ctx.fillStyle = INK;
      ctx.fillText(t.label, x, y + barH + 6 * s);
    }
  } else {
    ctx.font = `400 ${tickSize}px ${FAMILY}`;
    for (const [color, label] of STATUS_COLORS) {
      ctx.fillStyle = color;
      ctx.fillRect(box.left + pad, y + 1 * s, swatch, swatch);
      ctx.fillStyle = INK;
      ctx.fillText(label, box.left + pad + swatch + 8 * s, y);
      y += swatch * 1.6;
    }
  }
  return box;
}

/** The annotation scale for a frame: 1 at 1280 x 720, in proportion above and below (not under 0.5). */
export function annotationScale(width: number, height: number): number {
  return Math.max(0.5, Math.min(width / 1280, height / 720));
}
