// Per-particle histories on the GPU: for up to 4096 selected particles, record() appends
// (queued, never awaited) one sample of step, loss, x, y, sharpness and lr to a ring of
// `capacity` samples per particle; read() returns them oldest first through pooled
// staging buffers. The CPU reference is HistoryBuilder (src/core/analysis/history.ts).

import { checkHistory, emptyHistory, lrStateSlot, ringSlot, type HistoryData } from '../core/analysis/history';
import type { EngineSetup } from '../core/engine/engine';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { buildHistoryKernel, HistoryParams, HistorySample } from '../../shaders/history';
import type { DeviceHandle } from './device';
import { compileModule, type GpuEngine } from './engine';
import { ReadbackPool, submitPass } from './queue';

export class HistoryRecorder {
  /** Ring index of the newest sample. */
  private head = -1;
  /** Samples recorded so far, up to the capacity. */
  private filled = 0;
  private readonly params: GPUBuffer;
  private readonly selectedBuffer: GPUBuffer;
  private readonly ring: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private readonly data = new ArrayBuffer(HistoryParams.size);
  private readonly pool: ReadbackPool;

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly pipeline: GPUComputePipeline,
    engine: GpuEngine,
    readonly selected: Uint32Array,
    readonly capacity: number,
  ) {
    const { device } = handle;
    this.pool = new ReadbackPool(device, 'history readback');
    this.params = device.createBuffer({ label: 'history params', size: HistoryParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.selectedBuffer = device.createBuffer({
      label: 'history selection',
      size: Math.max(16, selected.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.selectedBuffer, 0, selected.buffer as ArrayBuffer, selected.byteOffset, selected.byteLength);
    this.ring = device.createBuffer({ label: 'history ring', size: this.ringBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const b = engine.buffers;
    const entries = [this.params, b.pos, b.hyper, b.state, b.info, this.selectedBuffer, this.ring];
    this.bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  private get ringBytes(): number {
    return this.selected.length * this.capacity * HistorySample.size;
  }

  /**
   * A recorder of `selected` particles of `engine` (built from `setup`), `capacity`
   * samples each. Throws HistoryError for a bad selection or capacity, and a plain
   * Error when the ring exceeds the device's buffer limits.
   */
  static async create(
    engine: GpuEngine,
    setup: Pick<EngineSetup, 'surface' | 'optimizer' | 'particles'>,
    selected: Uint32Array,
    capacity: number,
  ): Promise<HistoryRecorder> {
    checkHistory(engine.n, selected, capacity);
    const handle = engine.handle;
    const bytes = selected.length * capacity * HistorySample.size;
    const cap = Math.min(handle.limits.maxStorageBufferBindingSize, handle.limits.maxBufferSize);
    if (bytes > cap) {
      throw new Error(
        `the history of ${selected.length} particles x ${capacity} samples needs ${bytes} bytes, more than this GPU's largest storage buffer (${cap} bytes): lower the capacity`,
      );
    }
    const p = setup.particles;
    const code = buildHistoryKernel({ surface: setup.surface, hyperStride: p.hyperStride, stateStride: p.stateStride, lrSlot: lrStateSlot(setup.optimizer) });
    const module = await compileModule(handle.device, code, `history:${setup.surface.id}`);
    const pipeline = await handle.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    return new HistoryRecorder(handle, pipeline, engine, Uint32Array.from(selected), capacity);
  }

  /** Samples per particle recorded so far (at most the capacity). */
  get length(): number {
    return this.filled;
  }

  /** Appends the particles' current state as the newest sample (queued after the steps already submitted; not awaited). */
  record(): void {
    this.head = (this.head + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    HistoryParams.write({ count: this.selected.length, len: this.capacity, head: this.head }, this.data);
    const { device } = this.handle;
    device.queue.writeBuffer(this.params, 0, this.data);
    submitPass(device, this.pipeline, this.bindGroup, Math.ceil(this.selected.length / WORKGROUP_SIZE));
  }

  /** The samples recorded so far, oldest first (a snapshot as of this call). */
  async read(): Promise<HistoryData> {
    const { head, filled, capacity } = this;
    const view = new DataView(await this.pool.read(this.ring, this.ringBytes));
    const out = emptyHistory(this.selected, filled);
    // Field by field through the derived offsets: no object per sample.
    const f = HistorySample.offsets;
    for (let j = 0; j < this.selected.length; j++) {
      for (let k = 0; k < filled; k++) {
        const at = HistorySample.size * (j * capacity + ringSlot(head, filled, capacity, k));
        const o = j * filled + k;
        out.x[o] = view.getFloat32(at + f.x, true);
        out.y[o] = view.getFloat32(at + f.y, true);
        out.loss[o] = view.getFloat32(at + f.loss, true);
        out.sharpness[o] = view.getFloat32(at + f.sharpness, true);
        out.lr[o] = view.getFloat32(at + f.lr, true);
        out.step[o] = view.getUint32(at + f.step, true);
        out.status[o] = view.getUint32(at + f.status, true);
      }
    }
    return out;
  }

  destroy(): void {
    this.params.destroy();
    this.selectedBuffer.destroy();
    this.ring.destroy();
    this.pool.destroy();
  }
}
