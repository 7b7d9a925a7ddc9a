// A view panel holding one line chart: what every chart view shares (its PNG and CSV
// buttons, the data it shows, the note under it). The views differ only in axes and
// in how they turn their inputs into series.

import { LineChart, type ChartData, type ChartOptions } from './chart';
import type { ViewPanel } from './dock';
import { exportChart } from './export';

export class ChartView {
  readonly chart: LineChart;

  constructor(
    readonly panel: ViewPanel,
    options: ChartOptions,
  ) {
    this.chart = new LineChart(panel.body, options);
    exportChart(panel, this.chart);
  }

  /** The data it shows (for export), null before the first update. */
  data(): ChartData | null {
    return this.chart.data();
  }

  show(data: ChartData, note: string): void {
    this.chart.set(data);
    this.panel.status.textContent = note;
  }
}
