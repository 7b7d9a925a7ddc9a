// From a live run's layout and reductions to what the views draw: lr bins, the loss
// histogram's range, per-bin statistics and the particles whose histories are shown.
// Pure: no DOM, no GPU.

import { histogramQuantile, sweepBinLr, sweepBinning, type BinSummary, type Binning, type HistogramSpec } from '../core/analysis/bins';
import { axisValue, layoutSize, type Layout } from '../core/layouts';
import { Status } from '../core/particles';
import type { Surface } from '../core/surfaces';
import type { SweepStats } from '../views/sweep-view';

export interface LrBins {
  binning: Binning;
  /** The lr of each bin (geometric middle of its particles' lrs). */
  lr: number[];
  /** Which layout axis the bins follow: the lr of particles, or none (one bin). */
  byLr: boolean;
}

/** The lr bins of a layout: contiguous blocks of a sweep, the lr bands of random starts, the lr columns (or rows) of a map. */
export function lrBins(layout: Layout, maxBins = 64): LrBins {
  const n = layoutSize(layout);
  switch (layout.kind) {
    case 'sweep': {
      // As many bins as fit without an empty one at the end.
      const binning = sweepBinning(n, Math.ceil(n / Math.ceil(n / Math.min(maxBins, n))));
      return { binning, lr: sweepBinLr(layout, binning).map((b) => b?.lrMid ?? NaN), byLr: true };
    }
    case 'random':
      return {
        binning: { div: layout.perBand, mod: layout.bands },
        lr: Array.from({ length: layout.bands }, (_, b) => axisValue(layout.lrMin, layout.lrMax, layout.bands, b, 'log')),
        byLr: true,
      };
    case 'product': {
      const { x, y } = layout;
      if (x.param === 'lr')
        return { binning: { div: 1, mod: x.n }, lr: Array.from({ length: x.n }, (_, i) => axisValue(x.min, x.max, x.n, i, x.scale)), byLr: true };
      if (y.param === 'lr')
        return { binning: { div: x.n, mod: y.n }, lr: Array.from({ length: y.n }, (_, i) => axisValue(y.min, y.max, y.n, i, y.scale)), byLr: true };
      return { binning: { div: n, mod: 1 }, lr: [NaN], byLr: false };
    }
    case 'grid':
      return { binning: { div: n, mod: 1 }, lr: [layout.lr], byLr: false };
  }
}

/** The bin nearest to an lr (log distance); -1 when no bin has an lr. */
export function nearestBin(bins: LrBins, lr: number): number {
  let best = -1;
  let bestD = Infinity;
  bins.lr.forEach((v, b) => {
    const d = Math.abs(Math.log(v / lr));
    if (d < bestD) {
      bestD = d;
      best = b;
    }
  });
  return best;
}

/** A particle in the middle of a bin (for the curves of single particles). */
export function binRepresentative(b: Binning, n: number, bin: number): number {
  const period = b.div * b.mod;
  const rows = Math.max(1, Math.ceil(n / period));
  const i = bin * b.div + Math.floor(b.div / 2) + period * Math.floor(rows / 2);
  return Math.min(n - 1, i < n ? i : bin * b.div);
}

/** The bins nearest to the chosen lrs (in order, without repeats); none chosen: `count` spread evenly. */
export function shownBins(bins: LrBins, lrs: readonly number[], count: number): number[] {
  if (!lrs.length || !bins.byLr) return spreadBins(bins.binning.mod, count);
  return [...new Set(lrs.map((lr) => nearestBin(bins, lr)).filter((b) => b >= 0))];
}

/** Parses the loss view's lr list ("0.01, 0.1"); throws with the bad item named. */
export function parseLrList(text: string): number[] {
  const items = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return items.map((t) => {
    const v = Number(t);
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`'${t}' is not a positive learning rate`);
    return v;
  });
}

/** `count` bins spread evenly from the first to the last. */
export function spreadBins(bins: number, count: number): number[] {
  if (bins <= count) return Array.from({ length: bins }, (_, b) => b);
  return Array.from({ length: count }, (_, k) => Math.round((k * (bins - 1)) / (count - 1)));
}

/**
 * The loss histogram: log10(loss - floor) over [-12, a few decades above the top of
 * the surface], with floor the lowest loss known (minima, or the sampled surface).
 */
export function lossHistogram(surface: Surface, sampled: { lossMin: number; lossTop: number }, buckets = 256): HistogramSpec {
  const floor = Math.min(sampled.lossMin, ...surface.minima.map((m) => m.loss));
  const offset = Math.fround(Number.isFinite(floor) ? floor : 0);
  const top = Math.max(sampled.lossTop - offset, 1e-6);
  const hi = Math.min(38, Math.ceil(Math.log10(top)) + 8);
  return { value: 'loss', buckets, lo: -12, hi, log: true, offset };
}

/** Per-bin fractions and loss quantiles (above the histogram's floor) for the sweep view. */
export function sweepStats(s: BinSummary, h: HistogramSpec, bins: LrBins, minimaNames: string[]): SweepStats {
  const B = s.shape.bins;
  const out: SweepStats = {
    lr: bins.lr.slice(0, B),
    q10: [],
    median: [],
    q90: [],
    converged: [],
    diverged: [],
    minima: minimaNames.map((name) => ({ name, fraction: [] })),
  };
  const offset = h.offset ?? 0;
  for (let b = 0; b < B; b++) {
    const count = s.count(b);
    const frac = (k: number) => (count > 0 ? k / count : NaN);
    out.converged.push(frac(s.status(b, Status.Converged)));
    out.diverged.push(frac(s.status(b, Status.Diverged) + s.status(b, Status.NonFinite)));
    out.minima.forEach((m, k) => m.fraction.push(frac(s.minimum(b, k))));
    const hist = s.histogram(b);
    out.q10.push(histogramQuantile(hist, h, 0.1) - offset);
    out.median.push(histogramQuantile(hist, h, 0.5) - offset);
    out.q90.push(histogramQuantile(hist, h, 0.9) - offset);
  }
  return out;
}
