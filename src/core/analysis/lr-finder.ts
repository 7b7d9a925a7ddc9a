// fastai's learning-rate finder analysis (Learner.lr_find), on a range-test curve: the
// loss smoothed as fastai's Recorder does, the stop on divergence, and the suggestions.
// Semantics follow fastai/callback/schedule.py (LRFinder, lr_find, valley, steep,
// minimum) and fastai/learner.py (AvgSmoothLoss, Recorder.after_batch); computed in
// float64 where fastai uses float32 tensors.

/** fastai's AvgSmoothLoss default. */
export const SMOOTH_BETA = 0.98;
/** fastai's LRFinder stops once the smoothed loss exceeds this times its best. */
export const STOP_DIV_FACTOR = 4;

export interface LrFinderOptions {
  /** Iterations of the range test (fastai's num_it): fixes the analysis window's start. */
  numIt: number;
  beta?: number;
  stopDiv?: boolean;
}

export interface Suggestion {
  /** The suggested lr. */
  lr: number;
  /** Index into the curve of the point marked on the plot. */
  index: number;
  /** The (smoothed) loss there. */
  loss: number;
}

export interface LrFinderResult {
  /** The recorded curve, up to and including the step that stopped it: lr of each step ... */
  lrs: number[];
  /** ... the raw loss (at the point where that step's gradient was taken) ... */
  raw: number[];
  /** ... and the debiased exponential moving average of the raw losses. */
  smoothed: number[];
  /** 'diverged': the smoothed loss exceeded 4x its best; 'nonfinite': a raw loss was not finite (that step is left out); 'end': num_it steps ran. */
  stop: 'diverged' | 'nonfinite' | 'end';
  /** Index of the last step recorded when the run stopped early (into lrs), or null when it ran to the end. */
  stopIndex: number | null;
  /** First and one-past-last curve index the suggestions look at (fastai: [num_it//10, len-5)). */
  window: [number, number];
  suggestions: {
    /** Half-way down the longest valley (fastai's default suggestion). */
    valley: Suggestion | null;
    /** Where the loss falls fastest against log lr. */
    steep: Suggestion | null;
    /** A tenth of the lr at the lowest loss (the marked point is the lowest loss itself). */
    minimum: Suggestion | null;
  };
}

/** fastai's AvgSmoothLoss: val = lerp(loss, val, beta), value = val / (1 - beta^count). */
export function smoothLosses(raw: readonly number[], beta = SMOOTH_BETA): number[] {
  let val = 0;
  return raw.map((loss, k) => {
    val = loss + beta * (val - loss);
    return val / (1 - beta ** (k + 1));
  });
}

/**
 * The range test as fastai's LRFinder records it. Step i runs at lrs[i]; raw[i] is the
 * loss of that batch (before its update). Each step is recorded, then the run stops if
 * the smoothed loss exceeds 4x the best so far (stop_div) or after num_it steps. A raw
 * loss that is not finite (a particle left the domain) stops it before recording: fastai
 * would carry NaN on and drop it from its first NaN.
 */
export function lrFind(lrs: readonly number[], raw: readonly number[], opts: LrFinderOptions): LrFinderResult {
  if (lrs.length !== raw.length) throw new RangeError(`lrs and losses differ in length: ${lrs.length} vs ${raw.length}`);
  const beta = opts.beta ?? SMOOTH_BETA;
  const stopDiv = opts.stopDiv ?? true;
  const out: Pick<LrFinderResult, 'lrs' | 'raw' | 'smoothed'> = { lrs: [], raw: [], smoothed: [] };
  let stop: LrFinderResult['stop'] = 'end';
  let best = Infinity;
  let val = 0;
  for (let i = 0; i < Math.min(lrs.length, opts.numIt); i++) {
    if (!Number.isFinite(raw[i])) {
      stop = 'nonfinite';
      break;
    }
    val = raw[i] + beta * (val - raw[i]);
    const s = val / (1 - beta ** (i + 1));
    out.lrs.push(lrs[i]);
    out.raw.push(raw[i]);
    out.smoothed.push(s);
    if (s < best) best = s;
    if (stopDiv && s > STOP_DIV_FACTOR * best) {
      stop = 'diverged';
      break;
    }
  }
  const n = out.lrs.length;
  // fastai's lr_find: lrs[num_it//10:-5], losses likewise (the smoothed ones).
  const from = Math.floor(opts.numIt / 10);
  const to = Math.max(from, n - 5);
  const wl = out.lrs.slice(from, to);
  const ws = out.smoothed.slice(from, to);
  const shift = (s: Suggestion | null): Suggestion | null => (s ? { ...s, index: s.index + from } : null);
  return {
    ...out,
    stop,
    stopIndex: stop === 'end' || n === 0 ? null : n - 1,
    window: [from, to],
    suggestions: { valley: shift(valley(wl, ws)), steep: shift(steep(wl, ws)), minimum: shift(minimum(wl, ws)) },
  };
}

/**
 * fastai's `valley`: the longest valley (longest strictly decreasing subsequence, by
 * dynamic programming, with fastai's bookkeeping of where it starts), then the point
 * int(len/3) + int(len/6) past its start.
 */
export function valley(lrs: readonly number[], losses: readonly number[]): Suggestion | null {
  const n = losses.length;
  if (n === 0) return null;
  let maxStart = 0;
  let maxEnd = 0;
  const lds = new Array<number>(n).fill(1);
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[maxEnd] < lds[i]) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd];
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  // maxStart is -1 for a valley from the first point; a short one then gives idx = -1,
  // which Python reads as the last point.
  let idx = maxStart + Math.trunc(sections) + Math.trunc(sections / 2);
  if (idx < 0) idx += n;
  return { lr: lrs[idx], index: idx, loss: losses[idx] };
}

/** fastai's `steep`: the lr at the start of the segment where loss falls fastest against log lr. */
export function steep(lrs: readonly number[], losses: readonly number[]): Suggestion | null {
  if (losses.length < 2) return null;
  let idx = 0;
  let best = Infinity;
  for (let i = 0; i + 1 < losses.length; i++) {
    const g = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (g < best) {
      best = g;
      idx = i;
    }
  }
  return { lr: lrs[idx], index: idx, loss: losses[idx] };
}

/** fastai's `minimum`: a tenth of the lr at the lowest loss (the first, on ties). */
export function minimum(lrs: readonly number[], losses: readonly number[]): Suggestion | null {
  if (losses.length === 0) return null;
  let idx = 0;
  for (let i = 1; i < losses.length; i++) if (losses[i] < losses[idx]) idx = i;
  return { lr: lrs[idx] / 10, index: idx, loss: losses[idx] };
}
