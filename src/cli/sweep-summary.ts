// `etascape sweep --summary`: one row per lr bin instead of one per particle, from the
// per-bin reductions (src/gpu/reduce.ts on the GPU engine, src/core/analysis/bins.ts on
// the CPU reference). Two passes: the first finds each bin's loss range, the second
// histograms the loss over that range for the quantiles.

import { histogramQuantile, reduceBins, sweepBinLr, sweepBinning, type BinSummary, type Binning, type HistogramSpec } from '../core/analysis/bins';
import type { Engine } from '../core/engine/engine';
import type { Layout } from '../core/layouts';
import { Status } from '../core/particles';
import type { Surface } from '../core/surfaces';
import { GpuEngine } from '../gpu/engine';
import { GpuReducer } from '../gpu/reduce';
import { UsageError } from './args';
import { csvField, csvNumber, fmt } from './common';

export const SUMMARY_DEFAULT_BINS = 32;
/** Loss buckets per bin for the quantiles (log10 of the loss above the lowest loss). */
export const SUMMARY_BUCKETS = 4096;
const QUANTILES = [0.1, 0.5, 0.9] as const;

export interface BinRow {
  lr_min: number;
  lr_max: number;
  /** Geometric mean of lr_min and lr_max. */
  lr_mid: number;
  particles: number;
  running: number;
  converged: number;
  diverged: number;
  nonfinite: number;
  /** Fraction of the bin's particles that converged into each known minimum, by name. */
  minima: Record<string, number>;
  loss_q10: number;
  loss_q50: number;
  loss_q90: number;
}

export function summaryColumns(surface: Surface): string[] {
  return [
    'lr_min',
    'lr_max',
    'lr_mid',
    'particles',
    'running',
    'converged',
    'diverged',
    'nonfinite',
    ...surface.minima.map((m) => `minimum_${m.name}`),
    'loss_q10',
    'loss_q50',
    'loss_q90',
  ];
}

/** Each bin holds a 4096-bucket histogram: 16 KiB per bin. */
const MAX_SUMMARY_BINS = 1024;

export function summaryBinning(n: number, bins: number): Binning {
  if (bins > MAX_SUMMARY_BINS) throw new UsageError(`--bins must be at most ${MAX_SUMMARY_BINS}, got ${bins}`);
  if (bins > n) throw new UsageError(`--bins must be at most --n (${n}), got ${bins}`);
  return sweepBinning(n, bins);
}

/**
 * The loss histogram for the second pass: log10(loss - offset) from the smallest to the
 * largest final loss of any bin, offset the lowest known minimum's loss (or the smallest
 * loss, when lower or when no minimum is known).
 */
function lossHistogram(first: BinSummary, surface: Surface, buckets = SUMMARY_BUCKETS): HistogramSpec {
  let lo = Infinity;
  let hi = -Infinity;
  for (let b = 0; b < first.shape.bins; b++) {
    const [min, max] = first.range(b);
    if (min < lo) lo = min;
    if (max > hi) hi = max;
  }
  const spec = { value: 'loss' as const, buckets };
  if (!(lo <= hi)) return { ...spec, lo: 0, hi: 1 }; // nothing to histogram: every bin diverged
  const known = surface.minima.map((m) => Math.fround(m.loss)).filter(Number.isFinite);
  const offset = Math.min(lo, ...known);
  const top = hi - offset;
  if (!(top > 0) || !Number.isFinite(lo)) {
    // All losses equal (or one is -inf): every valid range serves; the quantiles are clamped to the bin's range.
    const [a, b] = [lo, hi].map((v) => Math.min(3e38, Math.max(-3e38, v)));
    return { ...spec, lo: a - 1 - 1e-3 * Math.abs(a), hi: b + 1 + 1e-3 * Math.abs(b) };
  }
  const logHi = Math.min(38, Math.log10(top));
  // Not below the float32 resolution around the offset; 15 decades when the smallest loss is the offset.
  const resolution = Math.max(-37, Math.log10(Math.max(Math.abs(offset) * 2 ** -23, 1e-37)));
  const logLo = Math.max(resolution, lo - offset > 0 ? Math.log10(lo - offset) : logHi - 15);
  return { ...spec, lo: logLo, hi: Math.max(logHi, logLo + 1e-3), log: true, offset };
}

function rowsFrom(summary: BinSummary, loss: HistogramSpec, surface: Surface, lr: ReturnType<typeof sweepBinLr>): BinRow[] {
  const rows: BinRow[] = [];
  lr.forEach((r, b) => {
    const n = summary.count(b);
    if (!r || n === 0) return;
    const [min, max] = summary.range(b);
    // Interpolated inside a bucket, a quantile stays within the bin's own loss range.
    const q = (p: number) => Math.min(max, Math.max(min, histogramQuantile(summary.histogram(b), loss, p)));
    rows.push({
      lr_min: r.lrMin,
      lr_max: r.lrMax,
      lr_mid: r.lrMid,
      particles: n,
      running: summary.status(b, Status.Running) / n,
      converged: summary.status(b, Status.Converged) / n,
      diverged: summary.status(b, Status.Diverged) / n,
      nonfinite: summary.status(b, Status.NonFinite) / n,
      minima: Object.fromEntries(surface.minima.map((m, k) => [m.name, summary.minimum(b, k) / n])),
      loss_q10: q(QUANTILES[0]),
      loss_q50: q(QUANTILES[1]),
      loss_q90: q(QUANTILES[2]),
    });
  });
  return rows;
}

/** Reduces the engine's particles per lr bin: on the GPU for the GPU engine, from its state for the CPU one. */
export async function summarizeBins(engine: Engine, surface: Surface, layout: Extract<Layout, { kind: 'sweep' }>, binning: Binning): Promise<BinRow[]> {
  const lr = sweepBinLr(layout, binning);
  const coarse: HistogramSpec = { value: 'loss', buckets: 1, lo: 0, hi: 1 };
  if (engine instanceof GpuEngine) {
    const reducer = await GpuReducer.forEngine(engine, { surface, binning, histogram: { ...coarse, buckets: SUMMARY_BUCKETS } });
    try {
      const first = await reducer.summary();
      const loss = lossHistogram(first, surface);
      reducer.setHistogram(loss);
      return rowsFrom(await reducer.summary(), loss, surface, lr);
    } finally {
      reducer.destroy();
    }
  }
  const state = await engine.read();
  const loss = lossHistogram(reduceBins(state, surface, { binning, histogram: coarse }), surface);
  return rowsFrom(reduceBins(state, surface, { binning, histogram: loss }), loss, surface, lr);
}

/** Fractions as exact doubles (they are counts over particles); lr and loss as float32. */
export function binRowsCsv(rows: BinRow[], surface: Surface): string {
  const lines = [summaryColumns(surface).map(csvField).join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.lr_min,
        r.lr_max,
        r.lr_mid,
        r.particles,
        r.running,
        r.converged,
        r.diverged,
        r.nonfinite,
        ...surface.minima.map((m) => r.minima[m.name]),
        r.loss_q10,
        r.loss_q50,
        r.loss_q90,
      ]
        .map((v, j) => (j >= 3 && j < 8 + surface.minima.length ? String(v) : csvNumber(v)))
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** NaN quantiles (a bin with no finite loss) as null in JSON. */
export function binRowsJson(rows: BinRow[]): unknown[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v])));
}

/** The totals and the sweep curve's divergence edge, for the terminal. */
export function binSummaryText(rows: BinRow[], surface: Surface): string {
  const total = rows.reduce((a, r) => a + r.particles, 0);
  const count = (f: (r: BinRow) => number) => Math.round(rows.reduce((a, r) => a + f(r) * r.particles, 0));
  const status = (['running', 'converged', 'diverged', 'nonfinite'] as const).map((k) => [k, count((r) => r[k])] as const).filter(([, v]) => v > 0);
  const minima = surface.minima.map((m) => [m.name, count((r) => r.minima[m.name])] as const).filter(([, v]) => v > 0);
  const edge = rows.find((r) => r.diverged + r.nonfinite > 0.5);
  const limits = surface.minima.filter((m) => Number.isFinite(m.lrLimit) && m.lrLimit > 0).map((m) => `${m.name} ${fmt(m.lrLimit)}`);
  return [
    `${rows.length} lr bins of ${fmt(total / Math.max(1, rows.length), 4)} particles (loss quantiles from ${SUMMARY_BUCKETS}-bucket histograms)`,
    `status:   ${status.map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
    `minimum:  ${minima.map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
    `first bin more than half diverged: ${edge ? `lr ${fmt(edge.lr_min)}..${fmt(edge.lr_max)}` : 'none'}`,
    ...(limits.length ? [`2/lambda_max at the known minima: ${limits.join(', ')}`] : []),
  ].join('\n');
}
