// The CLI's budgets: the largest value each size flag accepts, checked while the flags
// are parsed (exit 2, the flag and the bound named), before any work. Outputs are
// streamed, so memory does not grow with these; the bounds keep a command's time and
// its output file within reason. Particles (MAX_PARTICLES) and dataset points
// (MAX_DATASET_POINTS) have their bounds where they are defined.

import { LIMITS } from '../core/budget';
import { MAX_PARTICLES } from '../core/particles';

/** sweep, map, bench: the engines count each particle's steps in a u32; 10^9 stays well inside. */
const MAX_ENGINE_STEPS = 1_000_000_000;
/** run: one readback and one trajectory row per step (--json prints them all). */
export const MAX_RUN_STEPS = 10_000_000;
/** schedule: one printed row per step. */
export const MAX_SCHEDULE_STEPS = 10_000_000;

/** The bound and its reason, spread into each flag definition of steps the engines run. */
export const ENGINE_STEPS_BOUND = { max: MAX_ENGINE_STEPS, maxWhy: 'the engines count steps in 32 bits' } as const;
/** The bound and its reason, spread into each flag definition of a particle count. */
export const PARTICLES_BOUND = { max: MAX_PARTICLES, maxWhy: 'the most any engine allows' } as const;

/** The bound and its reason of --steps-per-dispatch (sweep, map, bench). */
export const STEPS_PER_DISPATCH_BOUND = {
  max: 10_000,
  maxWhy: "one dispatch runs its steps without a break, and a long one trips the GPU driver's watchdog",
} as const;
/** The bound and its reason of --batch_size: the page's limit (a dataset surface draws that many points per particle each step). */
export const BATCH_SIZE_BOUND = { max: LIMITS.batchSize.max, maxWhy: LIMITS.batchSize.why } as const;
/** The bound and its reason of bench's --cpu-seconds and --min-seconds. */
export const BENCH_SECONDS_BOUND = { max: 3600, maxWhy: 'a benchmark round of an hour is long enough' } as const;
/** map --res and bench --map-res: runs per axis (4096^2 = 16.8 million runs, MAX_PARTICLES). */
export const MAX_MAP_RES = 4096;
export const MAP_RES_BOUND = { max: MAX_MAP_RES, maxWhy: "runs per axis of a map (its square is the engines' particle limit)" } as const;
/** model map --measure fractal: it keeps every network's loss at every step (2^28 float32 = 1 GiB). */
export const MAX_FRACTAL_LOSSES = 2 ** 28;
/** --data FILE.csv: the file is read whole; its rows are bounded by MAX_CSV_POINTS (core/nn/data.ts). */
export const MAX_CSV_BYTES = 64 * 2 ** 20;
