// The LR range test (fastai's lr_find) on a surface: P particles, from seeded random
// starts in the surface's domain or from one start, run the LRRangeTest schedule (lr
// grows exponentially from lr_min by (lr_max/lr_min)^(1/steps) per step); every step's
// samples go through a history recorder; the mean loss per step is the curve that
// lrFind analyses. Engines come from an opener, so the same run goes on the CPU
// reference (openCpuRun) or the GPU (src/gpu/lr-finder.ts).

import { CpuEngine } from '../engine/cpu';
import type { Engine, EngineSetup } from '../engine/engine';
import { buildParticles, type Layout } from '../layouts';
import { getOptimizer } from '../optimizers';
import { DEFAULT_RUN_CONFIG, Status, type RunConfig } from '../particles';
import { compileSchedule, resolveSchedule, scheduleText, scheduleValues } from '../schedules';
import type { Surface } from '../surfaces';
import { HistoryBuilder, MAX_HISTORY_PARTICLES, type HistoryData } from './history';
import { lrFind, type LrFinderResult } from './lr-finder';

export interface RangeTestSpec {
  surface: Surface;
  /** Optimizer name (PyTorch's class name or alias). */
  optimizer: string;
  /** Its other hyperparameters (lr is set by the schedule). */
  hyper?: Record<string, number | boolean | undefined>;
  lrMin: number;
  lrMax: number;
  /** Steps of the test (fastai's num_it): step t runs at lrMin (lrMax/lrMin)^(t/steps). */
  steps: number;
  /** Particles: from this many seeded random starts in the domain, or all from `start`. */
  particles: number;
  start?: [number, number];
  seed?: number;
  /** Run settings (noise, clipping, ...); convergence is off unless gtol is given. */
  config?: Partial<RunConfig>;
  stopDiv?: boolean;
}

/** What the runner needs of a history: the GPU's HistoryRecorder or the CPU's builder. */
interface HistorySource {
  record(): void;
  read(): Promise<HistoryData>;
}

interface OpenedRun {
  engine: Engine;
  history: HistorySource;
  close(): void;
}

/** Opens an engine on `setup` with a history of `selected` particles, `capacity` samples each. */
export type RunOpener = (setup: EngineSetup, selected: Uint32Array, capacity: number) => Promise<OpenedRun>;

export const openCpuRun: RunOpener = async (setup, selected, capacity) => {
  const engine = new CpuEngine(setup);
  const builder = new HistoryBuilder(setup.surface, setup.optimizer, engine.n, selected, capacity);
  return {
    engine,
    history: { record: () => builder.record(engine.state), read: async () => builder.result() },
    close: () => engine.destroy(),
  };
};

export interface LrRangeTestResult extends LrFinderResult {
  /** The whole run, step i = 0 .. steps-1: its lr, and the mean loss where its gradient was taken (Infinity once a particle diverged). */
  curve: { lr: number[]; loss: number[] };
  particles: number;
  /** The schedule run, in PyTorch-like constructor syntax. */
  schedule: string;
}

/** Samples kept on the engine between reads: bounds the history's memory for long runs. */
const SAMPLES_PER_READ = 1 << 20;

export function rangeTestSetup(spec: RangeTestSpec): EngineSetup {
  const schedule = resolveSchedule({ name: 'LRRangeTest', params: { start_lr: spec.lrMin, end_lr: spec.lrMax, num_it: spec.steps } });
  const optimizer = getOptimizer(spec.optimizer, { schedule });
  const layout: Layout = spec.start
    ? { kind: 'sweep', start: spec.start, lrMin: spec.lrMin, lrMax: spec.lrMin, n: spec.particles }
    : { kind: 'random', domain: spec.surface.spec.domain, perBand: spec.particles, bands: 1, lrMin: spec.lrMin, lrMax: spec.lrMin, seed: spec.seed ?? 0 };
  const particles = buildParticles(layout, optimizer, { ...spec.hyper, lr: spec.lrMin });
  // A range test trains on: no particle stops as converged unless asked to.
  const config = { ...DEFAULT_RUN_CONFIG, gtol: 0, seed: spec.seed ?? 0, ...spec.config };
  return { surface: spec.surface, optimizer, particles, config };
}

export async function runLrRangeTest(spec: RangeTestSpec, open: RunOpener = openCpuRun): Promise<LrRangeTestResult> {
  const P = spec.particles;
  if (!Number.isInteger(P) || P < 1 || P > MAX_HISTORY_PARTICLES) throw new RangeError(`the range test runs 1 to ${MAX_HISTORY_PARTICLES} particles, got ${P}`);
  if (!Number.isInteger(spec.steps) || spec.steps < 2) throw new RangeError(`the range test needs at least 2 steps, got ${spec.steps}`);
  const setup = rangeTestSetup(spec);
  const records = spec.steps + 1;
  const capacity = Math.max(1, Math.min(records, Math.floor(SAMPLES_PER_READ / P)));
  const selected = Uint32Array.from({ length: P }, (_, i) => i);
  const run = await open(setup, selected, capacity);
  // Per record r (after r steps): the summed loss, whether a particle had diverged, and
  // the lr of the step that led there, from a particle that took it.
  const lossSum = new Float64Array(records);
  const diverged = new Uint8Array(records);
  const lrAt = new Float64Array(records).fill(NaN);
  let recorded = 0;
  let consumed = 0;
  const drain = async () => {
    const h = await run.history.read();
    for (let r = consumed; r < recorded; r++) {
      const k = h.length - (recorded - r);
      for (let j = 0; j < h.count; j++) {
        const o = j * h.length + k;
        lossSum[r] += h.loss[o];
        if (h.status[o] === Status.Diverged || h.status[o] === Status.NonFinite) diverged[r] = 1;
        if (h.step[o] === r && Number.isNaN(lrAt[r])) lrAt[r] = h.lr[o];
      }
    }
    consumed = recorded;
  };
  try {
    run.engine.step(0);
    for (let r = 0; r < records; r++) {
      if (r > 0) run.engine.step(1);
      run.history.record();
      recorded++;
      if (recorded - consumed === capacity) await drain();
    }
    if (recorded > consumed) await drain();
  } finally {
    run.close();
  }
  // Step i runs at lrAt[i + 1] from the point of record i. A step that no particle took
  // (all had stopped) gets the schedule's lr, the same float32 the engines compute.
  const planned = scheduleValues(compileSchedule(setup.optimizer.schedule!), spec.lrMin, spec.steps);
  const curve = { lr: [] as number[], loss: [] as number[] };
  for (let i = 0; i < spec.steps; i++) {
    curve.lr.push(Number.isNaN(lrAt[i + 1]) ? planned[i] : lrAt[i + 1]);
    curve.loss.push(diverged[i] ? Infinity : lossSum[i] / P);
  }
  const result = lrFind(curve.lr, curve.loss, { numIt: spec.steps, stopDiv: spec.stopDiv });
  return { ...result, curve, particles: P, schedule: scheduleText(setup.optimizer.schedule!) };
}
