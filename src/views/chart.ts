// A line chart for the views (uPlot): log or linear axes, quantile bands between two
// series, a second y scale for fractions, and labelled vertical markers (2/lambda).

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../display/ticks';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  width?: number;
  dash?: number[];
  /** 'y' (default) or 'frac' (0..1, right axis). */
  scale?: 'y' | 'frac';
}

export interface ChartData {
  x: number[];
  series: ChartSeries[];
  /** Filled between two series (indices into `series`), e.g. q10..q90. */
  bands?: { lower: number; upper: number; fill: string }[];
  /** Vertical lines at x values. */
  markers?: { x: number; label: string; color: string }[];
  /** A compact legend under the chart (uPlot's own lists every series). */
  legend?: { label: string; color: string; dash?: boolean }[];
}

export interface ChartOptions {
  width: number;
  height: number;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** A right axis for series on the 'frac' scale. */
  fracLabel?: string;
}

const AXIS = { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.08)' }, ticks: { stroke: 'rgba(255,255,255,0.2)' } };
const numbers = (_u: uPlot, vals: number[]) => vals.map((v) => (v == null ? '' : formatNumber(v)));

/** Log scales cannot show values <= 0 or non-finite ones: they become gaps. */
export function forScale(values: (number | null)[], log: boolean): (number | null)[] {
  return values.map((v) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v));
}

export class LineChart {
  private plot: uPlot | null = null;
  private shape = '';
  private markers: ChartData['markers'] = [];
  /** Linked views: the x value under the pointer (null when it leaves), and clicks. */
  onHover: ((x: number | null) => void) | null = null;
  onClick: ((x: number) => void) | null = null;

  private readonly legendEl = document.createElement('div');

  constructor(
    private readonly el: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    this.legendEl.className = 'chart-legend';
    el.addEventListener('pointermove', (e) => this.onHover?.(this.valueAt(e)));
    el.addEventListener('pointerleave', () => this.onHover?.(null));
    el.addEventListener('click', (e) => {
      const x = this.valueAt(e);
      if (x !== null) this.onClick?.(x);
    });
  }

  /** The x value under a pointer event inside the plotting area, else null. */
  private valueAt(e: MouseEvent): number | null {
    const over = this.plot?.over;
    if (!over) return null;
    const r = over.getBoundingClientRect();
    const left = e.clientX - r.left;
    if (left < 0 || left > r.width || e.clientY < r.top || e.clientY > r.bottom) return null;
    return this.plot!.posToVal(left, 'x');
  }

  set(data: ChartData): void {
    this.last = data;
    this.markers = data.markers ?? [];
    const xs = forScale(data.x, !!this.opts.xLog);
    const keep = xs.map((v) => v !== null);
    const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
    const aligned = [
      pick(xs) as number[],
      ...data.series.map((s) => pick(forScale(s.values, (s.scale ?? 'y') === 'y' && !!this.opts.yLog))),
    ] as uPlot.AlignedData;
    const shape = JSON.stringify([data.series.map((s) => [s.label, s.color, s.scale, s.dash, s.width]), data.bands]);
    if (this.plot && shape === this.shape) {
      this.plot.setData(aligned);
      return;
    }
    this.shape = shape;
    this.plot?.destroy();
    this.plot = new uPlot(this.options(data), aligned, this.el);
    this.legendEl.replaceChildren(
      ...(data.legend ?? []).map((l) => {
        const item = document.createElement('span');
        const mark = document.createElement('i');
        mark.style.borderTop = `2px ${l.dash ? 'dashed' : 'solid'} ${l.color}`;
        item.append(mark, l.label);
        return item;
      }),
    );
    this.el.appendChild(this.legendEl);
  }

  resize(width: number, height: number): void {
    this.opts.width = width;
    this.opts.height = height;
    this.plot?.setSize({ width, height });
  }

  private options(data: ChartData): uPlot.Options {
    const o = this.opts;
    const axes: uPlot.Axis[] = [
      { ...AXIS, label: o.xLabel, labelSize: 18, size: 30, values: numbers },
      { ...AXIS, label: o.yLabel, labelSize: 18, size: 56, values: numbers },
    ];
    const scales: uPlot.Scales = { x: { time: false, distr: o.xLog ? 3 : 1 }, y: { distr: o.yLog ? 3 : 1 } };
    if (o.fracLabel) {
      axes.push({ ...AXIS, scale: 'frac', side: 1, label: o.fracLabel, labelSize: 18, size: 44, grid: { show: false } });
      scales.frac = { range: [0, 1] };
    }
    return {
      width: o.width,
      height: o.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales,
      axes,
      series: [
        {},
        ...data.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash,
          scale: s.scale ?? 'y',
          points: { show: false },
          spanGaps: true,
        })),
      ],
      bands: (data.bands ?? []).map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: b.fill })),
      hooks: { draw: [(u) => this.drawMarkers(u)] },
    };
  }

  private drawMarkers(u: uPlot): void {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    const dpr = devicePixelRatio;
    for (const [k, m] of (this.markers ?? []).entries()) {
      const x = u.valToPos(m.x, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
      ctx.save();
      ctx.strokeStyle = m.color;
      ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = m.color;
      ctx.font = `${11 * dpr}px 'DejaVu Sans', sans-serif`;
      // Labels near the right edge go left of their line; several markers stack.
      const right = x > u.bbox.left + u.bbox.width * 0.6;
      ctx.textAlign = right ? 'right' : 'left';
      ctx.fillText(m.label, x + (right ? -4 : 4) * dpr, top + (12 + 13 * k) * dpr);
      ctx.restore();
    }
  }

  get root(): HTMLElement | null {
    return this.plot?.root ?? null;
  }

  private last: ChartData | null = null;
  /** What the chart shows (null before the first set). */
  data(): ChartData | null {
    return this.last;
  }

  get xLabel(): string {
    return this.opts.xLabel;
  }

  /** uPlot's canvas: axes, curves and markers. */
  get canvas(): HTMLCanvasElement | null {
    return this.plot?.ctx.canvas ?? null;
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}
