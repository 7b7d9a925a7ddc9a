// Trails: the last `len` frame positions of up to a few thousand selected particles,
// kept on the GPU in a ring buffer that the renderer draws from.

import trailsWgsl from '../../shaders/trails.wgsl?raw';
import { COMMON_WGSL, ParticlePos, WORKGROUP_SIZE } from '../../shaders/common';
import { struct } from '../../shaders/layout';
import type { DeviceHandle } from './device';
import { compileModule } from './engine';
import { submitPass } from './queue';

const MAX_TRAILS = 4096;

export const TrailParams = struct(
  'TrailParams',
  { count: 'u32', len: 'u32', head: 'u32' },
  { uniform: true, docs: { count: 'trails', len: 'points per trail (ring)', head: 'ring index this dispatch writes' } },
);

/** `count` particle indices spread evenly over n (every lr band gets trails). */
export function trailSelection(n: number, count: number): Uint32Array {
  const m = Math.min(n, count, MAX_TRAILS);
  return Uint32Array.from({ length: m }, (_, k) => Math.floor(((k + 0.5) * n) / m));
}

export class TrailRecorder {
  /** Index of the newest point in each ring. */
  head = -1;
  /** Points recorded so far, up to len. */
  filled = 0;
  private readonly params: GPUBuffer;
  private readonly selectedBuffer: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private readonly data = new ArrayBuffer(TrailParams.size);

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly pipeline: GPUComputePipeline,
    readonly count: number,
    readonly len: number,
    pos: GPUBuffer,
    ring: GPUBuffer,
    selected: Uint32Array,
  ) {
    const { device } = handle;
    this.params = device.createBuffer({ size: TrailParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.selectedBuffer = device.createBuffer({ size: Math.max(16, selected.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.selectedBuffer, 0, selected.buffer as ArrayBuffer, selected.byteOffset, selected.byteLength);
    this.bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: pos } },
        { binding: 2, resource: { buffer: this.selectedBuffer } },
        { binding: 3, resource: { buffer: ring } },
      ],
    });
  }

  /** `ring` holds count x len ParticlePos (x, y, loss, prev loss); `pos` is the engine's buffer. */
  static async create(handle: DeviceHandle, pos: GPUBuffer, ring: GPUBuffer, selected: Uint32Array, len: number): Promise<TrailRecorder> {
    if (ring.size < selected.length * len * ParticlePos.size)
      throw new Error(`the trail ring holds ${ring.size} bytes, ${selected.length * len * ParticlePos.size} needed`);
    const code = `${COMMON_WGSL}\n\n${TrailParams.wgsl}\n\n${trailsWgsl}`;
    const module = await compileModule(handle.device, code, 'trails');
    const pipeline = await handle.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    return new TrailRecorder(handle, pipeline, selected.length, len, pos, ring, selected);
  }

  /** Records the current positions as the newest point of every trail (queued, not awaited). */
  record(): void {
    this.head = (this.head + 1) % this.len;
    this.filled = Math.min(this.filled + 1, this.len);
    TrailParams.write({ count: this.count, len: this.len, head: this.head }, this.data);
    const { device } = this.handle;
    device.queue.writeBuffer(this.params, 0, this.data);
    submitPass(device, this.pipeline, this.bindGroup, Math.ceil(this.count / WORKGROUP_SIZE));
  }

  destroy(): void {
    this.params.destroy();
    this.selectedBuffer.destroy();
  }
}
