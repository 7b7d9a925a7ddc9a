// What a recorded frame or snapshot shows over the 3-D view: title, step counter and
// the eta colour legend, sized to the output (scale 1 at 720 lines).

import { colormap } from '../render/colormaps';
import { formatNumber } from '../views/ticks';
import type { ExplorerState } from './state';

export interface FrameCaption {
  state: ExplorerState;
  step: number;
  n: number;
}

export function drawFrameOverlay(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, height: number, c: FrameCaption): void {
  const s = Math.min(width / 1280, height / 720);
  const pad = Math.round(24 * s);
  const { state } = c;
  ctx.save();
  ctx.textBaseline = 'top';
  ctx.shadowColor = 'rgba(0,0,0,0.7)';
  ctx.shadowBlur = 4 * s;
  ctx.fillStyle = '#f2f4f8';
  ctx.font = `600 ${Math.round(30 * s)}px "DejaVu Sans", sans-serif`;
  const surface = state.surface.length > 48 ? `${state.surface.slice(0, 45)}…` : state.surface;
  ctx.fillText(`${surface} · ${state.optimizer}`, pad, pad);
  ctx.font = `${Math.round(20 * s)}px "DejaVu Sans", sans-serif`;
  ctx.fillStyle = '#c9cfdb';
  ctx.fillText(`${c.n.toLocaleString('en')} particles, η from ${formatNumber(state.lrMin)} to ${formatNumber(state.lrMax)}`, pad, pad + Math.round(40 * s));

  ctx.textBaseline = 'bottom';
  ctx.font = `600 ${Math.round(26 * s)}px "DejaVu Sans Mono", monospace`;
  ctx.fillStyle = '#f2f4f8';
  ctx.fillText(`step ${c.step}`, pad, height - pad);
  ctx.restore();

  if (state.colorBy === 'lr') drawLrLegend(ctx, width, height, s, state);
}

function drawLrLegend(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, height: number, s: number, state: ExplorerState): void {
  const barW = Math.round(260 * s);
  const barH = Math.round(14 * s);
  const x = width - barW - Math.round(24 * s);
  const y = height - Math.round(56 * s);
  const grad = ctx.createLinearGradient(x, 0, x + barW, 0);
  for (let i = 0; i <= 8; i++) {
    const [r, g, b] = colormap(state.particleColormap, i / 8);
    grad.addColorStop(i / 8, `rgb(${Math.round(255 * r)},${Math.round(255 * g)},${Math.round(255 * b)})`);
  }
  ctx.save();
  ctx.fillStyle = grad;
  ctx.fillRect(x, y, barW, barH);
  ctx.fillStyle = '#e6e9f0';
  ctx.font = `${Math.round(18 * s)}px "DejaVu Sans", sans-serif`;
  ctx.textBaseline = 'bottom';
  ctx.fillText('learning rate η (log)', x, y - Math.round(6 * s));
  ctx.textBaseline = 'top';
  ctx.fillText(formatNumber(state.lrMin), x, y + barH + Math.round(4 * s));
  ctx.textAlign = 'right';
  ctx.fillText(formatNumber(state.lrMax), x + barW, y + barH + Math.round(4 * s));
  ctx.restore();
}
