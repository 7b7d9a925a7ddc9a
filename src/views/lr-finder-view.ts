// The LR finder: the range test's loss against lr (log axis), raw and smoothed as
// fastai smooths it, with the suggested learning rates marked.

import { type ChartData } from './chart';
import { ChartView } from './chart-view';
import type { ViewPanel } from './dock';
import { formatNumber } from '../display/ticks';

export interface LrFinderCurve {
  lr: number[];
  loss: number[];
  smoothed: number[];
  suggestions: { name: string; lr: number }[];
}

const SUGGESTION_COLORS: Record<string, string> = { valley: '#4dd966', steep: '#7fd1ff', minimum: '#ffb86b' };

function lrFinderChartData(c: LrFinderCurve): ChartData {
  return {
    x: c.lr,
    series: [
      { label: 'loss', values: c.loss, color: 'rgba(201,209,217,0.45)', width: 1 },
      { label: 'smoothed', values: c.smoothed, color: '#f0f921', width: 2 },
    ],
    markers: c.suggestions.map((s) => ({ x: s.lr, label: `${s.name} ${formatNumber(s.lr)}`, color: SUGGESTION_COLORS[s.name] ?? '#ffffff' })),
    legend: [
      { label: 'mean loss', color: 'rgba(201,209,217,0.6)' },
      { label: 'smoothed (fastai)', color: '#f0f921' },
    ],
  };
}

export class LrFinderView extends ChartView {
  constructor(panel: ViewPanel, size: { width: number; height: number }) {
    super(panel, { ...size, xLabel: 'learning rate η', yLabel: 'loss', xLog: true, yLog: true });
  }
  update(c: LrFinderCurve, note: string): void {
    this.show(lrFinderChartData(c), note);
  }
}
