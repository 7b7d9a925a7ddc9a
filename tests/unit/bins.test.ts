// Binning, buckets, summaries, quantiles from histograms and clusters (src/core/analysis/bins.ts).

import { describe, expect, test } from 'vitest';
import {
  Bifurcation,
  binOf,
  binParticleRange,
  bucketOf,
  bucketThresholds,
  clusters,
  fromOrderedKey,
  histogramQuantile,
  orderedKey,
  reduceBins,
  sweepBinLr,
  sweepBinning,
  type HistogramSpec,
} from '../../src/core/analysis/bins';
import { sharpnessOf, topEigenvalue } from '../../src/core/analysis/sharpness';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { allocateParticles, NO_MINIMUM, Status, type ParticleState } from '../../src/core/particles';
import { uniform01 } from '../../src/core/random';
import { resolveSurface, symmetricEigenvalues } from '../../src/core/surfaces';

/** numpy's default quantile (linear interpolation between order statistics). */
function sortedQuantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]);
}

function histogramOf(values: number[], h: HistogramSpec): number[] {
  const thr = bucketThresholds(h);
  const out = new Array(h.buckets).fill(0);
  for (const v of values) out[bucketOf(thr, Math.fround(v - (h.offset ?? 0)))]++;
  return out;
}

describe('binning', () => {
  test.each([
    [1000, 7],
    [1000, 64],
    [10, 4],
    [4096, 4096],
    [5, 1],
  ])('sweep of %i particles in %i bins: contiguous, every particle once, sizes differ by the last bin only', (n, bins) => {
    const b = sweepBinning(n, bins);
    const sizes = new Array(bins).fill(0);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const k = binOf(b, i);
      expect(k).toBeGreaterThanOrEqual(prev);
      expect(k).toBeLessThan(bins);
      prev = k;
      sizes[k]++;
    }
    expect(sizes.reduce((a, v) => a + v, 0)).toBe(n);
    const used = sizes.filter((s) => s > 0);
    expect(used.slice(0, -1).every((s) => s === Math.ceil(n / bins))).toBe(true);
    for (let k = 0; k < bins; k++) {
      const r = binParticleRange(b, n, k);
      if (sizes[k] === 0) expect(r).toBeNull();
      else expect(r![1] - r![0] + 1).toBe(sizes[k]);
    }
  });

  test('product layout: {div 1, mod nx} bins by column, {div nx, mod ny} by row', () => {
    const opt = getOptimizer('SGD');
    const nx = 7;
    const ny = 5;
    const p = buildParticles(
      { kind: 'product', start: [0, 0], x: { param: 'lr', min: 0.1, max: 1, n: nx }, y: { param: 'momentum', min: 0, max: 0.9, n: ny } },
      opt,
    );
    const mom = opt.def.hyper.findIndex((h) => h.name === 'momentum');
    for (let i = 0; i < p.n; i++) {
      // Same column: same lr; same row: same momentum.
      expect(p.hyper[i * p.hyperStride]).toBe(p.hyper[binOf({ div: 1, mod: nx }, i) * p.hyperStride]);
      expect(p.hyper[i * p.hyperStride + mom]).toBe(p.hyper[binOf({ div: nx, mod: ny }, i) * nx * p.hyperStride + mom]);
    }
  });

  test('bad bin counts are refused, naming the limit', () => {
    expect(() => sweepBinning(10, 0)).toThrow(/bins must be a whole number >= 1, got 0/);
    expect(() => sweepBinning(10, 11)).toThrow(/at most the number of particles \(10\), got 11/);
    expect(() => sweepBinning(10, 2.5)).toThrow(/whole number/);
  });

  test('lr range of each sweep bin: the first and last particle lr, float32; lr_mid geometric', () => {
    const layout = { kind: 'sweep' as const, start: [0, 0] as [number, number], lrMin: 0.01, lrMax: 3, n: 1000 };
    const p = buildParticles(layout, getOptimizer('SGD'));
    const b = sweepBinning(1000, 7);
    const lr = sweepBinLr(layout, b);
    expect(lr).toHaveLength(7);
    lr.forEach((r, k) => {
      const [first, last] = binParticleRange(b, 1000, k)!;
      expect(r!.lrMin).toBe(p.hyper[first * p.hyperStride]);
      expect(r!.lrMax).toBe(p.hyper[last * p.hyperStride]);
      expect(r!.lrMid).toBeCloseTo(Math.sqrt(r!.lrMin * r!.lrMax), 12);
    });
    expect(lr[0]!.lrMin).toBe(Math.fround(0.01));
    expect(lr[6]!.lrMax).toBe(Math.fround(3));
    expect(sweepBinLr({ ...layout, n: 9 }, sweepBinning(9, 4))[3]).toBeNull(); // 9 in bins of 3: the 4th is empty
  });
});

describe('buckets', () => {
  test('linear: the bucket of a value in the middle of bucket k is k; outside values go to the edge buckets', () => {
    const h: HistogramSpec = { value: 'x', buckets: 40, lo: -2, hi: 3 };
    const thr = bucketThresholds(h);
    expect(thr).toHaveLength(39);
    for (let k = 0; k < 40; k++) expect(bucketOf(thr, Math.fround(-2 + (k + 0.5) * 0.125))).toBe(k);
    expect(bucketOf(thr, -1e30)).toBe(0);
    expect(bucketOf(thr, -Infinity)).toBe(0);
    expect(bucketOf(thr, 7)).toBe(39);
    expect(bucketOf(thr, Infinity)).toBe(39);
    // An edge belongs to the bucket above it.
    expect(bucketOf(thr, thr[10])).toBe(11);
  });

  test('log10(value - offset): bucket k holds offset + 10^[lo + k w, lo + (k+1) w); at or below the offset: bucket 0', () => {
    const h: HistogramSpec = { value: 'loss', buckets: 30, lo: -6, hi: 2, log: true, offset: -1.5 };
    const w = 8 / 30;
    for (let k = 0; k < 30; k++) {
      const v = -1.5 + Math.pow(10, -6 + (k + 0.5) * w);
      expect(histogramOf([v], h).indexOf(1)).toBe(k);
    }
    expect(histogramOf([-1.5], h)[0]).toBe(1);
    expect(histogramOf([-4], h)[0]).toBe(1);
    expect(histogramOf([1e30], h)[29]).toBe(1);
  });

  test('float order keys: unsigned order = float order, and they read back', () => {
    const vs = [-Infinity, -3e38, -1, -1e-30, -0, 0, 1e-30, 0.5, 1, 1e20, Infinity].map(Math.fround);
    const keys = vs.map(orderedKey);
    for (let k = 1; k < keys.length; k++) expect(keys[k]).toBeGreaterThan(keys[k - 1]);
    vs.forEach((v, k) => expect(Object.is(fromOrderedKey(keys[k]), v)).toBe(true));
  });

  test('topEigenvalue: the top eigenvalue of the symmetric 2x2 within float32 rounding; a^2 + b^2 on ab = 1 of the two-layer net', () => {
    for (let k = 0; k < 500; k++) {
      const [a, b, c] = [0, 1, 2].map((j) => Math.fround(40 * (uniform01(3, k, j) - 0.5)));
      const want = symmetricEigenvalues(a, b, c)[1];
      expect(Math.abs(topEigenvalue(a, b, c) - want)).toBeLessThanOrEqual(1e-5 * (Math.abs(a) + Math.abs(b) + Math.abs(c)));
    }
    const s = sharpnessOf(resolveSurface('two-layer'));
    for (const a of [0.5, 1, 2, 3]) expect(s(a, 1 / a)).toBeCloseTo(a * a + 1 / (a * a), 5);
  });
});

/** A hand-made state: particle i at (x_i, y_i) with loss_i, status and minimum given. */
function state(rows: [number, number, number, number, number][]): ParticleState {
  const p = allocateParticles(rows.length, getOptimizer('SGD'));
  rows.forEach(([x, y, loss, status, minimum], i) => {
    p.pos.set([x, y, loss, loss], 4 * i);
    p.info.set([status, 10, 10, minimum], 4 * i);
  });
  return p;
}

describe('summary', () => {
  const surface = resolveSurface('double-well');
  const { Running: R, Converged: C, Diverged: D, NonFinite: F } = Status;
  const N = NO_MINIMUM;
  const p = state([
    // bin 0
    [-1, 0, -1.2, C, 1],
    [1.2, 0, -1.5, C, 0],
    [0.3, 0.1, 0.01, R, N],
    [9e3, 0, 4e6, D, N],
    // bin 1
    [NaN, 0, NaN, F, N],
    [1.2, 0, -1.5, C, 0],
    [0.5, 0.5, NaN, R, N], // running with a NaN loss: counted, not histogrammed
    [-50, 2, 120, R, N], // outside the x range: edge bucket
  ]);
  const h: HistogramSpec = { value: 'x', buckets: 4, lo: -2, hi: 2 };
  const s = reduceBins(p, surface, { binning: sweepBinning(8, 2), histogram: h });

  test('counts per status and minimum (+ none), per bin', () => {
    expect([0, 1, 2, 3].map((k) => s.status(0, k))).toEqual([1, 2, 1, 0]);
    expect([0, 1, 2, 3].map((k) => s.status(1, k))).toEqual([2, 1, 0, 1]);
    expect([s.minimum(0, 0), s.minimum(0, 1), s.minimum(0, null)]).toEqual([1, 1, 2]);
    expect([s.minimum(1, 0), s.minimum(1, 1), s.minimum(1, null)]).toEqual([1, 0, 3]);
    expect(s.count(0)).toBe(4);
    expect(s.count(1)).toBe(4);
  });

  test('histogram and range of running and converged particles only; outside values in the edge buckets', () => {
    expect(Array.from(s.histogram(0))).toEqual([0, 1, 1, 1]); // -1, 0.3, 1.2 (9e3 diverged: left out)
    expect(Array.from(s.histogram(1))).toEqual([1, 0, 1, 1]); // -50 -> bucket 0, 0.5, 1.2
    expect(s.range(0)).toEqual([-1, Math.fround(1.2)]);
    expect(s.range(1)).toEqual([-50, Math.fround(1.2)]);
  });

  test('loss histogram skips the NaN loss of a running particle; an empty bin has range NaN', () => {
    const l = reduceBins(p, surface, { binning: { div: 1, mod: 10 }, histogram: { value: 'loss', buckets: 8, lo: -2, hi: 2 } });
    expect(Array.from(l.histogram(6))).toEqual(new Array(8).fill(0));
    expect(l.range(6)).toEqual([NaN, NaN]);
    expect(l.range(9)).toEqual([NaN, NaN]);
    expect(l.count(9)).toBe(0);
  });

  test('bifurcation density: accumulate adds one iterate per call', () => {
    const bif = new Bifurcation(surface, { binning: sweepBinning(8, 2), histogram: h });
    bif.accumulate(p);
    bif.accumulate(p);
    expect(Array.from(bif.column(0))).toEqual([0, 2, 2, 2]);
    expect(Array.from(bif.column(1))).toEqual([2, 0, 2, 2]);
    bif.clear();
    expect(bif.image.every((v) => v === 0)).toBe(true);
  });

  test('bad histogram settings are refused, naming them', () => {
    expect(() => reduceBins(p, surface, { binning: { div: 1, mod: 2 }, histogram: { ...h, buckets: 0 } })).toThrow(/buckets must be a whole number/);
    expect(() => reduceBins(p, surface, { binning: { div: 1, mod: 2 }, histogram: { ...h, lo: 1, hi: 1 } })).toThrow(/finite lo < hi/);
    expect(() => reduceBins(p, surface, { binning: { div: 0, mod: 2 }, histogram: h })).toThrow(/binning div/);
    expect(() => reduceBins(p, surface, { binning: { div: 1, mod: 2 }, histogram: { ...h, value: 'z' as 'x' } })).toThrow(/histogram value must be one of/);
  });
});

describe('quantiles from a histogram', () => {
  const values = (k: number, f: (u: number) => number) => Array.from({ length: k }, (_, i) => f(uniform01(11, i, 0)));

  test.each([
    ['uniform on [0, 1)', values(20000, (u) => u), { value: 'loss', buckets: 100, lo: 0, hi: 1 }],
    [
      'normal-ish (sum of 4 uniforms)',
      values(20000, () => 0).map((_, i) => [0, 1, 2, 3].reduce((a, j) => a + uniform01(5, i, j), 0)),
      { value: 'loss', buckets: 200, lo: 0, hi: 4 },
    ],
    ['log-uniform over 8 decades', values(20000, (u) => Math.pow(10, -6 + 8 * u)), { value: 'loss', buckets: 160, lo: -6, hi: 2, log: true }],
    ['log-uniform above an offset', values(20000, (u) => -3 + Math.pow(10, -4 + 4 * u)), { value: 'loss', buckets: 80, lo: -4, hi: 0, log: true, offset: -3 }],
  ] as [string, number[], HistogramSpec][])('%s: q10, median, q90 within one bucket of the sorted-array quantiles', (_, data, h) => {
    const hist = histogramOf(data, h);
    const sorted = [...data].sort((a, b) => a - b);
    const width = (h.hi - h.lo) / h.buckets;
    const t = (v: number) => (h.log ? Math.log10(v - (h.offset ?? 0)) : v);
    for (const q of [0.1, 0.25, 0.5, 0.9]) {
      const got = histogramQuantile(hist, h, q);
      const want = sortedQuantile(sorted, q);
      expect(Math.abs(t(got) - t(want)), `q${q}: ${got} vs ${want}`).toBeLessThan(width);
    }
  });

  test('interpolates inside the bucket: one value per bucket centre gives the exact quantile', () => {
    const h: HistogramSpec = { value: 'loss', buckets: 100, lo: 0, hi: 100 };
    const hist = new Array(100).fill(1);
    expect(histogramQuantile(hist, h, 0.5)).toBe(50);
    expect(histogramQuantile(hist, h, 0.1)).toBe(10);
    expect(histogramQuantile(hist, h, 0.25)).toBe(25);
    expect(histogramQuantile(hist, h, 0)).toBe(0);
    expect(histogramQuantile(hist, h, 1)).toBe(100);
    // All counts in one bucket: the quantiles spread across it.
    const one = new Array(100).fill(0);
    one[42] = 10;
    expect(histogramQuantile(one, h, 0.5)).toBe(42.5);
  });

  test('empty histogram: NaN; q outside [0, 1]: an error', () => {
    const h: HistogramSpec = { value: 'loss', buckets: 4, lo: 0, hi: 1 };
    expect(histogramQuantile([0, 0, 0, 0], h, 0.5)).toBeNaN();
    expect(() => histogramQuantile([1, 0, 0, 0], h, 1.5)).toThrow(/quantile must be in \[0, 1\]/);
  });
});

describe('clusters', () => {
  test('one peak, two peaks, four peaks', () => {
    const col = (peaks: number[], width = 2) => {
      const c = new Array(100).fill(0);
      for (const p of peaks) for (let k = p; k < p + width; k++) c[k] = 50;
      return c;
    };
    expect(clusters(col([40]))).toEqual([{ from: 40, to: 41, count: 100 }]);
    expect(clusters(col([20, 70])).length).toBe(2);
    expect(clusters(col([10, 30, 50, 80])).length).toBe(4);
  });

  test('gaps up to `gap` empty buckets merge; sparse buckets below minFraction are ignored', () => {
    const c = new Array(50).fill(0);
    c[10] = 30;
    c[12] = 30; // one empty bucket between
    c[30] = 40;
    c[45] = 1; // a stray transient
    expect(clusters(c).map((k) => [k.from, k.to])).toEqual([
      [10, 12],
      [30, 30],
      [45, 45],
    ]);
    expect(clusters(c, { gap: 0 }).length).toBe(4);
    expect(clusters(c, { minFraction: 0.05 }).map((k) => [k.from, k.to, k.count])).toEqual([
      [10, 12, 60],
      [30, 30, 40],
    ]);
    expect(clusters(new Array(10).fill(0))).toEqual([]);
  });
});
