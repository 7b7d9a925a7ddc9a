// Per-bin reductions of the particles, the CPU reference of src/gpu/reduce.ts: counts per
// status and per known minimum, the range and a histogram of one value (loss, x, y or
// sharpness) per bin, and a bifurcation density (bins x value buckets) accumulated
// over recorded iterates. Both engines compute buckets by comparing float32 values
// with the same float32 thresholds, so their counts are identical.

import { axisValue, layoutSize, type Layout } from '../layouts';
import { Status, minimumIndex, particleStatus, type ParticleState } from '../particles';
import type { Surface } from '../surfaces';
import { sharpnessOf } from './sharpness';

const f32 = Math.fround;

// ---------------------------------------------------------------- binning

/** bin(i) = floor(i / div) % mod: contiguous lr bins of a sweep, or rows/columns of a product layout. */
export interface Binning {
  div: number;
  mod: number;
}

export function checkBinning(b: Binning): void {
  for (const [name, v] of [
    ['div', b.div],
    ['mod', b.mod],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new RangeError(`binning ${name} must be a whole number >= 1, got ${v}`);
  }
}

export function binOf(b: Binning, i: number): number {
  return Math.floor(i / b.div) % b.mod;
}

/** A sweep of n particles in `bins` contiguous bins (the last may hold fewer). */
export function sweepBinning(n: number, bins: number): Binning {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a whole number >= 1, got ${bins}`);
  if (bins > n) throw new RangeError(`bins must be at most the number of particles (${n}), got ${bins}`);
  return { div: Math.ceil(n / bins), mod: bins };
}

/** First and last particle of a bin of contiguous blocks (div particles each), or null when empty. */
export function binParticleRange(b: Binning, n: number, bin: number): [number, number] | null {
  const first = bin * b.div;
  if (first >= n) return null;
  return [first, Math.min(n, first + b.div) - 1];
}

export interface BinLr {
  lrMin: number;
  lrMax: number;
  /** Geometric mean of lrMin and lrMax. */
  lrMid: number;
}

/** The lr range of each bin of a sweep layout (float32, as the particles hold it); null for empty bins. */
export function sweepBinLr(layout: Extract<Layout, { kind: 'sweep' }>, b: Binning): (BinLr | null)[] {
  const n = layoutSize(layout);
  const lrAt = (i: number) => f32(axisValue(layout.lrMin, layout.lrMax, n, i, layout.scale ?? 'log'));
  return Array.from({ length: b.mod }, (_, bin) => {
    const r = binParticleRange(b, n, bin);
    if (!r) return null;
    const lrMin = lrAt(r[0]);
    const lrMax = lrAt(r[1]);
    return { lrMin, lrMax, lrMid: Math.sqrt(lrMin * lrMax) };
  });
}

// ---------------------------------------------------------------- values and buckets

const VALUE_KINDS = ['loss', 'x', 'y', 'sharpness'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/**
 * A histogram of one value over `buckets` buckets: linear over [lo, hi], or over
 * log10(value - offset) in [lo, hi]. Values outside go to the edge buckets.
 */
export interface HistogramSpec {
  value: ValueKind;
  buckets: number;
  lo: number;
  hi: number;
  log?: boolean;
  offset?: number;
}

const MAX_BUCKETS = 65536;

export function checkHistogram(h: HistogramSpec): void {
  if (!VALUE_KINDS.includes(h.value)) throw new RangeError(`histogram value must be one of ${VALUE_KINDS.join(', ')}, got '${h.value}'`);
  if (!Number.isInteger(h.buckets) || h.buckets < 1 || h.buckets > MAX_BUCKETS) {
    throw new RangeError(`histogram buckets must be a whole number in 1 .. ${MAX_BUCKETS}, got ${h.buckets}`);
  }
  if (!Number.isFinite(h.lo) || !Number.isFinite(h.hi) || !(h.lo < h.hi)) throw new RangeError(`histogram range needs finite lo < hi, got [${h.lo}, ${h.hi}]`);
  if (h.log && (h.lo < -38 || h.hi > 38)) throw new RangeError(`a log10 histogram range must lie within [-38, 38] (float32), got [${h.lo}, ${h.hi}]`);
  if (!Number.isFinite(h.offset ?? 0)) throw new RangeError(`histogram offset must be finite, got ${h.offset}`);
}

/** Bucket edges in the transformed space (log10 for a log histogram): buckets + 1 of them. */
function histogramEdges(h: HistogramSpec): number[] {
  return Array.from({ length: h.buckets + 1 }, (_, k) => h.lo + ((h.hi - h.lo) * k) / h.buckets);
}

/**
 * The buckets - 1 inner edges as float32 thresholds on u = value - offset: a value's
 * bucket is the number of thresholds <= u. For a log histogram the thresholds are
 * 10^edge, so neither engine takes a logarithm and both compare the same floats.
 */
export function bucketThresholds(h: HistogramSpec): Float32Array<ArrayBuffer> {
  const e = histogramEdges(h).slice(1, -1);
  return new Float32Array(e.map((v) => (h.log ? Math.pow(10, v) : v)));
}

/** What the GPU does to a value before comparing it: subnormals flushed to +0 (SwiftShader flushes them). */
function flushSubnormal(v: number): number {
  return Math.abs(v) < 1.1754943508222875e-38 ? 0 : v;
}

/** The bucket of u (float32, not NaN) among sorted thresholds: binary search, as the kernel does. */
export function bucketOf(thresholds: Float32Array, u: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid] <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per-particle sharpness of a whole state (the CPU twin of GpuReducer.sharpness). */
export function particleSharpness(p: ParticleState, surface: Surface): Float32Array {
  const s = sharpnessOf(surface);
  return Float32Array.from({ length: p.n }, (_, i) => s(p.pos[4 * i], p.pos[4 * i + 1]));
}

/** Only running and converged particles enter histograms; diverged and non-finite are counted by status. */
function inHistogram(status: number): boolean {
  return status === Status.Running || status === Status.Converged;
}

/** Reads particle i's value (float32, subnormals flushed), or null when it is not histogrammed. */
function valueReader(p: ParticleState, kind: ValueKind, surface: Surface): (i: number) => number | null {
  const sharp = kind === 'sharpness' ? sharpnessOf(surface) : null;
  const c = kind === 'x' ? 0 : kind === 'y' ? 1 : 2;
  return (i) => {
    if (!inHistogram(particleStatus(p.info, i))) return null;
    const v = sharp ? sharp(p.pos[4 * i], p.pos[4 * i + 1]) : p.pos[4 * i + c];
    return Number.isNaN(v) ? null : flushSubnormal(v);
  };
}

/** Order-preserving u32 key of a float32 (for atomic min/max on the GPU). */
export function orderedKey(v: number): number {
  const b = new Uint32Array(new Float32Array([v]).buffer)[0];
  return (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
}

export function fromOrderedKey(k: number): number {
  const b = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
  return new Float32Array(new Uint32Array([b >>> 0]).buffer)[0];
}

// ---------------------------------------------------------------- the summary

/** Per bin: 4 status counts, minima + 1 minimum counts (the last: none), min and max keys, buckets counts. */
export interface SummaryShape {
  bins: number;
  minima: number;
  buckets: number;
}

/** Statuses counted per bin (Status codes 0 .. STATUS_COUNT - 1). */
const STATUS_COUNT = Object.keys(Status).length;

/**
 * Where each part of a bin's summary starts (in u32 words from the bin's start), and the
 * words per bin. The GPU kernel (shaders/reduce.ts) is printed with the same offsets.
 */
export function summaryLayout(s: Pick<SummaryShape, 'minima' | 'buckets'>) {
  const minima = STATUS_COUNT;
  const range = minima + s.minima + 1;
  const buckets = range + 2;
  return { status: 0, minima, range, buckets, stride: buckets + s.buckets };
}

export function summaryStride(s: SummaryShape): number {
  return summaryLayout(s).stride;
}

export class BinSummary {
  readonly stride: number;
  private readonly at: ReturnType<typeof summaryLayout>;
  constructor(
    readonly shape: SummaryShape,
    readonly data: Uint32Array,
  ) {
    this.at = summaryLayout(shape);
    this.stride = this.at.stride;
    if (data.length !== shape.bins * this.stride) throw new Error(`summary holds ${data.length} counts, ${shape.bins * this.stride} expected`);
  }

  static empty(shape: SummaryShape): BinSummary {
    return new BinSummary(shape, new Uint32Array(shape.bins * summaryStride(shape)));
  }

  private base(bin: number): number {
    return bin * this.stride;
  }

  /** Particles in the bin. */
  count(bin: number): number {
    const b = this.base(bin) + this.at.status;
    let n = 0;
    for (let s = 0; s < STATUS_COUNT; s++) n += this.data[b + s];
    return n;
  }

  /** Particles of this status (Status code) in the bin. */
  status(bin: number, status: number): number {
    return this.data[this.base(bin) + this.at.status + status];
  }

  /** Particles in known minimum m (null: in none, including every particle that has not converged). */
  minimum(bin: number, m: number | null): number {
    return this.data[this.base(bin) + this.at.minima + (m === null ? this.shape.minima : m)];
  }

  /** Smallest and largest histogrammed value (NaN when none). */
  range(bin: number): [number, number] {
    const b = this.base(bin) + this.at.range;
    if (this.data[b] === 0) return [NaN, NaN];
    return [fromOrderedKey(~this.data[b] >>> 0), fromOrderedKey(this.data[b + 1])];
  }

  histogram(bin: number): Uint32Array {
    const b = this.base(bin) + this.at.buckets;
    return this.data.subarray(b, b + this.shape.buckets);
  }
}

export interface ReduceSpec {
  binning: Binning;
  histogram: HistogramSpec;
}

/** The CPU reduction: the summary of a particle state, with the surface's known minima. */
export function reduceBins(p: ParticleState, surface: Surface, spec: ReduceSpec): BinSummary {
  checkBinning(spec.binning);
  checkHistogram(spec.histogram);
  const minima = surface.minima.length;
  const shape = { bins: spec.binning.mod, minima, buckets: spec.histogram.buckets };
  const s = BinSummary.empty(shape);
  const d = s.data;
  const thr = bucketThresholds(spec.histogram);
  const offset = f32(spec.histogram.offset ?? 0);
  const value = valueReader(p, spec.histogram.value, surface);
  const at = summaryLayout(shape);
  for (let i = 0; i < p.n; i++) {
    const b = binOf(spec.binning, i) * s.stride;
    d[b + at.status + particleStatus(p.info, i)]++;
    d[b + at.minima + Math.min(minimumIndex(p.info, i), minima)]++;
    const v = value(i);
    if (v === null) continue;
    const k = orderedKey(v);
    d[b + at.range] = Math.max(d[b + at.range], ~k >>> 0);
    d[b + at.range + 1] = Math.max(d[b + at.range + 1], k);
    d[b + at.buckets + bucketOf(thr, flushSubnormal(f32(v - offset)))]++;
  }
  return s;
}

// ---------------------------------------------------------------- bifurcation

/**
 * A density image, bins x buckets u32 counts (row-major by bin), accumulated over
 * recorded iterates: accumulate() after each of the last K steps.
 */
export class Bifurcation {
  readonly image: Uint32Array;
  private readonly thr: Float32Array;
  private readonly offset: number;

  constructor(
    private readonly surface: Surface,
    readonly spec: ReduceSpec,
  ) {
    checkBinning(spec.binning);
    checkHistogram(spec.histogram);
    this.image = new Uint32Array(spec.binning.mod * spec.histogram.buckets);
    this.thr = bucketThresholds(spec.histogram);
    this.offset = f32(spec.histogram.offset ?? 0);
  }

  accumulate(p: ParticleState): void {
    const H = this.spec.histogram.buckets;
    const value = valueReader(p, this.spec.histogram.value, this.surface);
    for (let i = 0; i < p.n; i++) {
      const v = value(i);
      if (v === null) continue;
      this.image[binOf(this.spec.binning, i) * H + bucketOf(this.thr, flushSubnormal(f32(v - this.offset)))]++;
    }
  }

  /** The density of one bin over the value buckets. */
  column(bin: number): Uint32Array {
    const H = this.spec.histogram.buckets;
    return this.image.subarray(bin * H, (bin + 1) * H);
  }

  clear(): void {
    this.image.fill(0);
  }
}

// ---------------------------------------------------------------- reading histograms

/**
 * The q-quantile (0 <= q <= 1) of the values a histogram counts, interpolated linearly
 * inside its bucket in the transformed space (then mapped back: 10^t + offset for a
 * log histogram). NaN when the histogram is empty.
 */
export function histogramQuantile(hist: ArrayLike<number>, h: HistogramSpec, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  let total = 0;
  for (let k = 0; k < hist.length; k++) total += hist[k];
  if (total === 0) return NaN;
  const target = q * total;
  const width = (h.hi - h.lo) / h.buckets;
  let below = 0;
  let t = h.hi;
  for (let k = 0; k < hist.length; k++) {
    const c = hist[k];
    if (c > 0 && below + c >= target) {
      t = h.lo + width * (k + Math.max(0, target - below) / c);
      break;
    }
    below += c;
  }
  return h.log ? Math.pow(10, t) + (h.offset ?? 0) : t;
}

export interface Cluster {
  /** First and last bucket. */
  from: number;
  to: number;
  count: number;
}

/**
 * The distinct clusters of values in one bin's density: runs of buckets holding at
 * least `minFraction` of the bin's counts, merged across gaps of up to `gap` buckets.
 * Their number is the period of a settled orbit (1: a fixed point, 2: a 2-cycle).
 */
export function clusters(column: ArrayLike<number>, opts: { minFraction?: number; gap?: number } = {}): Cluster[] {
  const gap = opts.gap ?? 1;
  let total = 0;
  for (let k = 0; k < column.length; k++) total += column[k];
  const floor = Math.max(1, (opts.minFraction ?? 0) * total);
  const out: Cluster[] = [];
  for (let k = 0; k < column.length; k++) {
    if (column[k] < floor) continue;
    const last = out[out.length - 1];
    if (last && k - last.to - 1 <= gap) {
      for (let j = last.to + 1; j <= k; j++) last.count += column[j];
      last.to = k;
    } else {
      out.push({ from: k, to: k, count: column[k] });
    }
  }
  return out;
}
