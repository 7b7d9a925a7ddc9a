// GPU-side time between points in the queue (timestamp queries), for the benchmark:
// waiting for onSubmittedWorkDone measures the browser's polling as much as the work.

export class GpuTimer {
  private marks = 0;
  private constructor(
    private readonly device: GPUDevice,
    private readonly querySet: GPUQuerySet,
    private readonly capacity: number,
  ) {}

  /** A timer for up to `capacity` marks, or null when the device has no timestamp queries. */
  static create(device: GPUDevice, capacity: number): GpuTimer | null {
    if (!device.features.has('timestamp-query')) return null;
    return new GpuTimer(device, device.createQuerySet({ type: 'timestamp', count: capacity }), capacity);
  }

  /** Records the time at which the GPU reaches this point of the queue. */
  mark(): void {
    if (this.marks >= this.capacity) throw new Error(`GpuTimer holds ${this.capacity} marks`);
    const enc = this.device.createCommandEncoder({ label: 'timestamp' });
    enc.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: this.marks++ } }).end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Milliseconds from each mark to the next. */
  async read(): Promise<number[]> {
    const n = this.marks;
    const resolve = this.device.createBuffer({ size: 8 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: 8 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.resolveQuerySet(this.querySet, 0, n, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, staging, 0, 8 * n);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    resolve.destroy();
    staging.destroy();
    return Array.from({ length: n - 1 }, (_, i) => Number(t[i + 1] - t[i]) / 1e6);
  }

  destroy(): void {
    this.querySet.destroy();
  }
}
