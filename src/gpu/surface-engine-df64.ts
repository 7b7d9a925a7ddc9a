// A df64 surface run on the GPU (shaders/surface-df64.ts), one thread per particle:
// CpuEngineDF64's state (core/engine/cpu-df64.ts) in buffers of the same layout, so
// read() compares with the CPU reference word for word.

import { buildSurfaceKernelDF64, SurfaceDF64Params } from '../../shaders/surface-df64';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { initialStateDF64, type SurfaceStateDF64 } from '../core/engine/cpu-df64';
import { stepLimits, type SurfaceSetupDF64 } from '../core/engine/surface-df64';
import { INFO_WORDS } from '../core/particles';
import { stepPipeline } from './engine';
import { dispatchGrid, ReadbackPool, submitPass, uploadBuffer } from './queue';
import type { DeviceHandle } from './device';

const ORDER = ['params', 'pos', 'hyper', 'ostate', 'info', 'losses', 'one'] as const;

export class GpuEngineDF64 {
  private readonly pool: ReadbackPool;
  private readonly groupsX: number;
  private readonly groupsY: number;
  private readonly paramData = new ArrayBuffer(SurfaceDF64Params.size);

  private constructor(
    readonly handle: DeviceHandle,
    readonly setup: SurfaceSetupDF64,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly buffers: Record<(typeof ORDER)[number], GPUBuffer>,
  ) {
    this.pool = new ReadbackPool(handle.device, 'surface df64 readback');
    [this.groupsX, this.groupsY] = dispatchGrid(handle.limits, Math.ceil(setup.n / WORKGROUP_SIZE));
  }

  get n(): number {
    return this.setup.n;
  }

  static async create(handle: DeviceHandle, setup: SurfaceSetupDF64): Promise<GpuEngineDF64> {
    const { device } = handle;
    const kernel = buildSurfaceKernelDF64({ surface: setup.surface, optimizer: setup.optimizer, limits: stepLimits(setup.config) });
    // Cached by kernel text: a map's levels and zooms rebuild the same kernel.
    const pipeline = await stepPipeline(device, kernel, `surface-df64:${setup.surface.id}:${setup.optimizer.def.name}`);
    const st = initialStateDF64(setup);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: string, data: ArrayBufferView, use = usage) =>
      uploadBuffer(handle, data, { label: `surface df64 ${label}`, name: `df64 ${label}`, usage: use, fewer: 'fewer pixels' });
    const buffers = {
      params: device.createBuffer({ label: 'surface df64 params', size: SurfaceDF64Params.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      pos: make('pos', st.xy),
      hyper: make('hyper', st.hyper),
      ostate: make('ostate', st.state),
      info: make('info', st.info),
      losses: make('losses', st.losses),
      one: make('one', new Float32Array([1, 0, 0, 0]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
    };
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: ORDER.map((k, binding) => ({ binding, resource: { buffer: buffers[k] } })),
    });
    const engine = new GpuEngineDF64(handle, setup, pipeline, bindGroup, buffers);
    engine.step(0); // the loss at the start
    return engine;
  }

  /** One dispatch of k steps per particle; returns without waiting. */
  step(k: number): void {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`steps per dispatch must be a whole number >= 0, got ${k}`);
    SurfaceDF64Params.write({ n: this.setup.n, steps: k, groupsX: this.groupsX }, this.paramData);
    this.handle.device.queue.writeBuffer(this.buffers.params, 0, this.paramData);
    submitPass(this.handle.device, this.pipeline, this.bindGroup, this.groupsX, this.groupsY);
  }

  /** Resolves when the queued steps are done. */
  done(): Promise<void> {
    return this.handle.device.queue.onSubmittedWorkDone();
  }

  async read(): Promise<SurfaceStateDF64> {
    const n = this.setup.n;
    const sizes = {
      pos: 16 * n,
      hyper: 8 * n * this.setup.optimizer.hyperStride,
      ostate: 8 * n * this.setup.optimizer.stateStride,
      info: 4 * INFO_WORDS * n,
      losses: 16 * n,
    };
    const keys = ['pos', 'hyper', 'ostate', 'info', 'losses'] as const;
    const [xy, hyper, state, info, losses] = await Promise.all(keys.map((k) => this.pool.read(this.buffers[k], Math.max(16, sizes[k]))));
    return {
      n,
      xy: new Float32Array(xy, 0, 4 * n),
      hyper: new Float32Array(hyper, 0, sizes.hyper / 4),
      state: new Float32Array(state, 0, sizes.ostate / 4),
      info: new Uint32Array(info, 0, INFO_WORDS * n),
      losses: new Float32Array(losses, 0, 4 * n),
    };
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.pool.destroy();
  }
}
