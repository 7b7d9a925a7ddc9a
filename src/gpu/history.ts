// Per-particle histories on the GPU: for up to 4096 selected particles, record() appends
// (queued, never awaited) one sample of step, loss, x, y, sharpness and lr to a ring of
// `capacity` samples per particle; read() returns them oldest first through pooled
// staging buffers. The CPU reference is HistoryBuilder (src/core/analysis/history.ts).

import { checkHistory, emptyHistory, lrStateSlot, ringSlot, type HistoryData } from '../core/analysis/history';
import type { EngineSetup } from '../core/engine/engine';
import { buildHistoryKernel } from '../../shaders/history';
import type { DeviceHandle } from './device';
import { compileModule, type GpuEngine } from './engine';
import { ReadbackPool, submitPass } from './queue';

/** Bytes per sample: two vec4 (x, y, loss, sharpness) and (lr, step, status, 0). */
const SAMPLE_BYTES = 32;

export class HistoryRecorder {
  /** Ring index of the newest sample. */
  private head = -1;
  /** Samples recorded so far, up to the capacity. */
  private filled = 0;
  private readonly params: GPUBuffer;
  private readonly selectedBuffer: GPUBuffer;
  private readonly ring: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private readonly data = new Uint32Array(4);
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
    this.params = device.createBuffer({ label: 'history params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.selectedBuffer = device.createBuffer({ label: 'history selection', size: Math.max(16, selected.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
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
    return this.selected.length * this.capacity * SAMPLE_BYTES;
  }

  /**
   * A recorder of `selected` particles of `engine` (built from `setup`), `capacity`
   * samples each. Throws HistoryError for a bad selection or capacity, and a plain
   * Error when the ring exceeds the device's buffer limits.
   */
  static async create(engine: GpuEngine, setup: Pick<EngineSetup, 'surface' | 'optimizer' | 'particles'>, selected: Uint32Array, capacity: number): Promise<HistoryRecorder> {
    checkHistory(engine.n, selected, capacity);
    const handle = engine.handle;
    const bytes = selected.length * capacity * SAMPLE_BYTES;
    const cap = Math.min(handle.limits.maxStorageBufferBindingSize, handle.limits.maxBufferSize);
    if (bytes > cap) {
      throw new Error(`the history of ${selected.length} particles x ${capacity} samples needs ${bytes} bytes, more than this GPU's largest storage buffer (${cap} bytes): lower the capacity`);
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
    this.data.set([this.selected.length, this.capacity, this.head, 0]);
    const { device } = this.handle;
    device.queue.writeBuffer(this.params, 0, this.data);
    submitPass(device, this.pipeline, this.bindGroup, Math.ceil(this.selected.length / 64));
  }

  /** The samples recorded so far, oldest first (a snapshot as of this call). */
  async read(): Promise<HistoryData> {
    const { head, filled, capacity } = this;
    const words = new Uint32Array(await this.pool.read(this.ring, this.ringBytes));
    const floats = new Float32Array(words.buffer);
    const out = emptyHistory(this.selected, filled);
    for (let j = 0; j < this.selected.length; j++) {
      for (let k = 0; k < filled; k++) {
        const at = 8 * (j * capacity + ringSlot(head, filled, capacity, k));
        const o = j * filled + k;
        out.x[o] = floats[at];
        out.y[o] = floats[at + 1];
        out.loss[o] = floats[at + 2];
        out.sharpness[o] = floats[at + 3];
        out.lr[o] = floats[at + 4];
        out.step[o] = words[at + 5];
        out.status[o] = words[at + 6];
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
