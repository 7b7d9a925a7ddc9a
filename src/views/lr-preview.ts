// The eta(t) preview: the lr each particle will use, step by step, for the lowest,
// middle and highest lr of the particles (one curve when the schedule sets its own lr),
// computed by the same compiled schedule the engines run. uPlot draws it.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { compileSchedule, previewSteps, resolveSchedule, scheduleValues, usesBaseLr } from '../core/schedules';
import { formatNumber } from '../display/ticks';

export interface PreviewInput {
  schedule: string;
  lrMin: number;
  lrMax: number;
}

export interface PreviewData {
  steps: number[];
  series: { label: string; lr: number[] }[];
  /** Why there is no curve (a stateful schedule, or an error). */
  note: string | null;
}

/** The lr legend's plasma colours at its low, middle and high end. */
const COLORS = ['#6a00a8', '#e16462', '#f0f921'];

/** Pure: the curves to draw for a schedule text and an lr range. */
export function previewData(input: PreviewInput): PreviewData {
  const text = input.schedule.trim();
  const mid = Math.sqrt(input.lrMin * input.lrMax);
  const bases = input.lrMin === input.lrMax ? [input.lrMin] : [input.lrMin, mid, input.lrMax];
  if (!text) {
    const steps = [0, 100];
    return { steps, series: bases.map((b) => ({ label: `lr ${formatNumber(b)}`, lr: [b, b] })), note: 'constant lr (no schedule)' };
  }
  let r;
  try {
    r = resolveSchedule(text);
  } catch (e) {
    return { steps: [], series: [], note: (e as Error).message };
  }
  if (r.def.stateful) {
    return { steps: [], series: [], note: `${r.def.name} sets each particle's lr from its own run: inspect a particle to follow it` };
  }
  const compiled = compileSchedule(r);
  const n = previewSteps(r);
  const steps = Array.from({ length: n }, (_, t) => t);
  const own = !usesBaseLr(compiled);
  const series = (own ? [bases[0]] : bases).map((b) => ({
    label: own ? r.def.name : `from ${formatNumber(b)}`,
    lr: Array.from(scheduleValues(compiled, b, n)),
  }));
  return { steps, series, note: null };
}

export class LrPreview {
  private plot: uPlot | null = null;
  private readonly note: HTMLElement;
  private readonly box: HTMLElement;
  private key = '';

  constructor(private readonly el: HTMLElement) {
    el.classList.add('lr-preview');
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = 'learning rate eta(t)';
    this.box = document.createElement('div');
    this.note = document.createElement('div');
    this.note.className = 'note';
    el.append(title, this.box, this.note);
  }

  update(input: PreviewInput): void {
    const key = JSON.stringify([input.schedule, input.lrMin, input.lrMax]);
    if (key === this.key) return;
    this.key = key;
    const d = previewData(input);
    this.note.textContent = d.note ?? '';
    this.note.hidden = !d.note;
    this.plot?.destroy();
    this.plot = null;
    if (!d.series.length) return;
    const opts: uPlot.Options = {
      width: 300,
      height: 150,
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      // Log lr: an lr of 0 (e.g. the end of PolynomialLR) leaves a gap.
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [
        { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.08)' }, size: 28 },
        { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.08)' }, size: 56, values: (_u, vals) => vals.map((v) => (v == null ? '' : formatNumber(v))) },
      ],
      series: [{}, ...d.series.map((s, k) => ({ label: s.label, stroke: COLORS[k % COLORS.length], width: 2, points: { show: false } }))],
    };
    const positive = (lr: number[]) => lr.map((v) => (v > 0 ? v : null));
    this.plot = new uPlot(opts, [d.steps, ...d.series.map((s) => positive(s.lr))] as uPlot.AlignedData, this.box);
  }

  destroy(): void {
    this.plot?.destroy();
    this.el.replaceChildren();
  }
}
