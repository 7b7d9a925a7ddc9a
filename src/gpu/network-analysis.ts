// Analysis of the networks a NetworkEngine trains, on the GPU and in place (no
// parameter readback): sharpness by power iteration on the exact Hessian-vector product
// and the fractal notebook's convergence measure (shaders/network-analysis.ts). Their
// CPU references: SharpnessCpu (core/nn/sharpness.ts) and fractalMeasure32 (core/nn/measure.ts).

import { buildMeasureKernel, buildSharpnessKernel, MeasureParams, SharpnessParams } from '../../shaders/network-analysis';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { DEFAULT_POWER_ITERS, startDirections } from '../core/nn/sharpness';
import { compileModule } from './engine';
import { ReadbackPool, submitPass, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';
import { NetworkEngine } from './network-engine';
import type { FractalMeasures, NetRunner } from '../core/nn/runner';
import type { NetSetup, NetState } from '../core/nn/train';

/** Read when buffers are made: in Node the GPU globals exist only once a device is. */
const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const grid = (handle: DeviceHandle, n: number) => dispatchGrid(handle.limits, Math.ceil(n / WORKGROUP_SIZE));

/** Top Hessian eigenvalue of every network of an engine (or of a buffer of networks), warm-started from the last call's eigenvectors. */
export class NetworkSharpness {
  private readonly pool: ReadbackPool;

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly n: number,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly buffers: GPUBuffer[],
    /** Per network: its top eigenvalue and its loss (2 floats). */
    readonly result: GPUBuffer,
    readonly kernel: string,
  ) {
    this.pool = new ReadbackPool(handle.device, 'sharpness readback');
  }

  static create(engine: NetworkEngine, iters = DEFAULT_POWER_ITERS, seed = 0): Promise<NetworkSharpness> {
    const { model, data } = engine.setup;
    return NetworkSharpness.forBuffers(
      engine.handle,
      { model, points: data.n, n: engine.n, theta: engine.buffers.theta, data: engine.buffers.data },
      iters,
      seed,
    );
  }

  /** For n networks whose parameters are in `theta` (n x params) and data in `data` (an engine's layout). */
  static async forBuffers(
    handle: DeviceHandle,
    on: { model: NetSetup['model']; points: number; n: number; theta: GPUBuffer; data: GPUBuffer },
    iters = DEFAULT_POWER_ITERS,
    seed = 0,
  ): Promise<NetworkSharpness> {
    const { device } = handle;
    const { model, n } = on;
    const kernel = buildSharpnessKernel({ model, points: on.points, iters });
    const module = await compileModule(device, kernel, `sharpness:${model.params}x${iters}`);
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const dirs = startDirections(model.params, n, seed);
    const dirBuf = device.createBuffer({ label: 'sharpness directions', size: dirs.byteLength, usage: storage() });
    device.queue.writeBuffer(dirBuf, 0, dirs.buffer, dirs.byteOffset, dirs.byteLength);
    const result = device.createBuffer({ label: 'sharpness result', size: 8 * n, usage: storage() });
    const [gx] = grid(handle, n);
    const params = device.createBuffer({ label: 'sharpness params', size: SharpnessParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(params, 0, SharpnessParams.write({ n, groupsX: gx }));
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, on.theta, dirBuf, result, on.data].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new NetworkSharpness(handle, n, pipeline, bindGroup, [params, dirBuf, result], result, kernel);
  }

  /** Queues one estimate at the current parameters (after the steps already queued). */
  submit(): void {
    const [gx, gy] = grid(this.handle, this.n);
    submitPass(this.handle.device, this.pipeline, this.bindGroup, gx, gy);
  }

  /** Estimates now and reads back: per network the top eigenvalue and the loss. */
  async run(): Promise<{ lambda: Float32Array; loss: Float32Array }> {
    this.submit();
    const n = this.n;
    const out = new Float32Array(await this.pool.read(this.result, 8 * n));
    const lambda = new Float32Array(n);
    const loss = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      lambda[i] = out[2 * i];
      loss[i] = out[2 * i + 1];
    }
    return { lambda, loss };
  }

  destroy(): void {
    this.buffers.forEach((b) => b.destroy());
    this.pool.destroy();
  }
}

/** The fractal notebook's measure of every network of an engine, from its recorded losses. */
export class NetworkMeasure {
  private readonly pool: ReadbackPool;
  private readonly paramData = new ArrayBuffer(MeasureParams.size);

  private constructor(
    private readonly engine: NetworkEngine,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly params: GPUBuffer,
    private readonly result: GPUBuffer,
  ) {
    this.pool = new ReadbackPool(engine.handle.device, 'measure readback');
  }

  static async create(engine: NetworkEngine): Promise<NetworkMeasure> {
    const { device } = engine.handle;
    if (engine.setup.config.history < 1) throw new Error('the fractal measure reads the recorded losses: train with a history');
    const module = await compileModule(device, buildMeasureKernel(), 'fractal measure');
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const params = device.createBuffer({ label: 'measure params', size: MeasureParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const result = device.createBuffer({ label: 'measure result', size: 8 * engine.n, usage: storage() });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, engine.buffers.info, engine.buffers.hist, result].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new NetworkMeasure(engine, pipeline, bindGroup, params, result);
  }

  /** The measure over L_0 .. L_{steps-1} (steps <= the recorded history). */
  async run(steps: number): Promise<FractalMeasures> {
    const { handle, n, setup } = this.engine;
    if (!Number.isInteger(steps) || steps < 1 || steps > setup.config.history)
      throw new RangeError(`measure over 1 .. ${setup.config.history} steps, got ${steps}`);
    const [gx, gy] = grid(handle, n);
    MeasureParams.write({ n, groupsX: gx, steps, history: setup.config.history }, this.paramData);
    handle.device.queue.writeBuffer(this.params, 0, this.paramData);
    submitPass(handle.device, this.pipeline, this.bindGroup, gx, gy);
    const out = new Float32Array(await this.pool.read(this.result, 8 * n));
    const converged = new Uint8Array(n);
    const value = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      converged[i] = out[2 * i];
      value[i] = out[2 * i + 1];
    }
    return { converged, value };
  }

  destroy(): void {
    [this.params, this.result].forEach((b) => b.destroy());
    this.pool.destroy();
  }
}

/** The GPU engine behind the scenes' NetRunner interface (core/nn/runner.ts); the analysis kernels are built on first use. */
export class GpuNetRunner implements NetRunner {
  private power?: NetworkSharpness;
  private measurer?: NetworkMeasure;

  private constructor(
    private readonly engine: NetworkEngine,
    private readonly iters: number,
  ) {}

  static async create(handle: DeviceHandle, setup: NetSetup, iters = DEFAULT_POWER_ITERS): Promise<GpuNetRunner> {
    return new GpuNetRunner(await NetworkEngine.create(handle, setup), iters);
  }

  get setup(): NetSetup {
    return this.engine.setup;
  }

  step(k: number): void {
    this.engine.step(k);
  }

  read(): Promise<NetState> {
    return this.engine.read();
  }

  async sharpness(): Promise<Float32Array> {
    this.power ??= await NetworkSharpness.create(this.engine, this.iters);
    return (await this.power.run()).lambda;
  }

  async measure(steps: number): Promise<FractalMeasures> {
    this.measurer ??= await NetworkMeasure.create(this.engine);
    return this.measurer.run(steps);
  }

  destroy(): void {
    this.power?.destroy();
    this.measurer?.destroy();
    this.engine.destroy();
  }
}
