// What the engine and its auxiliary kernels (trails, histories, reductions, maps) all do
// on the queue: encode one compute pass, and read a buffer back through a pool of
// staging buffers reused by size, so reads allocate nothing once warm.

/**
 * The dispatch grid of `groups` workgroups: as many per row as the device allows (the
 * kernels recover their index from groupsX), then as many rows as that takes.
 */
export function dispatchGrid(limits: { maxComputeWorkgroupsPerDimension: number }, groups: number): [number, number] {
  const gx = Math.min(groups, limits.maxComputeWorkgroupsPerDimension);
  return [gx, Math.ceil(groups / gx)];
}

/**
 * A buffer holding `data` (its size rounded up to 4 bytes, at least 16), written on the
 * queue. Past the device's largest storage buffer: an Error naming the buffer (`name`,
 * default its label) and what to ask for less of (`fewer`).
 */
export function uploadBuffer(
  handle: { device: GPUDevice; limits: { maxStorageBufferBindingSize: number; maxBufferSize: number } },
  data: ArrayBufferView,
  opts: { label: string; usage: number; fewer: string; name?: string },
): GPUBuffer {
  const cap = Math.min(handle.limits.maxStorageBufferBindingSize, handle.limits.maxBufferSize);
  if (data.byteLength > cap) {
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    throw new Error(
      `the ${opts.name ?? opts.label} buffer needs ${mib(data.byteLength)} MiB; this GPU's largest storage buffer is ${mib(cap)} MiB (${opts.fewer})`,
    );
  }
  const buf = handle.device.createBuffer({ label: opts.label, size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: opts.usage });
  handle.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  return buf;
}

/** Encodes one compute pass of `groups` workgroups (x, and y for grids past the per-dimension limit). */
export function encodePass(enc: GPUCommandEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, groupsX: number, groupsY = 1): void {
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(groupsX, groupsY);
  pass.end();
}

/** Submits one compute pass; returns without waiting. */
export function submitPass(device: GPUDevice, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, groupsX: number, groupsY = 1): void {
  const enc = device.createCommandEncoder();
  encodePass(enc, pipeline, bindGroup, groupsX, groupsY);
  device.queue.submit([enc.finish()]);
}

export class ReadbackPool {
  private free = new Map<number, GPUBuffer[]>();
  private made = 0;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'readback',
  ) {}

  take(size: number): GPUBuffer {
    const b = this.free.get(size)?.pop();
    if (b) return b;
    this.made++;
    return this.device.createBuffer({ label: this.label, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Returns a buffer for reuse (after the pool was destroyed, a read in flight destroys its buffer here). */
  give(b: GPUBuffer): void {
    if (this.destroyed) {
      b.destroy();
      return;
    }
    const list = this.free.get(b.size) ?? [];
    list.push(b);
    this.free.set(b.size, list);
  }

  /** Staging buffers made so far (they are reused: this stops growing once warm). */
  get size(): number {
    return this.made;
  }

  /**
   * Encodes `encode` (if any), then copies `bytes` of `src` from `offset` into a staging
   * buffer; resolves with a copy of them once the GPU has done all work queued before.
   */
  async read(src: GPUBuffer, bytes: number, encode?: (enc: GPUCommandEncoder) => void, offset = 0): Promise<ArrayBuffer> {
    const staging = this.take(bytes);
    const enc = this.device.createCommandEncoder();
    encode?.(enc);
    enc.copyBufferToBuffer(src, offset, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const out = staging.getMappedRange().slice(0);
      staging.unmap();
      return out;
    } finally {
      this.give(staging);
    }
  }

  /** Destroys the idle buffers now and those of reads in flight when they finish. */
  destroy(): void {
    this.destroyed = true;
    for (const list of this.free.values()) list.forEach((b) => b.destroy());
    this.free.clear();
  }
}
