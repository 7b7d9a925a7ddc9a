// Map images on the GPU: a small pass turns the engine's info and pos buffers (and a
// copy of pos taken at the start) into one packed RGBA8 u32 per particle; only that
// image (4 bytes per particle) is read back. The CPU twin is mapImage (core/analysis/map.ts).

import type { MapColorOptions } from '../core/analysis/map';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { buildMapKernel, MapParams } from '../../shaders/map';
import type { DeviceHandle } from './device';
import { compileModule } from './engine';
import { encodePass, ReadbackPool, dispatchGrid } from './queue';

/** The buffers one map image is made from (ParticlePos and ParticleInfo per particle, as GpuEngine keeps them). */
export interface MapSources {
  pos: GPUBuffer;
  info: GPUBuffer;
  /** pos as it was at the start (its z: the start loss). */
  start: GPUBuffer;
}

export class MapColorizer {
  private readonly params: GPUBuffer;
  private readonly paramData = new ArrayBuffer(MapParams.size);
  private image: GPUBuffer | null = null;
  private readonly pool: ReadbackPool;

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.pool = new ReadbackPool(handle.device, 'map readback');
    this.params = handle.device.createBuffer({ label: 'map params', size: MapParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  static async create(handle: DeviceHandle): Promise<MapColorizer> {
    const module = await compileModule(handle.device, buildMapKernel(), 'map');
    const pipeline = await handle.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    return new MapColorizer(handle, pipeline);
  }

  /** A buffer holding a copy of `pos` now: the start losses a later image compares against. */
  snapshot(pos: GPUBuffer): GPUBuffer {
    const { device } = this.handle;
    const copy = device.createBuffer({ label: 'map start', size: pos.size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(pos, 0, copy, 0, pos.size);
    device.queue.submit([enc.finish()]);
    return copy;
  }

  /** Colours n particles and reads the image back (after all work queued before it). */
  async render(src: MapSources, n: number, o: MapColorOptions): Promise<Uint32Array> {
    const { device } = this.handle;
    const bytes = Math.max(16, 4 * n);
    if (!this.image || this.image.size !== bytes) {
      this.image?.destroy();
      this.image = device.createBuffer({ label: 'map image', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    }
    const [groupsX, groupsY] = dispatchGrid(this.handle.limits, Math.ceil(n / WORKGROUP_SIZE));
    MapParams.write({ n, coloring: o.coloring === 'basin' ? 1 : 0, steps: o.steps, groupsX, floor: o.floor }, this.paramData);
    device.queue.writeBuffer(this.params, 0, this.paramData);
    const bindGroup = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [this.params, src.pos, src.info, src.start, this.image].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const image = this.image;
    const bytesOut = await this.pool.read(image, bytes, (enc) => encodePass(enc, this.pipeline, bindGroup, groupsX, groupsY));
    return new Uint32Array(bytesOut, 0, n);
  }

  destroy(): void {
    this.params.destroy();
    this.image?.destroy();
    this.pool.destroy();
  }
}
