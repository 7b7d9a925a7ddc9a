// Loss, gradient and exact Hessian-vector product of many networks on the GPU (the
// kernel from shaders/network.ts); the CPU twin is NetworkEvaluator (core/nn/network.ts).

import { buildHvpKernel, HvpParams } from '../../shaders/network';
import { WORKGROUP_SIZE } from '../../shaders/common';
import type { Dataset } from '../core/nn/data';
import type { Model } from '../core/nn/model';
import { compileModule } from './engine';
import { ReadbackPool, submitPass, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';

export interface HvpResult {
  loss: Float32Array;
  grad: Float32Array;
  hv: Float32Array;
}

export class NetworkHvp {
  private readonly pool: ReadbackPool;

  private constructor(
    readonly handle: DeviceHandle,
    readonly model: Model,
    private readonly pipeline: GPUComputePipeline,
    private readonly data: GPUBuffer,
    readonly kernel: string,
  ) {
    this.pool = new ReadbackPool(handle.device, 'hvp readback');
  }

  static async create(handle: DeviceHandle, model: Model, data: Dataset): Promise<NetworkHvp> {
    const { device } = handle;
    const kernel = buildHvpKernel({ model, points: data.n });
    const module = await compileModule(device, kernel, `hvp:${model.params}`);
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const all = new Float32Array(data.x.length + data.y.length);
    all.set(data.x);
    all.set(data.y, data.x.length);
    const buf = device.createBuffer({ label: 'hvp data', size: all.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, all);
    return new NetworkHvp(handle, model, pipeline, buf, kernel);
  }

  /** theta and dir: n x params each. */
  async run(theta: Float32Array, dir: Float32Array): Promise<HvpResult> {
    const { device } = this.handle;
    const P = this.model.params;
    const n = theta.length / P;
    if (!Number.isInteger(n) || dir.length !== theta.length) throw new Error('theta and dir must both hold n x params values');
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const input = device.createBuffer({ label: 'theta+dir', size: 8 * n * P, usage });
    device.queue.writeBuffer(input, 0, theta.buffer, theta.byteOffset, theta.byteLength);
    device.queue.writeBuffer(input, 4 * n * P, dir.buffer, dir.byteOffset, dir.byteLength);
    const bytes = 4 * (2 * n * P + n);
    const result = device.createBuffer({ label: 'hvp result', size: Math.ceil(bytes / 16) * 16, usage });
    const [gx, gy] = dispatchGrid(this.handle.limits, Math.ceil(n / WORKGROUP_SIZE));
    const params = device.createBuffer({ label: 'hvp params', size: HvpParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(params, 0, HvpParams.write({ n, groupsX: gx }));
    const bind = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [params, input, result, this.data].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    submitPass(device, this.pipeline, bind, gx, gy);
    const out = new Float32Array(await this.pool.read(result, bytes));
    [input, result, params].forEach((b) => b.destroy());
    return { hv: out.slice(0, n * P), grad: out.slice(n * P, 2 * n * P), loss: out.slice(2 * n * P, 2 * n * P + n) };
  }

  destroy(): void {
    this.data.destroy();
    this.pool.destroy();
  }
}
