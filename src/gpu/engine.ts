// The WebGPU engine: particle buffers, the fused step pipeline, dispatch, and pooled
// readback. The same code runs in the browser and in Node (Dawn).

import { checkSetup, minimaTable, provenLoss, type Engine, type EngineSetup } from '../core/engine/engine';
import { noiseScale } from '../core/noise';
import { sharedHyper, specializeShared } from '../core/optimizers';
import { checkRange, INFO_WORDS, ParticleError, POS_FLOATS, rangesOf, type ParticleRanges, type ParticleSource, type ParticleState } from '../core/particles';
import { ParticleInfo, ParticlePos, WORKGROUP_SIZE } from '../../shaders/common';
import { buildStepKernel, FAST_PASS_MIN_STEPS, STEP_CHUNK, StepParams } from '../../shaders/step';
import { ReadbackPool, submitPass, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';

export { WORKGROUP_SIZE };

/** Buffers the caller owns: pos holds a ParticlePos, info a ParticleInfo per particle (shaders/common.ts). */
export interface ExternalBuffers {
  pos?: GPUBuffer;
  info?: GPUBuffer;
}

/** What a GPU engine is built from: its particles may come a range at a time (layoutParticles). */
export type GpuSetup = Omit<EngineSetup, 'particles'> & {
  particles: ParticleSource;
  /**
   * The steps per dispatch the caller will mostly ask for: from FAST_PASS_MIN_STEPS on,
   * the kernel runs a dispatch fast and replays it checked where a particle may have
   * stopped (shaders/step.ts); below, or unset, it checks every step. Either kernel runs
   * any step count with the same results.
   */
  stepsPerDispatch?: number;
};

/**
 * Particles made and uploaded at a time when an engine is created: the starting state in
 * memory is one range (2^16 particles, a few MB), not the whole run.
 */
const UPLOAD_RANGE = 1 << 16;
/** Uploads queued at most before waiting for the GPU (each holds a staging copy of its range). */
const UPLOADS_IN_FLIGHT = 4;

/** Thrown when a generated kernel does not compile: carries the compiler's messages. */
export class ShaderCompileError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ShaderCompileError';
  }
}

export async function compileModule(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length) {
    const lines = code.split('\n');
    const text = errors.map((m) => `${label}:${m.lineNum}:${m.linePos} ${m.message}\n  ${lines[m.lineNum - 1] ?? ''}`).join('\n');
    throw new ShaderCompileError(`WGSL compilation failed:\n${text}`, code);
  }
  return module;
}

/**
 * Step pipelines by kernel text, per device: a run rebuilt with the same surface,
 * optimizer specialization and switches (a new lr sweep, a reset, a map level, a test
 * case) skips compilation, which dominates building an engine on a software GPU (Dawn
 * does not deduplicate it). The PIPELINE_CACHE_SIZE most recently used are kept.
 */
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
const PIPELINE_CACHE_SIZE = 32;

export function stepPipeline(device: GPUDevice, code: string, label: string): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const hit = cache.get(code);
  if (hit) {
    cache.delete(code); // most recently used last
    cache.set(code, hit);
    return hit;
  }
  const made = compileModule(device, code, label).then((module) =>
    device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } }),
  );
  cache.set(code, made);
  made.catch(() => cache.delete(code)); // a failure is not kept: the next try reports it again
  if (cache.size > PIPELINE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return made;
}

/** Bytes per particle in each buffer. */
function bufferBytes(p: Pick<ParticleState, 'hyperStride' | 'stateStride'>) {
  return { pos: ParticlePos.size, hyper: 4 * p.hyperStride, state: 4 * Math.max(1, p.stateStride), info: ParticleInfo.size };
}

/** The largest particle count this device's buffer limits allow for an optimizer's layout. */
export function maxParticlesFor(handle: DeviceHandle, p: Pick<ParticleState, 'hyperStride' | 'stateStride'>): number {
  const per = Math.max(...Object.values(bufferBytes(p)));
  const cap = Math.min(handle.limits.maxStorageBufferBindingSize, handle.limits.maxBufferSize);
  return Math.floor(cap / per);
}

export function checkDeviceCapacity(handle: DeviceHandle, p: Pick<ParticleState, 'n' | 'hyperStride' | 'stateStride'>): void {
  const max = maxParticlesFor(handle, p);
  if (p.n > max) {
    const cap = Math.min(handle.limits.maxStorageBufferBindingSize, handle.limits.maxBufferSize);
    throw new ParticleError(
      `too many particles for this GPU: ${p.n} > ${max} (its largest storage buffer is ${(cap / 2 ** 20).toFixed(0)} MiB, maxStorageBufferBindingSize)`,
    );
  }
}

export class GpuEngine implements Engine {
  readonly kind = 'gpu';
  readonly n: number;
  stepsQueued = 0;
  readonly kernel: string;
  readonly buffers: { pos: GPUBuffer; hyper: GPUBuffer; state: GPUBuffer; info: GPUBuffer; params: GPUBuffer; data?: GPUBuffer };
  private readonly pool: ReadbackPool;
  private readonly groupsX: number;
  private readonly groupsY: number;
  private readonly paramData = new ArrayBuffer(StepParams.size);
  private owned: (keyof GpuEngine['buffers'])[] = [];

  /** The setup without the particles' starting arrays (they live in the GPU buffers: not kept twice). */
  private readonly setup: Omit<EngineSetup, 'particles'>;
  private readonly strides: Pick<ParticleState, 'hyperStride' | 'stateStride'>;

  private constructor(
    readonly handle: DeviceHandle,
    setup: GpuSetup,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    buffers: GpuEngine['buffers'],
    kernel: string,
    private readonly fastPass: boolean,
  ) {
    const { particles, ...rest } = setup;
    this.setup = rest;
    this.strides = { hyperStride: particles.hyperStride, stateStride: particles.stateStride };
    this.n = particles.n;
    this.buffers = buffers;
    this.kernel = kernel;
    this.pool = new ReadbackPool(handle.device, 'engine readback');
    [this.groupsX, this.groupsY] = dispatchGrid(handle.limits, Math.ceil(this.n / WORKGROUP_SIZE));
  }

  /**
   * `external` buffers (e.g. a renderer's storage attributes, so particles are drawn
   * straight from them) are filled here and left for their owner to destroy.
   */
  static async create(handle: DeviceHandle, setup: GpuSetup, external: ExternalBuffers = {}): Promise<GpuEngine> {
    const { device } = handle;
    const p = rangesOf(setup.particles);
    checkSetup(setup);
    checkDeviceCapacity(handle, p);
    const bytes = bufferBytes(p);
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: keyof ExternalBuffers | 'hyper' | 'state' | 'data', size: number) => {
      const given = label === 'pos' || label === 'info' ? external[label] : undefined;
      if (given && given.size < size) throw new Error(`the ${label} buffer holds ${given.size} bytes, ${size} needed`);
      return given ?? device.createBuffer({ label, size: Math.max(size, 16), usage: storage });
    };
    const buffers = {
      pos: make('pos', bytes.pos * p.n),
      hyper: make('hyper', bytes.hyper * p.n),
      state: make('state', bytes.state * p.n),
      info: make('info', bytes.info * p.n),
      params: device.createBuffer({ label: 'params', size: StepParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      data: undefined as GPUBuffer | undefined,
    };
    const owned = (['pos', 'hyper', 'state', 'info', 'params', 'data'] as const).filter((k) => buffers[k] && (!(k === 'pos' || k === 'info') || !external[k]));
    try {
      return await GpuEngine.fill(handle, setup, p, buffers, owned);
    } catch (e) {
      owned.forEach((k) => buffers[k]?.destroy());
      throw e;
    }
  }

  /** Uploads the particles a range at a time, then compiles the kernel the particles call for. */
  private static async fill(
    handle: DeviceHandle,
    setup: GpuSetup,
    p: ParticleRanges,
    buffers: GpuEngine['buffers'],
    owned: GpuEngine['owned'],
  ): Promise<GpuEngine> {
    const { device } = handle;
    const bytes = bufferBytes(p);
    const write = (buf: GPUBuffer, offset: number, data: ArrayBufferView) => {
      if (data.byteLength) device.queue.writeBuffer(buf, offset, data.buffer, data.byteOffset, data.byteLength);
    };
    // Hyperparameters every particle shares are compiled in as constants (so plain GD
    // does not pay for momentum); the CPU reference specializes the same way.
    let shared: Record<string, number> | undefined;
    for (let first = 0, k = 1; first < p.n; first += UPLOAD_RANGE, k++) {
      const r = p.range(first, Math.min(UPLOAD_RANGE, p.n - first));
      write(buffers.pos, bytes.pos * first, r.pos);
      write(buffers.hyper, bytes.hyper * first, r.hyper);
      write(buffers.state, bytes.state * first, r.state);
      write(buffers.info, bytes.info * first, r.info);
      shared = sharedHyper(setup.optimizer, r.hyper, r.n, shared);
      if (k % UPLOADS_IN_FLIGHT === 0) {
        device.queue.submit([]); // the queued writes go out, so their staging copies are freed
        await device.queue.onSubmittedWorkDone();
      }
    }
    const optimizer = specializeShared(setup.optimizer, shared ?? {});
    const cfg = setup.config;
    const clip = { norm: cfg.clipNorm > 0, value: cfg.clipValue > 0 };
    const fastPass = (setup.stepsPerDispatch ?? 0) >= FAST_PASS_MIN_STEPS;
    // Loss-free fast pass where the loss's checks provably cannot fire (the kernel still
    // replays checked if lossBound falls below the proven bound or a particle leaves the box).
    const proven = fastPass ? provenLoss(setup.surface, cfg.posBound) : null;
    const kernel = buildStepKernel({
      fastPass,
      lossFree: proven && Math.fround(cfg.lossBound) >= proven.lossMax ? proven : null,
      surface: setup.surface,
      optimizer,
      minima: minimaTable(setup.surface),
      clip,
      noise: cfg.noise > 0,
      sam: cfg.samRho > 0,
    });
    const pipeline = await stepPipeline(device, kernel, `step:${setup.surface.id}:${setup.optimizer.def.name}`);
    const dataset = setup.surface.dataset;
    if (dataset) {
      buffers.data = device.createBuffer({
        label: 'data',
        size: Math.max(dataset.points.byteLength, 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      owned.push('data');
      write(buffers.data, 0, dataset.points);
    }
    const bound = dataset ? (['params', 'pos', 'hyper', 'state', 'info', 'data'] as const) : (['params', 'pos', 'hyper', 'state', 'info'] as const);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: bound.map((k, binding) => ({ binding, resource: { buffer: buffers[k]! } })),
    });
    const engine = new GpuEngine(handle, setup, pipeline, bindGroup, buffers, kernel, fastPass);
    engine.owned = owned;
    engine.step(0); // fills in the loss at the starts
    return engine;
  }

  /**
   * Submits k steps; returns without waiting. The fast-pass kernel takes them in
   * dispatches of at most STEP_CHUNK (each one fast pass, replayed with every check where
   * a particle may have stopped), the per-step kernel in one.
   */
  step(k: number): void {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`steps per dispatch must be a whole number >= 0, got ${k}`);
    const { device } = this.handle;
    const cfg = this.setup.config;
    const gtol2 = Math.fround(cfg.gtol) * Math.fround(cfg.gtol);
    const chunk = this.fastPass ? STEP_CHUNK : Math.max(k, 1);
    const values = {
      n: this.n,
      steps: Math.min(k, chunk),
      groupsX: this.groupsX,
      seed: cfg.seed >>> 0,
      gtol2,
      ftol: cfg.ftol,
      posBound: cfg.posBound,
      lossBound: cfg.lossBound,
      clipNorm: cfg.clipNorm,
      clipValue: cfg.clipValue,
      noiseScale: cfg.noise > 0 ? noiseScale(cfg.noise, cfg.batchSize) : 0,
      samRho: cfg.samRho,
      batch: cfg.batchSize,
      points: this.setup.surface.dataset?.spec.m ?? 0,
    };
    StepParams.write(values, this.paramData);
    device.queue.writeBuffer(this.buffers.params, 0, this.paramData);
    // Queue order: each dispatch sees the steps written before it.
    for (let left = k; ;) {
      submitPass(device, this.pipeline, this.bindGroup, this.groupsX, this.groupsY);
      left -= chunk;
      if (left <= 0) break;
      if (left < chunk) {
        StepParams.write({ ...values, steps: left }, this.paramData);
        device.queue.writeBuffer(this.buffers.params, 0, this.paramData);
      }
    }
    this.stepsQueued += k;
  }

  /** Reads all particle buffers back through pooled staging buffers (one snapshot: the copies are queued together). */
  read(): Promise<ParticleState> {
    return this.readRange(0, this.n);
  }

  /**
   * Reads particles first .. first + count - 1 back (one snapshot of them); a large run
   * is read in such ranges so that its copy in memory stays the size of one range.
   */
  async readRange(first: number, count: number): Promise<ParticleState> {
    checkRange(this.n, first, count);
    const p = this.strides;
    const sizes = bufferBytes(p);
    const keys = ['pos', 'hyper', 'state', 'info'] as const;
    const [pos, hyper, state, info] = await Promise.all(
      keys.map((k) => (sizes[k] * count ? this.pool.read(this.buffers[k], sizes[k] * count, undefined, sizes[k] * first) : new ArrayBuffer(0))),
    );
    return {
      n: count,
      hyperStride: p.hyperStride,
      stateStride: p.stateStride,
      pos: new Float32Array(pos, 0, POS_FLOATS * count),
      hyper: new Float32Array(hyper, 0, p.hyperStride * count),
      state: new Float32Array(state, 0, p.stateStride * count),
      info: new Uint32Array(info, 0, INFO_WORDS * count),
    };
  }

  /** Resolves when the GPU has finished all submitted work. */
  done(): Promise<void> {
    return this.handle.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.owned.forEach((k) => this.buffers[k]?.destroy());
    this.pool.destroy();
  }
}
