// HUD, colour legend, notices and the inspect box: plain DOM over the canvas.

import { formatNumber, logTicks } from '../display/ticks';
import { colormap, type ColormapName } from '../display/colormaps';
import type { ParticleView } from '../core/particles';
import type { FrameStats } from './explorer';

export function renderHud(el: HTMLElement, s: FrameStats): void {
  const rate = s.stepsPerSecond * s.n;
  el.textContent = [
    `step ${s.step}${s.playing ? '' : '  (paused)'}`,
    `${s.n.toLocaleString('en')} particles on ${s.mode === 'gpu' ? 'GPU' : 'CPU'}`,
    `${formatNumber(Math.round(s.stepsPerSecond))} steps/s  ${formatNumber(rate)} particle-steps/s`,
    `${s.fps} fps`,
  ].join('\n');
}

export function renderLegend(
  el: HTMLElement,
  opts: { title: string; min: number; max: number; colormap: ColormapName } | { title: string; entries: [string, string][] },
): void {
  el.replaceChildren();
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = opts.title;
  el.appendChild(title);
  if ('entries' in opts) {
    for (const [color, label] of opts.entries) {
      const row = document.createElement('div');
      row.innerHTML = `<span style="display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:8px;background:${color}"></span>`;
      row.append(label);
      el.appendChild(row);
    }
    return;
  }
  const canvas = document.createElement('canvas');
  canvas.width = 256;
  canvas.height = 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colormap(opts.colormap, i / 255);
    img.data.set([r * 255, g * 255, b * 255, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  el.appendChild(canvas);
  const ticks = document.createElement('div');
  ticks.className = 'ticks';
  for (const t of logTicks(opts.min, opts.max)) {
    const span = document.createElement('span');
    span.style.left = `${(t.at * 100).toFixed(2)}%`;
    span.textContent = t.label;
    ticks.appendChild(span);
  }
  el.appendChild(ticks);
}

export function renderNotice(el: HTMLElement, text: string | null): void {
  el.textContent = text ?? '';
  el.hidden = !text;
}

export function renderInspect(el: HTMLElement, p: ParticleView, curve: number[], minimumName: string | null, title = `particle ${p.index}`): void {
  el.replaceChildren();
  const text = document.createElement('div');
  text.textContent = [
    title,
    `lr      ${formatNumber(p.lr)}`,
    `x, y    ${p.x.toPrecision(5)}, ${p.y.toPrecision(5)}`,
    `loss    ${p.loss.toPrecision(5)}`,
    `status  ${p.status}${p.status === 'running' ? '' : ` at step ${p.eventStep}`}${minimumName ? ` in ${minimumName}` : ''}`,
    `steps   ${p.steps}`,
  ].join('\n');
  el.appendChild(text);
  el.appendChild(lossSparkline(curve));
  el.hidden = false;
}

/** Loss vs step, log scale when positive. */
function lossSparkline(curve: number[]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = 260;
  c.height = 90;
  const ctx = c.getContext('2d')!;
  const finite = curve.filter(Number.isFinite);
  if (finite.length < 2) return c;
  const useLog = finite.every((v) => v > 0);
  const f = (v: number) => (useLog ? Math.log10(v) : v);
  const lo = Math.min(...finite.map(f));
  const hi = Math.max(...finite.map(f));
  ctx.strokeStyle = '#7fb2ff';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  curve.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const x = (i / (curve.length - 1)) * (c.width - 4) + 2;
    const y = c.height - 4 - ((f(v) - lo) / (hi - lo || 1)) * (c.height - 8);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = '#aab';
  ctx.font = '11px DejaVu Sans Mono, monospace';
  ctx.fillText(`loss${useLog ? ' (log)' : ''} over ${curve.length - 1} steps`, 4, 12);
  return c;
}
