// Export of a view panel: a PNG of what it draws and a CSV of the data it shows, from
// two small buttons in the panel's header.

import { unpackRgba } from '../core/analysis/map';
import { axisValue } from '../core/layouts';
import type { ChartData, LineChart } from './chart';
import type { ViewPanel } from './dock';
import type { MapAxis } from '../display/map-figure';
import { csvField } from '../core/csv';

const BACKGROUND = '#0f1117';

/** A CSV number: full precision, nan / inf / -inf as numpy and pandas write them; '' for a gap. */
function csvValue(v: number | null): string {
  if (v === null) return '';
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return String(v);
}

/** One row per x: x, then each series (a column per series, headed by its label). */
export function chartCsv(data: ChartData, xLabel: string): string {
  const head = [xLabel, ...data.series.map((s) => s.label)].map(csvField).join(',');
  const rows = data.x.map((x, i) => [x, ...data.series.map((s) => s.values[i] ?? null)].map(csvValue).join(','));
  return [head, ...rows].join('\n') + '\n';
}

/** One row per image pixel: its two axis values and its colour (what the figure shows there). */
export function figureCsv(x: MapAxis, y: MapAxis, image: { nx: number; ny: number; rgba: Uint32Array }): string {
  const rows = [[x.param, y.param, 'color'].map(csvField).join(',')];
  for (let iy = 0; iy < image.ny; iy++) {
    const yv = axisValue(y.min, y.max, image.ny, iy, y.scale);
    for (let ix = 0; ix < image.nx; ix++) {
      const [r, g, b] = unpackRgba(image.rgba[iy * image.nx + ix]);
      const color = `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
      rows.push(`${csvValue(axisValue(x.min, x.max, image.nx, ix, x.scale))},${csvValue(yv)},${color}`);
    }
  }
  return rows.join('\n') + '\n';
}

/** A chart as a picture (its PNG, and what a recording shows): its canvas (axes, curves, markers) on the page's background, with its legend under it. */
export function chartPicture(chart: LineChart): HTMLCanvasElement | null {
  const src = chart.canvas;
  if (!src) return null;
  const legend = chart.data()?.legend ?? [];
  const dpr = src.width / (src.clientWidth || src.width);
  const rowH = legend.length ? Math.round(20 * dpr) : 0;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height + rowH;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);
  ctx.font = `${12 * dpr}px 'DejaVu Sans', sans-serif`;
  ctx.textBaseline = 'middle';
  let x = 8 * dpr;
  const y = src.height + rowH / 2;
  for (const l of legend) {
    ctx.strokeStyle = l.color;
    ctx.lineWidth = 2 * dpr;
    ctx.setLineDash(l.dash ? [4 * dpr, 3 * dpr] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 16 * dpr, y);
    ctx.stroke();
    ctx.fillStyle = '#c9d1d9';
    ctx.fillText(l.label, x + 20 * dpr, y);
    x += 28 * dpr + ctx.measureText(l.label).width;
  }
  return out;
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png'));
}

export interface PanelExport {
  /** null while the view has drawn nothing yet. */
  png(): Promise<Blob> | null;
  csv(): string | null;
}

/** Saves a file through the browser's download. */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** PNG and CSV buttons in the panel's header (before its close button). */
export function exportButtons(panel: ViewPanel, source: PanelExport): void {
  const box = document.createElement('span');
  box.className = 'exports';
  const button = (label: string, title: string, act: () => Promise<void>) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `export-${label.toLowerCase()}`;
    b.textContent = label;
    b.title = title;
    b.addEventListener('click', () => void act().catch((e: Error) => (panel.status.textContent = `export failed: ${e.message}`)));
    return b;
  };
  const nothing = () => (panel.status.textContent = 'nothing to export yet: the view has not drawn');
  box.append(
    button('PNG', 'save this view as a PNG', async () => {
      const png = source.png();
      if (!png) return void nothing();
      downloadBlob(`etascape-${panel.name}.png`, await png);
    }),
    button('CSV', 'save the data this view shows as CSV', async () => {
      const csv = source.csv();
      if (csv === null) return void nothing();
      downloadBlob(`etascape-${panel.name}.csv`, new Blob([csv], { type: 'text/csv' }));
    }),
  );
  const close = panel.root.querySelector('header .close');
  if (close) close.before(box);
  else panel.root.querySelector('header')?.append(box);
}

/** The buttons for a chart view. */
export function exportChart(panel: ViewPanel, chart: LineChart): void {
  exportButtons(panel, {
    png: () => {
      const picture = chartPicture(chart);
      return picture && canvasPng(picture);
    },
    csv: () => {
      const d = chart.data();
      return d ? chartCsv(d, chart.xLabel) : null;
    },
  });
}
