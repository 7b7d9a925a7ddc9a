// Per-bin reductions on the GPU (shaders/reduce.ts) over an engine's pos and info
// buffers: the bin summary, the bifurcation density and per-particle sharpness. Results
// come back asynchronously through pooled staging buffers; nothing here waits inside
// a frame: callers use each Promise when it resolves.

import {
  BinSummary,
  bucketThresholds,
  checkBinning,
  checkHistogram,
  summaryLayout,
  summaryStride,
  type Binning,
  type HistogramSpec,
  type SummaryShape,
} from '../core/analysis/bins';
import type { Surface } from '../core/surfaces';
import { buildReduceKernel, ReduceParams } from '../../shaders/reduce';
import type { DeviceHandle } from './device';
import { compileModule, WORKGROUP_SIZE, type GpuEngine } from './engine';
import { encodePass, ReadbackPool, submitPass, dispatchGrid } from './queue';

/** The particle buffers a reducer reads (an engine's, or any with the same layout). */
export interface ReduceTarget {
  n: number;
  /** A ParticlePos (x, y, loss, prev loss) per particle. */
  pos: GPUBuffer;
  /** A ParticleInfo (status, steps, event step, minimum) per particle. */
  info: GPUBuffer;
}

export interface ReducerOptions {
  surface: Surface;
  binning: Binning;
  histogram: HistogramSpec;
  /** Also compile the per-particle sharpness kernel (sharpness()). */
  sharpness?: boolean;
}

export class GpuReducer {
  readonly shape: SummaryShape;
  readonly binning: Binning;
  private histogramSpec: HistogramSpec;
  private readonly pool: ReadbackPool;
  private readonly params: GPUBuffer;
  private readonly thresholds: GPUBuffer;
  private readonly summaryBuffer: GPUBuffer;
  private readonly densityBuffer: GPUBuffer;
  private readonly sharpBuffer: GPUBuffer | null;
  private readonly bindGroup: GPUBindGroup;
  private readonly groups: [number, number];

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly target: ReduceTarget,
    opts: ReducerOptions,
    private readonly pipelines: { summary: GPUComputePipeline; density: GPUComputePipeline; sharpness: GPUComputePipeline | null },
    layout: GPUBindGroupLayout,
  ) {
    const { device } = handle;
    this.histogramSpec = opts.histogram;
    this.binning = { ...opts.binning };
    this.shape = { bins: opts.binning.mod, minima: opts.surface.minima.length, buckets: opts.histogram.buckets };
    this.pool = new ReadbackPool(device, 'reduce readback');
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.params = device.createBuffer({ label: 'reduce-params', size: ReduceParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.thresholds = device.createBuffer({ label: 'reduce-thresholds', size: Math.max(16, 4 * (this.shape.buckets - 1)), usage: storage });
    this.summaryBuffer = device.createBuffer({ label: 'reduce-summary', size: 4 * this.shape.bins * summaryStride(this.shape), usage: storage });
    this.densityBuffer = device.createBuffer({ label: 'reduce-density', size: 4 * this.shape.bins * this.shape.buckets, usage: storage });
    this.sharpBuffer = pipelines.sharpness ? device.createBuffer({ label: 'reduce-sharpness', size: Math.max(16, 4 * target.n), usage: storage }) : null;
    this.groups = dispatchGrid(handle.limits, Math.ceil(target.n / WORKGROUP_SIZE));
    const buffers = [this.params, target.pos, target.info, this.thresholds, this.summaryBuffer, this.densityBuffer, this.sharpBuffer];
    this.bindGroup = device.createBindGroup({
      label: 'reduce',
      layout,
      entries: buffers.flatMap((buffer, binding) => (buffer ? [{ binding, resource: { buffer } }] : [])),
    });
    this.writeParams();
  }

  static async create(handle: DeviceHandle, target: ReduceTarget, opts: ReducerOptions): Promise<GpuReducer> {
    checkBinning(opts.binning);
    checkHistogram(opts.histogram);
    const sharpness = !!opts.sharpness;
    const { device } = handle;
    const module = await compileModule(
      device,
      buildReduceKernel({ surface: opts.surface, value: opts.histogram.value, sharpness }),
      `reduce:${opts.surface.id}`,
    );
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    const layout = device.createBindGroupLayout({
      label: 'reduce',
      entries: [
        entry(0, 'uniform'),
        entry(1, 'read-only-storage'),
        entry(2, 'read-only-storage'),
        entry(3, 'read-only-storage'),
        entry(4, 'storage'),
        entry(5, 'storage'),
        ...(sharpness ? [entry(6, 'storage')] : []),
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const make = (entryPoint: string) => device.createComputePipelineAsync({ layout: pipelineLayout, compute: { module, entryPoint } });
    const [summary, density, sharp] = await Promise.all([make('summary_main'), make('density_main'), sharpness ? make('sharpness_main') : null]);
    return new GpuReducer(handle, target, opts, { summary, density, sharpness: sharp }, layout);
  }

  /** A reducer over a GPU engine's particle buffers. */
  static forEngine(engine: GpuEngine, opts: ReducerOptions): Promise<GpuReducer> {
    return GpuReducer.create(engine.handle, { n: engine.n, pos: engine.buffers.pos, info: engine.buffers.info }, opts);
  }

  get histogram(): HistogramSpec {
    return this.histogramSpec;
  }

  /** Staging buffers made so far (they are reused: this stops growing once warm). */
  get stagingBuffers(): number {
    return this.pool.size;
  }

  /** A new range (or transform) for the same value and bucket count; applies to work queued after it. */
  setHistogram(h: HistogramSpec): void {
    checkHistogram(h);
    if (h.value !== this.histogramSpec.value || h.buckets !== this.histogramSpec.buckets) {
      throw new RangeError(
        `a reducer keeps its value and bucket count (${this.histogramSpec.value}, ${this.histogramSpec.buckets}): make a new one for ${h.value}, ${h.buckets}`,
      );
    }
    this.histogramSpec = h;
    this.writeParams();
  }

  private writeParams(): void {
    const { div, mod } = this.binning;
    const at = summaryLayout(this.shape);
    const data = ReduceParams.write({
      n: this.target.n,
      groupsX: this.groups[0],
      div,
      modulo: mod,
      minima: this.shape.minima,
      stride: at.stride,
      buckets: this.shape.buckets,
      offset: this.histogramSpec.offset ?? 0,
      zero: 0,
      statusAt: at.status,
      minimaAt: at.minima,
      rangeAt: at.range,
      bucketsAt: at.buckets,
    });
    const { queue } = this.handle.device;
    queue.writeBuffer(this.params, 0, data);
    const thr = bucketThresholds(this.histogramSpec);
    if (thr.length) queue.writeBuffer(this.thresholds, 0, thr);
  }

  private dispatch(enc: GPUCommandEncoder, pipeline: GPUComputePipeline): void {
    encodePass(enc, pipeline, this.bindGroup, this.groups[0], this.groups[1]);
  }

  /** Queues the reduction of the particles' current state; resolves with the summary. */
  summary(): Promise<BinSummary> {
    return this.pool
      .read(this.summaryBuffer, this.summaryBuffer.size, (enc) => {
        enc.clearBuffer(this.summaryBuffer);
        this.dispatch(enc, this.pipelines.summary);
      })
      .then((bytes) => new BinSummary(this.shape, new Uint32Array(bytes)));
  }

  /** Adds every particle's current value to the bifurcation density (queued, not awaited). */
  accumulate(): void {
    submitPass(this.handle.device, this.pipelines.density, this.bindGroup, this.groups[0], this.groups[1]);
  }

  /** The density image, bins x buckets (row-major by bin). */
  density(): Promise<Uint32Array> {
    return this.pool.read(this.densityBuffer, this.densityBuffer.size).then((bytes) => new Uint32Array(bytes));
  }

  clearDensity(): void {
    const enc = this.handle.device.createCommandEncoder();
    enc.clearBuffer(this.densityBuffer);
    this.handle.device.queue.submit([enc.finish()]);
  }

  /** Each particle's top Hessian eigenvalue at its current position (needs `sharpness: true`). */
  sharpness(): Promise<Float32Array> {
    const pipeline = this.pipelines.sharpness;
    if (!pipeline || !this.sharpBuffer) throw new Error('this reducer was created without sharpness: true');
    const sharp = this.sharpBuffer;
    return this.pool.read(sharp, sharp.size, (enc) => this.dispatch(enc, pipeline)).then((bytes) => new Float32Array(bytes, 0, this.target.n));
  }

  destroy(): void {
    [this.params, this.thresholds, this.summaryBuffer, this.densityBuffer, this.sharpBuffer].forEach((b) => b?.destroy());
    this.pool.destroy();
  }
}
