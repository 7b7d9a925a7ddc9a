// The sharpness of a few live networks, measured on the GPU every K steps: their
// parameters are copied from the engine into a small buffer, the power-iteration kernel
// (gpu/network-analysis.ts, warm-started) runs on it, and its (lambda, loss) per network
// is copied into a ring of samples on the GPU. The ring is mapped a few times a second;
// nothing is awaited in the frame loop. The NetworkRun splits its steps at multiples of
// K (its observer), so each sample is at an exact step.

import { NetworkSharpness } from '../gpu/network-analysis';
import { ReadbackPool } from '../gpu/queue';
import type { NetworkRun } from './network-run';

/** Samples the GPU ring holds between two reads. */
const RING = 1024;

export interface SharpnessSample {
  step: number;
  /** Per followed network, its top Hessian eigenvalue. */
  lambda: number[];
}

export class SharpnessProbe {
  /** Every sample read so far, in step order. */
  samples: SharpnessSample[] = [];
  private slots = 0;
  private readTo = 0;
  private readonly stepOf = new Array<number>(RING).fill(0);
  private reading = false;
  private destroyed = false;
  private readonly pool: ReadbackPool;

  private constructor(
    readonly run: NetworkRun,
    readonly picked: number[],
    readonly every: number,
    private readonly theta: GPUBuffer,
    private readonly power: NetworkSharpness,
    private readonly ring: GPUBuffer,
  ) {
    this.pool = new ReadbackPool(run.engine.handle.device, 'sharpness samples readback');
  }

  /** Follows networks `picked` of `run`, measuring every `every` steps from now on (and once now). */
  static async create(run: NetworkRun, picked: number[], every: number): Promise<SharpnessProbe> {
    const { handle, setup } = run.engine;
    const { device } = handle;
    const m = picked.length;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const theta = device.createBuffer({ label: 'followed networks', size: 4 * m * setup.model.params, usage });
    const ring = device.createBuffer({ label: 'sharpness samples', size: 8 * m * RING, usage });
    try {
      const power = await NetworkSharpness.forBuffers(handle, { model: setup.model, points: setup.data.n, n: m, theta, data: run.engine.buffers.data });
      return new SharpnessProbe(run, picked, every, theta, power, ring);
    } catch (e) {
      theta.destroy();
      ring.destroy();
      throw e;
    }
  }

  /** Queues one measurement of the followed networks as they are after the steps queued so far (`step` of them). */
  measure(step: number): void {
    if (this.destroyed) return;
    const { device } = this.run.engine.handle;
    const P = this.run.built.model.params;
    const m = this.picked.length;
    const copy = device.createCommandEncoder({ label: 'followed networks' });
    this.picked.forEach((i, k) => copy.copyBufferToBuffer(this.run.engine.buffers.theta, 4 * i * P, this.theta, 4 * k * P, 4 * P));
    device.queue.submit([copy.finish()]);
    this.power.submit();
    const slot = this.slots % RING;
    const keep = device.createCommandEncoder({ label: 'sharpness sample' });
    keep.copyBufferToBuffer(this.power.result, 0, this.ring, 8 * m * slot, 8 * m);
    device.queue.submit([keep.finish()]);
    this.stepOf[slot] = step;
    this.slots++;
  }

  /** Reads the samples measured since the last read (never awaited by the caller's frame); resolves to whether new ones came. */
  poll(): Promise<boolean> | null {
    if (this.reading || this.destroyed || this.slots === this.readTo) return null;
    this.reading = true;
    const upTo = this.slots;
    const m = this.picked.length;
    return this.pool
      .read(this.ring, 8 * m * RING)
      .then((buf) => {
        if (this.destroyed) return false;
        const out = new Float32Array(buf);
        // More than a ring's worth since the last read: the oldest were overwritten.
        for (let s = Math.max(this.readTo, upTo - RING); s < upTo; s++) {
          const slot = s % RING;
          this.samples.push({ step: this.stepOf[slot], lambda: this.picked.map((_, k) => out[2 * (slot * m + k)]) });
        }
        this.readTo = upTo;
        return true;
      })
      .finally(() => (this.reading = false));
  }

  destroy(): void {
    this.destroyed = true;
    if (this.run.observer === this) this.run.observer = null;
    this.power.destroy();
    this.theta.destroy();
    this.ring.destroy();
    this.pool.destroy();
  }
}
