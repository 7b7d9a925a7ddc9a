// What the views draw, computed without a browser: lr bins of every layout, the loss
// histogram's range, per-bin statistics, chart series, the bifurcation image.

import { describe, expect, test } from 'vitest';
import { BinSummary, reduceBins, sweepBinning } from '../../src/core/analysis/bins';
import { unpackRgba } from '../../src/core/analysis/map';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, particleStatus } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { binRepresentative, lossHistogram, lrBins, nearestBin, parseLrList, shownBins, spreadBins, sweepStats } from '../../src/app/view-data';
import { densityImage } from '../../src/views/bifurcation-view';
import { forScale } from '../../src/views/chart';
import { stabilityMarkers, sweepChartData } from '../../src/views/sweep-view';
import { alignSteps, lossChartData, sharpnessChartData, type ParticleTrace } from '../../src/views/traces-view';

const binOfIndex = (b: { div: number; mod: number }, i: number) => Math.floor(i / b.div) % b.mod;

describe('lr bins of each layout', () => {
  test('sweep: contiguous blocks, lr rising, every particle in the bin of its lr', () => {
    const layout: Layout = { kind: 'sweep', start: [0, 0], lrMin: 0.01, lrMax: 1, n: 1000 };
    const bins = lrBins(layout, 64);
    expect(bins.binning).toEqual({ div: 16, mod: 63 }); // 64 bins of 16 would leave the last one empty
    const p = buildParticles(layout, getOptimizer('SGD'));
    for (let i = 0; i < p.n; i++) {
      const b = binOfIndex(bins.binning, i);
      // The particle's lr lies within its bin's neighbours' lr (bins are log-spaced blocks).
      expect(Math.abs(Math.log(p.hyper[p.hyperStride * i] / bins.lr[b]))).toBeLessThan(Math.log(100) / 64 + 1e-6);
    }
    expect(bins.lr.every((v, k) => k === 0 || v > bins.lr[k - 1])).toBe(true);
  });
  test('random starts: one bin per lr band, with the band lr', () => {
    const layout: Layout = { kind: 'random', domain: [-1, 1, -1, 1], perBand: 30, bands: 7, lrMin: 0.1, lrMax: 0.7, seed: 3 };
    const bins = lrBins(layout);
    const p = buildParticles(layout, getOptimizer('SGD'));
    for (let i = 0; i < p.n; i++) expect(Math.fround(bins.lr[binOfIndex(bins.binning, i)])).toBe(p.hyper[p.hyperStride * i]);
  });
  test('map: the lr axis gives the bins (columns or rows); no lr axis: one bin', () => {
    const byX: Layout = {
      kind: 'product',
      start: [0, 0],
      x: { param: 'lr', min: 0.01, max: 1, n: 5, scale: 'log' },
      y: { param: 'momentum', min: 0, max: 0.9, n: 4 },
    };
    const byY: Layout = {
      kind: 'product',
      start: [0, 0],
      x: { param: 'momentum', min: 0, max: 0.9, n: 4 },
      y: { param: 'lr', min: 0.01, max: 1, n: 5, scale: 'log' },
    };
    for (const layout of [byX, byY]) {
      const bins = lrBins(layout);
      const p = buildParticles(layout, getOptimizer('SGD'));
      for (let i = 0; i < p.n; i++) expect(Math.fround(bins.lr[binOfIndex(bins.binning, i)])).toBe(p.hyper[p.hyperStride * i]);
    }
    const starts = lrBins({ kind: 'product', start: [0, 0], x: { param: 'x0', min: -1, max: 1, n: 3 }, y: { param: 'y0', min: -1, max: 1, n: 3 } });
    expect(starts.byLr).toBe(false);
    expect(starts.binning).toEqual({ div: 9, mod: 1 });
  });
  test('nearest bin, representatives and spread', () => {
    const bins = lrBins({ kind: 'sweep', start: [0, 0], lrMin: 0.01, lrMax: 1, n: 100 }, 10);
    expect(nearestBin(bins, 0.011)).toBe(0);
    expect(nearestBin(bins, 5)).toBe(9);
    for (const b of [0, 3, 9]) expect(binOfIndex(bins.binning, binRepresentative(bins.binning, 100, b))).toBe(b);
    const cols = { div: 1, mod: 8 };
    for (const b of [0, 5, 7]) expect(binOfIndex(cols, binRepresentative(cols, 64, b))).toBe(b);
    expect(spreadBins(64, 5)).toEqual([0, 16, 32, 47, 63]);
    expect(spreadBins(3, 5)).toEqual([0, 1, 2]);
  });
});

describe('the loss curves follow chosen lrs', () => {
  test('the nearest bin of each chosen lr, without repeats; none chosen: spread', () => {
    const bins = lrBins({ kind: 'sweep', start: [0, 0], lrMin: 0.01, lrMax: 1, n: 100 }, 10);
    expect(shownBins(bins, [0.011, 0.9, 0.95], 5)).toEqual([0, 9]);
    expect(shownBins(bins, [], 5)).toEqual(spreadBins(10, 5));
  });
  test('the lr list is parsed, never evaluated; a bad item is named', () => {
    expect(parseLrList(' 0.01, 1e-3 ,')).toEqual([0.01, 1e-3]);
    expect(parseLrList('')).toEqual([]);
    expect(() => parseLrList('0.1, -2')).toThrow(/'-2' is not a positive learning rate/);
    expect(() => parseLrList('alert(1)')).toThrow(/'alert\(1\)'/);
  });
});

describe('per-bin statistics', () => {
  test('the loss floor is the lowest known minimum; the range reaches above the surface', () => {
    const s = resolveSurface('double-well');
    const h = lossHistogram(s, { lossMin: -1, lossTop: 2 });
    expect(h.offset).toBe(Math.fround(Math.min(-1, ...s.minima.map((m) => m.loss))));
    expect(h.log).toBe(true);
    expect(10 ** h.hi).toBeGreaterThan(2 - h.offset!);
  });
  test('fractions and quantiles from a real reduction match the particles', () => {
    const surface = resolveSurface('quadratic');
    const layout: Layout = { kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 1, n: 400 };
    const opt = getOptimizer('SGD');
    const engine = new CpuEngine({ surface, optimizer: opt, particles: buildParticles(layout, opt), config: DEFAULT_RUN_CONFIG });
    engine.step(30);
    const p = engine.state;
    const bins = lrBins(layout, 8);
    const h = lossHistogram(surface, { lossMin: 0, lossTop: 10 }, 512);
    const summary = reduceBins(p, surface, { binning: bins.binning, histogram: h });
    const stats = sweepStats(
      summary,
      h,
      bins,
      surface.minima.map((m) => m.name),
    );
    for (let b = 0; b < 8; b++) {
      const idx = Array.from({ length: p.n }, (_, i) => i).filter((i) => binOfIndex(bins.binning, i) === b);
      const conv = idx.filter((i) => particleStatus(p.info, i) === Status.Converged).length / idx.length;
      const div = idx.filter((i) => particleStatus(p.info, i) >= Status.Diverged).length / idx.length;
      expect(stats.converged[b]).toBeCloseTo(conv, 12);
      expect(stats.diverged[b]).toBeCloseTo(div, 12);
      const alive = idx
        .filter((i) => particleStatus(p.info, i) <= Status.Converged)
        .map((i) => p.pos[4 * i + 2])
        .sort((a, c) => a - c);
      if (alive.length > 10) {
        const median = alive[Math.floor(alive.length / 2)];
        // Buckets are (hi - lo) / 512 decades wide.
        expect(Math.abs(Math.log10(stats.median[b]) - Math.log10(median))).toBeLessThan(((h.hi - h.lo) / 512) * 2);
      }
    }
    // Below 2/lambda_max everything converges; well above it everything diverges.
    expect(stats.diverged[0]).toBe(0);
    expect(stats.diverged[7]).toBe(1);
  });
  test('empty bins give gaps, not zeros', () => {
    const shape = { bins: 2, minima: 0, buckets: 4 };
    const s = BinSummary.empty(shape);
    s.data[0] = 3; // bin 0: 3 running particles, none histogrammed
    const stats = sweepStats(s, { value: 'loss', buckets: 4, lo: -1, hi: 1, log: true }, { binning: sweepBinning(4, 2), lr: [0.1, 0.2], byLr: true }, []);
    expect(stats.converged[0]).toBe(0);
    expect(Number.isNaN(stats.converged[1])).toBe(true);
    expect(Number.isNaN(stats.median[0])).toBe(true);
  });
});

describe('chart series', () => {
  test('log scales drop values they cannot show', () => {
    expect(forScale([1, 0, -1, NaN, Infinity, null, 2], true)).toEqual([1, null, null, null, null, null, 2]);
    expect(forScale([0, -1], false)).toEqual([0, -1]);
  });
  test('the sweep chart marks 2/lambda_max of each smooth minimum', () => {
    const s = resolveSurface('double-well');
    const markers = stabilityMarkers(s.minima)!;
    expect(markers.map((m) => m.x).sort()).toEqual(s.minima.map((m) => m.lrLimit).sort());
    const data = sweepChartData(
      { lr: [0.1, 0.2], q10: [1, 1], median: [2, 2], q90: [3, 3], converged: [1, 0], diverged: [0, 1], minima: [{ name: 'sharp', fraction: [1, 0] }] },
      s.minima,
    );
    expect(data.series.map((x) => x.label)).toEqual(['loss q10', 'median loss', 'loss q90', 'converged', 'diverged', 'in sharp']);
    expect(data.bands).toEqual([{ lower: 0, upper: 2, fill: expect.any(String) }]);
  });
  test('series sampled at different steps are merged onto one axis with gaps', () => {
    const { x, values } = alignSteps([
      { steps: [0, 10], values: [[1, 2]] },
      { steps: [5, 10, 15], values: [[7, 8, 9]] },
    ]);
    expect(x).toEqual([0, 5, 10, 15]);
    expect(values).toEqual([
      [1, null, 2, null],
      [null, 7, 8, 9],
    ]);
  });
  test('loss and sharpness charts: a median with its band per shown bin; 2/eta_t per particle', () => {
    const trace: ParticleTrace = { index: 3, lr: 0.1, steps: [0, 1], loss: [1, 0.5], sharpness: [10, 12], lrUsed: [0.1, 0.05] };
    const loss = lossChartData([{ step: 0, median: [1, 2], q10: [0.5, 1], q90: [2, 3] }], [0.01, 0.1], [0, 1], [trace], [0.01, 0.1], 'plasma');
    expect(loss.series).toHaveLength(3 * 2 + 1);
    expect(loss.bands).toEqual([
      { lower: 0, upper: 2, fill: expect.any(String) },
      { lower: 3, upper: 5, fill: expect.any(String) },
    ]);
    expect(loss.x).toEqual([1, 2]); // step + 1 for the log axis
    const sharp = sharpnessChartData([trace], [0.01, 0.1], 'plasma');
    expect(sharp.series[1].values).toEqual([20, 40]);
  });
});

describe('bifurcation image', () => {
  test('empty cells are white, counts shade darker, bins run across and buckets up', () => {
    const density = new Uint32Array([0, 5, 0, 1, 0, 0]); // 2 bins x 3 buckets
    const img = densityImage({ bins: 2, buckets: 3, density });
    expect(img.nx).toBe(2);
    expect(img.ny).toBe(3);
    expect(unpackRgba(img.rgba[0])).toEqual([255, 255, 255, 255]);
    const many = unpackRgba(img.rgba[1 * 2 + 0]); // bin 0, bucket 1
    const one = unpackRgba(img.rgba[0 * 2 + 1]); // bin 1, bucket 0
    expect(many[0] + many[1] + many[2]).toBeLessThan(one[0] + one[1] + one[2]);
  });
});
