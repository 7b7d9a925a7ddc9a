// What every kernel shares: the constants, printed from their TypeScript definitions
// (nothing copied by hand), and common.wgsl's helpers.

import common from './common.wgsl?raw';
import { NO_MINIMUM, Status } from '../src/core/particles';
import { wgslConstants } from './layout';

/** Threads per workgroup of every kernel (1-D workgroups). */
export const WORKGROUP_SIZE = 64;

/** Status codes (RUNNING, CONVERGED, DIVERGED, NONFINITE), NO_MINIMUM, WORKGROUP_SIZE. */
export const COMMON_CONSTANTS = wgslConstants({
  ...Object.fromEntries(Object.entries(Status).map(([name, code]) => [name.toUpperCase(), code])),
  NO_MINIMUM,
  WORKGROUP_SIZE,
});

export const COMMON_WGSL = `${COMMON_CONSTANTS}\n\n${common}`;
