// The eta sweep curve: final (or current) loss against lr on a log axis, with the
// quantile band across each lr bin's particles, the fractions converged / diverged /
// in each known minimum per bin, and a marker at 2/lambda_max of each minimum.

import type { Minimum } from '../core/surfaces';
import { type ChartData } from './chart';
import { ChartView } from './chart-view';
import type { ViewPanel } from './dock';
import { formatNumber } from '../display/ticks';

/** Per lr bin (bins ordered by lr). */
export interface SweepStats {
  lr: number[];
  q10: number[];
  median: number[];
  q90: number[];
  converged: number[];
  diverged: number[];
  /** Fraction of each bin's particles that ended in each known minimum. */
  minima: { name: string; fraction: number[] }[];
}

const MINIMUM_COLORS = ['#7fd1ff', '#ffb86b', '#c792ea', '#a5e075', '#ff79c6', '#f1fa8c'];

/** 2/lambda_max of each smooth minimum, as labelled markers. */
export function stabilityMarkers(minima: readonly Minimum[]): ChartData['markers'] {
  return minima
    .map((m, k) => ({ m, k }))
    .filter(({ m }) => Number.isFinite(m.lrLimit) && m.lrLimit > 0)
    .map(({ m, k }) => ({ x: m.lrLimit, label: `2/λ ${m.name} = ${formatNumber(m.lrLimit)}`, color: MINIMUM_COLORS[k % MINIMUM_COLORS.length] }));
}

/** Pure: the chart's series from the per-bin statistics. */
export function sweepChartData(s: SweepStats, minima: readonly Minimum[]): ChartData {
  return {
    x: s.lr,
    series: [
      { label: 'loss q10', values: s.q10, color: 'rgba(240,249,33,0.35)', width: 1 },
      { label: 'median loss', values: s.median, color: '#f0f921', width: 2 },
      { label: 'loss q90', values: s.q90, color: 'rgba(240,249,33,0.35)', width: 1 },
      { label: 'converged', values: s.converged, color: '#4dd966', scale: 'frac', width: 1.5 },
      { label: 'diverged', values: s.diverged, color: '#f24d40', scale: 'frac', width: 1.5 },
      ...s.minima.map((m, k) => ({
        label: `in ${m.name}`,
        values: m.fraction,
        color: MINIMUM_COLORS[k % MINIMUM_COLORS.length],
        scale: 'frac' as const,
        dash: [4, 3],
      })),
    ],
    bands: [{ lower: 0, upper: 2, fill: 'rgba(240,249,33,0.15)' }],
    markers: stabilityMarkers(minima),
    legend: [
      { label: 'median loss (band q10–q90)', color: '#f0f921' },
      { label: 'converged', color: '#4dd966' },
      { label: 'diverged', color: '#f24d40' },
      ...s.minima.map((m, k) => ({ label: `in ${m.name}`, color: MINIMUM_COLORS[k % MINIMUM_COLORS.length], dash: true })),
    ],
  };
}

export class SweepView extends ChartView {
  constructor(panel: ViewPanel, size: { width: number; height: number }) {
    super(panel, { ...size, xLabel: 'learning rate η', yLabel: 'loss', xLog: true, yLog: true, fracLabel: 'fraction' });
  }
  update(stats: SweepStats, minima: readonly Minimum[], note: string): void {
    this.show(sweepChartData(stats, minima), note);
  }
}
