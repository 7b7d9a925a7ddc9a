// The bifurcation diagram as a run of its own: an lr sweep from one start, `transient`
// steps to settle, then `record` single steps each followed by adding every particle's
// value to the density (lr bins x value buckets). A Job (job.ts), like MapRunner: the
// page ticks it once per frame; tests and the CLI await run(). GPU or CPU reference.

import { Bifurcation, sweepBinLr, sweepBinning, type BinLr, type HistogramSpec } from '../core/analysis/bins';
import { CpuEngine } from '../core/engine/cpu';
import { buildParticles, type Layout } from '../core/layouts';
import type { CompiledOptimizer } from '../core/optimizers';
import type { RunConfig } from '../core/particles';
import type { Surface } from '../core/surfaces';
import type { RunBackend } from './device';
import { GpuEngine } from './engine';
import { Job } from './job';
import { GpuReducer } from './reduce';

/** Steps per dispatch of the density's runs (long runs: the engine's fast pass pays). */
const DISPATCH_STEPS = 100;

export interface BifurcationSpec {
  surface: Surface;
  optimizer: CompiledOptimizer;
  base: Record<string, number | boolean | undefined>;
  config: RunConfig;
  layout: Extract<Layout, { kind: 'sweep' }>;
  /** lr bins (columns of the image); each holds n / bins neighbouring lrs. */
  bins: number;
  histogram: HistogramSpec;
  transient: number;
  record: number;
}

export interface BifurcationImage {
  bins: number;
  buckets: number;
  /** Counts, row-major by bin (bins x buckets). */
  density: Uint32Array;
  binLr: (BinLr | null)[];
  histogram: HistogramSpec;
}

export class BifurcationRunner extends Job<BifurcationImage, number> {
  private cpu: { engine: CpuEngine; density: Bifurcation } | null = null;
  private gpu: { engine: GpuEngine; reducer: GpuReducer } | null = null;
  private stepsDone = 0;
  private recorded = 0;
  result: BifurcationImage | null = null;

  constructor(
    readonly spec: BifurcationSpec,
    private readonly backend: RunBackend,
  ) {
    super();
    for (const [name, v] of [
      ['transient', spec.transient],
      ['record', spec.record],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${v}`);
    }
    sweepBinning(spec.layout.n, spec.bins); // checks bins against n
  }

  get finished(): boolean {
    return this.result !== null;
  }

  /** Fraction of the work done, 0..1. */
  get progress(): number {
    const total = this.spec.transient + this.spec.record;
    return total === 0 ? (this.finished ? 1 : 0) : Math.min(1, (this.stepsDone + this.recorded) / total);
  }

  protected outcome(): BifurcationImage {
    return this.result!;
  }

  protected advance(budget: number): Promise<void> | void {
    if (!this.cpu && !this.gpu) return this.start();
    const n = this.spec.layout.n;
    let k = Math.max(1, Math.floor(budget / n));
    const transientLeft = this.spec.transient - this.stepsDone;
    if (transientLeft > 0) {
      k = Math.min(k, transientLeft);
      this.stepsDone += k;
      if (!this.gpu) {
        this.cpu!.engine.step(k);
        return;
      }
      for (let left = k; left > 0; left -= DISPATCH_STEPS) this.gpu.engine.step(Math.min(DISPATCH_STEPS, left));
      return this.gpu.engine.done();
    }
    const recordLeft = this.spec.record - this.recorded;
    if (recordLeft > 0) {
      k = Math.min(k, recordLeft);
      this.recorded += k;
      for (let j = 0; j < k; j++) {
        if (this.gpu) {
          this.gpu.engine.step(1);
          this.gpu.reducer.accumulate();
        } else {
          this.cpu!.engine.step(1);
          this.cpu!.density.accumulate(this.cpu!.engine.state);
        }
      }
      return this.gpu?.engine.done();
    }
    return this.finish();
  }

  protected detach(): () => void {
    const gpu = this.gpu;
    this.gpu = null;
    this.cpu = null;
    return () => {
      gpu?.reducer.destroy();
      gpu?.engine.destroy();
    };
  }

  private async start(): Promise<void> {
    const { surface, optimizer, base, config, layout, bins, histogram } = this.spec;
    const particles = buildParticles(layout, optimizer, base);
    const setup = { surface, optimizer, particles, config };
    const binning = sweepBinning(layout.n, bins);
    if (this.backend.kind === 'cpu') {
      const engine = new CpuEngine(setup);
      engine.step(0);
      this.cpu = { engine, density: new Bifurcation(surface, { binning, histogram }) };
      return;
    }
    const engine = await GpuEngine.create(this.backend.handle, { ...setup, stepsPerDispatch: DISPATCH_STEPS });
    const reducer = await GpuReducer.forEngine(engine, { surface, binning, histogram });
    reducer.clearDensity();
    if (this.destroyed) {
      reducer.destroy();
      engine.destroy();
      return;
    }
    this.gpu = { engine, reducer };
  }

  private async finish(): Promise<void> {
    const { layout, bins, histogram } = this.spec;
    const density = this.gpu ? await this.gpu.reducer.density() : this.cpu!.density.image.slice();
    this.result = { bins, buckets: histogram.buckets, density, binLr: sweepBinLr(layout, sweepBinning(layout.n, bins)), histogram };
  }
}
