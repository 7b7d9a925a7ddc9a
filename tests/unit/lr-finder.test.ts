// fastai's lr_find analysis on synthetic curves, against values worked out by hand from
// fastai/callback/schedule.py and AvgSmoothLoss (fastai/learner.py).

import { describe, expect, test } from 'vitest';
import { lrFind, minimum, smoothLosses, steep, valley } from '../../src/core/analysis/lr-finder';

describe('smoothed loss: debiased exponential moving average (AvgSmoothLoss)', () => {
  test('a constant loss stays constant (the debiasing undoes the zero start)', () => {
    for (const s of smoothLosses([3, 3, 3, 3, 3])) expect(s).toBeCloseTo(3, 12);
  });

  test('by hand: beta 0.98 on [2, 0] gives [2, 0.0392/0.0396]', () => {
    // val1 = 2 + 0.98 (0 - 2) = 0.04, /(1 - 0.98) = 2; val2 = 0 + 0.98 * 0.04 = 0.0392, /(1 - 0.98^2).
    const [a, b] = smoothLosses([2, 0]);
    expect(a).toBeCloseTo(2, 12);
    expect(b).toBeCloseTo(0.0392 / 0.0396, 12);
  });

  test('by hand: beta 0.5 on [2, 0, 4]', () => {
    // vals 1, 0.5, 2.25; debiased by 0.5, 0.75, 0.875.
    const s = smoothLosses([2, 0, 4], 0.5);
    expect(s[0]).toBeCloseTo(2, 12);
    expect(s[1]).toBeCloseTo(0.5 / 0.75, 12);
    expect(s[2]).toBeCloseTo(2.25 / 0.875, 12);
  });
});

describe('suggestions (fastai valley, steep, minimum)', () => {
  const lrs = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => 10 ** (k - 6));

  test('valley: the longest valley 5 > 4 > 3 > 2 > 1 > 0.5, then int(6/3) + int(6/6) past its start', () => {
    // lds ends at 6 on index 7, so max_start = 7 - 6 = 1 (fastai's bookkeeping), idx = 1 + 2 + 1.
    const v = valley(lrs, [5, 4, 3, 2, 1, 2, 3, 0.5])!;
    expect(v.index).toBe(4);
    expect(v.lr).toBe(lrs[4]);
    expect(v.loss).toBe(1);
  });

  test('valley: a rising curve has a valley of one point at the start', () => {
    expect(valley(lrs, [1, 2, 3, 4, 5, 6, 7, 8])!.index).toBe(0);
  });

  test("valley: fastai's index -1 (a short valley from the first point) is Python's last point", () => {
    // lds = [1, 2, 1]: max_end 1, max_start -1, sections 2/3, idx = -1.
    expect(valley([1, 2, 3], [2, 1, 3])!.index).toBe(2);
  });

  test('steep: the segment where loss falls fastest per unit of log lr, marked at its left end', () => {
    // Slopes per ln(10): -1, -4, -0.5.
    const s = steep([1, 10, 100, 1000], [10, 9, 5, 4.5])!;
    expect(s.index).toBe(1);
    expect(s.lr).toBe(10);
  });

  test('steep: slopes are per log lr, not per step (uneven spacing)', () => {
    // Drops 1 over a factor 10 (slope -1/ln 10) and 0.5 over a factor 1.1 (slope -0.5/ln 1.1, steeper).
    expect(steep([1, 10, 11], [3, 2, 1.5])!.index).toBe(1);
  });

  test('minimum: a tenth of the lr at the lowest loss, the first on ties', () => {
    const m = minimum([0.1, 0.2, 0.3, 0.4], [3, 1, 2, 1])!;
    expect(m.index).toBe(1);
    expect(m.lr).toBeCloseTo(0.02, 15);
    expect(m.loss).toBe(1);
  });

  test('empty curves give no suggestion; steep needs two points', () => {
    expect(valley([], [])).toBeNull();
    expect(minimum([], [])).toBeNull();
    expect(steep([1], [1])).toBeNull();
  });
});

describe('lrFind: the run as fastai records it', () => {
  test('stop_div: the smoothed loss over 4x its best stops the run at that step', () => {
    // s0 = 1; val1 = 10 + 0.98 (0.02 - 10) = 0.2196, s1 = 0.2196 / 0.0396 = 5.545 > 4.
    const r = lrFind([1e-3, 1e-2, 1e-1, 1], [1, 10, 20, 30], { numIt: 4 });
    expect(r.stop).toBe('diverged');
    expect(r.stopIndex).toBe(1);
    expect(r.lrs).toEqual([1e-3, 1e-2]);
    expect(r.smoothed[1]).toBeCloseTo(0.2196 / 0.0396, 12);
  });

  test('without stop_div the run goes on to num_it', () => {
    const r = lrFind([1e-3, 1e-2, 1e-1, 1], [1, 10, 20, 30], { numIt: 4, stopDiv: false });
    expect(r.stop).toBe('end');
    expect(r.lrs.length).toBe(4);
  });

  test('a non-finite loss stops before it is recorded', () => {
    const r = lrFind([1, 2, 3, 4], [1, 0.9, Infinity, 0.5], { numIt: 4 });
    expect(r.stop).toBe('nonfinite');
    expect(r.stopIndex).toBe(1);
    expect(r.raw).toEqual([1, 0.9]);
  });

  test('the suggestions look at [num_it//10, len-5), indices into the whole curve', () => {
    // 30 steps, lr 10^(-4 + k/6); loss falls (fastest between steps 11 and 12), bottoms at 16, then rises.
    const numIt = 30;
    const lrs = Array.from({ length: numIt }, (_, k) => 10 ** (-4 + k / 6));
    const raw = lrs.map((_, k) => (k < 11 ? 10 - 0.1 * k : k === 11 ? 8.9 : k <= 16 ? 3 - 0.1 * (k - 12) : 2.6 + 0.05 * (k - 16)));
    const r = lrFind(lrs, raw, { numIt, stopDiv: false });
    expect(r.window).toEqual([3, 25]);
    // Against the helpers run on the window itself, shifted by its start.
    const ws = r.smoothed.slice(3, 25);
    const wl = lrs.slice(3, 25);
    expect(r.suggestions.valley!.index).toBe(valley(wl, ws)!.index + 3);
    expect(r.suggestions.steep!.index).toBe(steep(wl, ws)!.index + 3);
    expect(r.suggestions.minimum!.index).toBe(minimum(wl, ws)!.index + 3);
    // The smoothed curve still falls fastest at the raw cliff (8.9 -> 3 at step 11 -> 12) ...
    expect(r.suggestions.steep!.index).toBe(11);
    // ... and the minimum of the smoothed loss lags the raw one (step 16) but stays inside the window.
    expect(r.suggestions.minimum!.index).toBeGreaterThanOrEqual(16);
    expect(r.suggestions.minimum!.lr).toBeCloseTo(lrs[r.suggestions.minimum!.index] / 10, 15);
  });

  test('a curve too short for the window gives no suggestions', () => {
    const r = lrFind([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], { numIt: 5 });
    expect(r.window).toEqual([0, 0]);
    expect(r.suggestions).toEqual({ valley: null, steep: null, minimum: null });
  });
});
