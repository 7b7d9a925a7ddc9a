// The CLI's budgets: the largest value each size flag accepts, checked while the flags
// are parsed (exit 2, the flag and the bound named), before any work. Outputs are
// streamed, so memory does not grow with these; the bounds keep a command's time and
// its output file within reason. Particles (MAX_PARTICLES), dataset points
// (MAX_DATASET_POINTS) and map resolution (4096 per axis) have their bounds where they
// are defined.

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
