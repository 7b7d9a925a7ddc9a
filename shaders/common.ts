// What every kernel shares: the constants, printed from their TypeScript definitions
// (nothing copied by hand), and common.wgsl's helpers.

import common from './common.wgsl?raw';
import { INFO_FIELDS, NO_MINIMUM, POS_FIELDS, Status } from '../src/core/particles';
import { struct, wgslConstants, type Scalar } from './layout';

/** Threads per workgroup of every kernel (1-D workgroups). */
export const WORKGROUP_SIZE = 64;

/** Status codes (RUNNING, CONVERGED, DIVERGED, NONFINITE), NO_MINIMUM, WORKGROUP_SIZE. */
export const COMMON_CONSTANTS = wgslConstants({
  ...Object.fromEntries(Object.entries(Status).map(([name, code]) => [name.toUpperCase(), code])),
  NO_MINIMUM,
  WORKGROUP_SIZE,
});

/** A particle's record in the info buffer, one u32 per field of INFO_FIELDS (core/particles.ts). */
export const ParticleInfo = struct('ParticleInfo', Object.fromEntries(INFO_FIELDS.map((f) => [f, 'u32'])) as Record<(typeof INFO_FIELDS)[number], Scalar>, {
  docs: { eventStep: 'the step at which the status changed from running', minimum: 'index of the minimum converged in, or NO_MINIMUM' },
});

/** A particle's position record in the pos buffer, one f32 per field of POS_FIELDS (core/particles.ts). */
export const ParticlePos = struct('ParticlePos', Object.fromEntries(POS_FIELDS.map((f) => [f, 'f32'])) as Record<(typeof POS_FIELDS)[number], Scalar>, {
  docs: { loss: 'the loss at (x, y)', prevLoss: 'the loss before the last update' },
});

export const COMMON_WGSL = [COMMON_CONSTANTS, ParticlePos.wgsl, ParticleInfo.wgsl, common].join('\n\n');
