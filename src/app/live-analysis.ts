// Reductions of the live run for the views: the per-lr-bin summary (GPU reducer, or the
// CPU reduction of the Worker's latest state) and the histories of a few particles
// (GPU recorder, or the CPU builder). Requests return Promises the frame loop never
// awaits: a view draws when its data arrives, and at most one request of each kind
// is in flight.

import { reduceBins, type BinSummary, type HistogramSpec } from '../core/analysis/bins';
import { HistoryBuilder, type HistoryData } from '../core/analysis/history';
import type { Surface } from '../core/surfaces';
import { HistoryRecorder } from '../gpu/history';
import { GpuReducer } from '../gpu/reduce';
import { GpuRun, type LiveRun } from './runs';
import type { RunSetup } from '../model/setup';
import type { LrBins } from './view-data';

const HISTORY_CAPACITY = 2048;

/** A request that outlived its run (the run was rebuilt): nothing to draw. */
export class StaleRun extends Error {
  constructor() {
    super('the run was replaced');
    this.name = 'StaleRun';
  }
}

export class LiveAnalysis {
  private reducer: GpuReducer | null = null;
  private recorder: HistoryRecorder | null = null;
  private builder: HistoryBuilder | null = null;
  private ready: Promise<void>;
  private busy = { summary: false, history: false, record: false };
  private lastRecorded = -1;
  private disposed = false;
  /** Readbacks in flight: their staging buffers must outlive them. */
  private inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly run: LiveRun,
    private readonly setup: RunSetup,
    readonly bins: LrBins,
    readonly histogram: HistogramSpec,
    /** Particles whose histories are kept. */
    readonly selected: Uint32Array,
  ) {
    this.ready = this.init().catch((e) => console.warn(`views: ${(e as Error).message}`));
  }

  get surface(): Surface {
    return this.setup.surface;
  }

  private async init(): Promise<void> {
    const { surface, optimizer, particles } = this.setup;
    if (this.run instanceof GpuRun) {
      const engine = this.run.engine;
      const reducer = await GpuReducer.forEngine(engine, { surface, binning: this.bins.binning, histogram: this.histogram });
      const recorder = await HistoryRecorder.create(engine, { surface, optimizer, particles }, this.selected, HISTORY_CAPACITY);
      if (this.disposed) {
        reducer.destroy();
        recorder.destroy();
        return;
      }
      this.reducer = reducer;
      this.recorder = recorder;
    } else {
      this.builder = new HistoryBuilder(surface, optimizer, this.run.n, this.selected, HISTORY_CAPACITY);
    }
  }

  /** After the frame's steps were queued: one history sample when the particles moved. */
  afterSteps(): void {
    const steps = this.run.stepsDone;
    if (steps === this.lastRecorded) return;
    if (this.recorder) {
      this.lastRecorded = steps;
      this.recorder.record();
    } else if (this.builder && !this.busy.record) {
      this.lastRecorded = steps;
      this.busy.record = true;
      const builder = this.builder;
      this.run
        .read()
        .then((p) => builder.record(p))
        .finally(() => (this.busy.record = false));
    }
  }

  /** The per-bin summary of the particles as they are now, with the step it describes; null if one is in flight. */
  summary(): Promise<{ summary: BinSummary; step: number }> | null {
    if (this.busy.summary || this.disposed) return null;
    this.busy.summary = true;
    const step = this.run.stepsDone;
    const work = this.ready.then(async () => {
      if (this.disposed) throw new StaleRun();
      if (this.reducer) return { summary: await this.reducer.summary(), step };
      const p = await this.run.read();
      return { summary: reduceBins(p, this.setup.surface, { binning: this.bins.binning, histogram: this.histogram }), step };
    });
    return this.track(work.finally(() => (this.busy.summary = false)));
  }

  /** The histories recorded so far; null if a read is in flight. */
  history(): Promise<HistoryData | null> | null {
    if (this.busy.history || this.disposed) return null;
    this.busy.history = true;
    const work = this.ready.then(async () => {
      if (this.disposed) throw new StaleRun();
      return this.recorder ? this.recorder.read() : this.builder ? this.builder.result() : null;
    });
    return this.track(work.finally(() => (this.busy.history = false)));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  dispose(): void {
    this.disposed = true;
    // Readbacks in flight finish first; the buffers go after them.
    void this.ready
      .then(() => Promise.allSettled([...this.inflight]))
      .then(() => {
        this.reducer?.destroy();
        this.recorder?.destroy();
      });
  }
}
