// Runs the FP32 multiply-add yardstick (shaders/fma.ts): the device's plain multiply-add
// rate, which `etascape bench` sets the network implementations' rates against.

import { WORKGROUP_SIZE } from '../../shaders/common';
import { buildFmaKernel, FMA_PER_ITERATION, FmaParams } from '../../shaders/fma';
import { compileModule } from './engine';
import { submitPass, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';

export class FmaKernel {
  private readonly paramData = new ArrayBuffer(FmaParams.size);

  private constructor(
    private readonly handle: DeviceHandle,
    /** Threads (each runs FMA_PER_ITERATION multiply-adds per iteration). */
    readonly n: number,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly params: GPUBuffer,
    readonly data: GPUBuffer,
    private readonly groups: [number, number],
  ) {}

  /** `b`: each thread's vec4 multiplier (4 n values; the chains start at b + k). */
  static async create(handle: DeviceHandle, b: Float32Array): Promise<FmaKernel> {
    const { device } = handle;
    if (b.length % 4 || b.length === 0) throw new RangeError(`the multipliers come in vec4s: ${b.length} values`);
    const n = b.length / 4;
    const module = await compileModule(device, buildFmaKernel(), 'fma');
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const params = device.createBuffer({ label: 'fma params', size: FmaParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const data = device.createBuffer({
      label: 'fma data',
      size: b.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    device.queue.writeBuffer(data, 0, b.buffer, b.byteOffset, b.byteLength);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, data].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new FmaKernel(handle, n, pipeline, bindGroup, params, data, dispatchGrid(handle.limits, Math.ceil(n / WORKGROUP_SIZE)));
  }

  /** Submits one dispatch of `iters` iterations; returns the multiply-adds it runs. */
  step(iters: number): number {
    FmaParams.write({ n: this.n, iters, groupsX: this.groups[0], pad: 0 }, this.paramData);
    this.handle.device.queue.writeBuffer(this.params, 0, this.paramData);
    submitPass(this.handle.device, this.pipeline, this.bindGroup, this.groups[0], this.groups[1]);
    return this.n * iters * FMA_PER_ITERATION;
  }

  done(): Promise<void> {
    return this.handle.device.queue.onSubmittedWorkDone();
  }

  /** Each thread's result (the sum of its chains), 4 n values. */
  async read(): Promise<Float32Array> {
    const { device } = this.handle;
    const staging = device.createBuffer({ size: this.data.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(this.data, 0, staging, 0, this.data.size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return out;
  }

  destroy(): void {
    this.params.destroy();
    this.data.destroy();
  }
}

/**
 * The device's multiply-add rate: `threads` threads, dispatches of `iters` iterations
 * repeated (after one warm-up dispatch) until `minSeconds` have passed.
 */
export async function measureFmaRate(handle: DeviceHandle, opts: { threads?: number; iters?: number; minSeconds?: number } = {}) {
  const threads = opts.threads ?? 1 << 16;
  const iters = opts.iters ?? 256;
  const kernel = await FmaKernel.create(handle, new Float32Array(4 * threads).fill(0.5));
  try {
    kernel.step(1);
    await kernel.done();
    let macs = 0;
    const t = performance.now();
    for (let batch = 1; ; batch *= 2) {
      for (let r = 0; r < batch; r++) macs += kernel.step(iters);
      await kernel.done();
      if (performance.now() - t >= (opts.minSeconds ?? 1) * 1000) break;
    }
    const seconds = (performance.now() - t) / 1000;
    return { threads, iters, multiply_adds: macs, seconds, multiply_adds_per_second: macs / seconds };
  } finally {
    kernel.destroy();
  }
}
