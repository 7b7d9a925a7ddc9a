// Runs the bare kernel (shaders/bare.ts) on its own copy of a setup's particles: the
// yardstick `etascape bench` measures the engine against.

import type { EngineSetup } from '../core/engine/engine';
import { specializeFor } from '../core/optimizers';
import { ParticlePos, WORKGROUP_SIZE } from '../../shaders/common';
import { BareParams, buildBareKernel } from '../../shaders/bare';
import { compileModule } from './engine';
import { submitPass, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';

export class BareKernel {
  private firstStep = 0;
  private readonly paramData = new ArrayBuffer(BareParams.size);

  private constructor(
    private readonly handle: DeviceHandle,
    readonly n: number,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly buffers: GPUBuffer[],
    private readonly groups: [number, number],
  ) {}

  static async create(handle: DeviceHandle, setup: EngineSetup): Promise<BareKernel> {
    const { device } = handle;
    const p = setup.particles;
    const optimizer = specializeFor(setup.optimizer, p.hyper, p.n);
    const module = await compileModule(device, buildBareKernel(setup.surface, optimizer), `bare:${setup.surface.id}:${setup.optimizer.def.name}`);
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const make = (label: string, size: number, data?: Float32Array) => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const buf = device.createBuffer({
        label,
        size: Math.max(size, 16),
        usage: label === 'params' ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : usage,
      });
      if (data) device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
      return buf;
    };
    const buffers = [
      make('params', BareParams.size),
      make('pos', ParticlePos.size * p.n, p.pos),
      make('hyper', 4 * p.hyperStride * p.n, p.hyper),
      make('state', 4 * Math.max(1, p.stateStride) * p.n, p.state),
    ];
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new BareKernel(handle, p.n, pipeline, bindGroup, buffers, dispatchGrid(handle.limits, Math.ceil(p.n / WORKGROUP_SIZE)));
  }

  /** Submits one dispatch of k steps. */
  step(k: number): void {
    const { device } = this.handle;
    BareParams.write({ n: this.n, steps: k, groupsX: this.groups[0], firstStep: this.firstStep }, this.paramData);
    device.queue.writeBuffer(this.buffers[0], 0, this.paramData);
    submitPass(device, this.pipeline, this.bindGroup, this.groups[0], this.groups[1]);
    this.firstStep += k;
  }

  done(): Promise<void> {
    return this.handle.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.buffers.forEach((b) => b.destroy());
  }
}
