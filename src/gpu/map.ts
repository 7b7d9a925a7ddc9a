// Map images on the GPU: a small pass turns the engine's info and pos buffers (and a
// copy of pos taken at the start) into one packed RGBA8 u32 per particle; only that
// image (4 bytes per particle) is read back. The CPU twin is mapImage (core/analysis/map.ts).

import type { MapColorOptions } from '../core/analysis/map';
import { buildMapKernel, MAP_WORKGROUP_SIZE } from '../../shaders/map';
import type { DeviceHandle } from './device';
import { compileModule } from './engine';

/** The buffers one map image is made from (vec4 per particle, as GpuEngine keeps them). */
export interface MapSources {
  pos: GPUBuffer;
  info: GPUBuffer;
  /** pos as it was at the start (its z: the start loss). */
  start: GPUBuffer;
}

export class MapColorizer {
  private readonly params: GPUBuffer;
  private readonly paramData = new ArrayBuffer(32);
  private image: GPUBuffer | null = null;
  private staging: GPUBuffer | null = null;

  private constructor(
    private readonly handle: DeviceHandle,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.params = handle.device.createBuffer({ label: 'map params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
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
      this.staging?.destroy();
      this.image = device.createBuffer({ label: 'map image', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      this.staging = device.createBuffer({ label: 'map readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const groups = Math.ceil(n / MAP_WORKGROUP_SIZE);
    const groupsX = Math.min(groups, this.handle.limits.maxComputeWorkgroupsPerDimension);
    const u = new Uint32Array(this.paramData);
    const f = new Float32Array(this.paramData);
    u.set([n, o.coloring === 'basin' ? 1 : 0, o.steps, groupsX]);
    f[4] = o.floor;
    device.queue.writeBuffer(this.params, 0, this.paramData);
    const bindGroup = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [this.params, src.pos, src.info, src.start, this.image].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groupsX, Math.ceil(groups / groupsX));
    pass.end();
    enc.copyBufferToBuffer(this.image, 0, this.staging!, 0, bytes);
    device.queue.submit([enc.finish()]);
    const staging = this.staging!;
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Uint32Array(staging.getMappedRange().slice(0, 4 * n));
    staging.unmap();
    return out;
  }

  destroy(): void {
    this.params.destroy();
    this.image?.destroy();
    this.staging?.destroy();
  }
}
