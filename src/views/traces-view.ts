// Line views over steps: loss curves (per lr bin: median and q10-q90 band; and single
// particles) and the sharpness trace against each particle's 2/eta line.

import { colormap, type ColormapName } from '../display/colormaps';
import { type ChartData, type ChartSeries } from './chart';
import { ChartView } from './chart-view';
import type { ViewPanel } from './dock';
import { formatNumber } from '../display/ticks';

/** One sample of the per-bin loss quantiles, taken at `step`. */
export interface BinSample {
  step: number;
  median: number[];
  q10: number[];
  q90: number[];
}

/** A selected particle's recorded values (one per recorded step). */
export interface ParticleTrace {
  index: number;
  lr: number;
  steps: number[];
  loss: number[];
  sharpness: number[];
  /** The lr it used at each recorded step (a schedule may change it). */
  lrUsed: number[];
}

const css = ([r, g, b]: [number, number, number], a = 1) => `rgba(${Math.round(r * 255)},${Math.round(g * 255)},${Math.round(b * 255)},${a})`;

/**
 * Colour of an lr on the particles' colormap between lrMin and lrMax (log), for lines
 * on the dark panels: the darkest quarter of the colormap is skipped.
 */
export function lrColor(lr: number, lrMin: number, lrMax: number, map: ColormapName, alpha = 1): string {
  const t = lrMax > lrMin ? Math.log(lr / lrMin) / Math.log(lrMax / lrMin) : 0.5;
  return css(colormap(map, 0.25 + 0.75 * Math.min(1, Math.max(0, t))), alpha);
}

/** Merges series sampled at different steps onto one sorted x axis (gaps elsewhere). */
export function alignSteps(tracks: { steps: number[]; values: number[][] }[]): { x: number[]; values: (number | null)[][] } {
  const x = [...new Set(tracks.flatMap((t) => t.steps))].sort((a, b) => a - b);
  const at = new Map(x.map((s, i) => [s, i]));
  const values = tracks.flatMap((t) =>
    t.values.map((vs) => {
      const out: (number | null)[] = new Array(x.length).fill(null);
      t.steps.forEach((s, k) => (out[at.get(s)!] = vs[k]));
      return out;
    }),
  );
  return { x, values };
}

/**
 * Pure: loss vs step. For each shown bin (lr given), its median with the q10-q90 band;
 * then each selected particle as a thin line. Steps are shifted by one for the log axis.
 */
export function lossChartData(
  samples: BinSample[],
  binLr: number[],
  shown: number[],
  traces: ParticleTrace[],
  lrRange: [number, number],
  map: ColormapName,
): ChartData {
  const binTrack = {
    steps: samples.map((s) => s.step + 1),
    values: shown.flatMap((b) => [samples.map((s) => s.q10[b]), samples.map((s) => s.median[b]), samples.map((s) => s.q90[b])]),
  };
  const traceTracks = traces.map((t) => ({ steps: t.steps.map((s) => s + 1), values: [t.loss] }));
  const { x, values } = alignSteps([binTrack, ...traceTracks]);
  const series: ChartSeries[] = [];
  const bands: NonNullable<ChartData['bands']> = [];
  shown.forEach((b, k) => {
    const c = (a: number) => lrColor(binLr[b], lrRange[0], lrRange[1], map, a);
    series.push({ label: `q10 η ${formatNumber(binLr[b])}`, values: values[3 * k], color: c(0.3), width: 1 });
    series.push({ label: `η ${formatNumber(binLr[b])}`, values: values[3 * k + 1], color: c(1), width: 2 });
    series.push({ label: `q90 η ${formatNumber(binLr[b])}`, values: values[3 * k + 2], color: c(0.3), width: 1 });
    bands.push({ lower: 3 * k, upper: 3 * k + 2, fill: c(0.12) });
  });
  traces.forEach((t, k) => {
    series.push({
      label: `#${t.index} η ${formatNumber(t.lr)}`,
      values: values[3 * shown.length + k],
      color: lrColor(t.lr, lrRange[0], lrRange[1], map, 0.9),
      width: 1,
      dash: [3, 2],
    });
  });
  const legend = [
    ...shown.map((b) => ({ label: `η ${formatNumber(binLr[b])}`, color: lrColor(binLr[b], lrRange[0], lrRange[1], map) })),
    ...(traces.length ? [{ label: 'one particle each', color: '#c9d1d9', dash: true }] : []),
  ];
  return { x, series, bands, legend };
}

/** Pure: sharpness vs step for each trace, with its 2/eta_t line dashed in the same colour. */
export function sharpnessChartData(traces: ParticleTrace[], lrRange: [number, number], map: ColormapName): ChartData {
  const { x, values } = alignSteps(traces.map((t) => ({ steps: t.steps, values: [t.sharpness, t.lrUsed.map((lr) => 2 / lr)] })));
  const series: ChartSeries[] = traces.flatMap((t, k) => {
    const color = lrColor(t.lr, lrRange[0], lrRange[1], map);
    return [
      { label: `λmax #${t.index}`, values: values[2 * k], color, width: 1.5 },
      { label: `2/η #${t.index}`, values: values[2 * k + 1], color, width: 1, dash: [5, 4] },
    ];
  });
  const legend = [
    ...traces.map((t) => ({ label: `η ${formatNumber(t.lr)}`, color: lrColor(t.lr, lrRange[0], lrRange[1], map) })),
    { label: '2/η (dashed)', color: '#c9d1d9', dash: true },
  ];
  return { x, series, legend };
}

export class LossCurvesView extends ChartView {
  constructor(panel: ViewPanel, size: { width: number; height: number }) {
    super(panel, { ...size, xLabel: 'step + 1', yLabel: 'loss', xLog: true, yLog: true });
  }
  update(data: ChartData, note: string): void {
    this.show(data, note);
  }
}

export class SharpnessView extends ChartView {
  constructor(panel: ViewPanel, size: { width: number; height: number }) {
    super(panel, { ...size, xLabel: 'step', yLabel: 'top Hessian eigenvalue', yLog: true });
  }
  update(data: ChartData, note: string): void {
    this.show(data, note);
  }
}
