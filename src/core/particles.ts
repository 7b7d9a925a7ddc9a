// The particle state: the same typed arrays are the GPU buffers' contents and the CPU
// reference's working memory, so the two engines share one layout.

import type { CompiledOptimizer } from './optimizers';

export const Status = { Running: 0, Converged: 1, Diverged: 2, NonFinite: 3 } as const;
export const STATUS_NAMES = ['running', 'converged', 'diverged', 'nonfinite'] as const;
/** `minimum` of a particle that ended in no known minimum (or has not converged). */
export const NO_MINIMUM = 0xffffffff;
/** The most particles any engine accepts; the GPU may allow fewer (its buffer limits). */
export const MAX_PARTICLES = 1 << 24;

/** The floats of a particle's `pos`, in order: x, y, loss at (x, y), loss before the last update (WGSL: struct ParticlePos). */
export const POS_FIELDS = ['x', 'y', 'loss', 'prevLoss'] as const;
export const POS_FLOATS = POS_FIELDS.length;
/** The u32 words of a particle's record in `info`, in order (WGSL: struct ParticleInfo, shaders/common.ts). */
export const INFO_FIELDS = ['status', 'steps', 'eventStep', 'minimum'] as const;
export const INFO_WORDS = INFO_FIELDS.length;

export interface ParticleState {
  n: number;
  hyperStride: number;
  stateStride: number;
  /** x, y, loss at (x, y), loss before the last update: 4 floats per particle. */
  pos: Float32Array;
  /** Hyperparameters in the optimizer's order (lr first): hyperStride per particle. */
  hyper: Float32Array;
  /** Optimizer state, [slot0_x, slot0_y, slot1_x, ...]: stateStride per particle. */
  state: Float32Array;
  /** status, steps taken, step of the status change, index of the minimum: 4 u32 per particle. */
  info: Uint32Array;
}

/**
 * A run's starting particles, made a range at a time: a large run (2^24 particles) is
 * uploaded range by range and never held whole in memory besides the engine's own state.
 */
export interface ParticleRanges {
  n: number;
  hyperStride: number;
  stateStride: number;
  /** Particles first .. first + count - 1, exactly as in the whole. */
  range(first: number, count: number): ParticleState;
}

/** Particles given whole, or made a range at a time. */
export type ParticleSource = ParticleState | ParticleRanges;

/** The ranges of particles already in memory (views of them, not copies). */
export function rangesOf(p: ParticleSource): ParticleRanges {
  if ('range' in p) return p;
  const view = <T extends Float32Array | Uint32Array>(a: T, per: number, first: number, count: number) => a.subarray(per * first, per * (first + count)) as T;
  return {
    n: p.n,
    hyperStride: p.hyperStride,
    stateStride: p.stateStride,
    range: (first, count) => {
      checkRange(p.n, first, count);
      return {
        ...p,
        n: count,
        pos: view(p.pos, POS_FLOATS, first, count),
        hyper: view(p.hyper, p.hyperStride, first, count),
        state: view(p.state, p.stateStride, first, count),
        info: view(p.info, INFO_WORDS, first, count),
      };
    },
  };
}

/** All the particles in memory (the CPU engine's state is its arrays). */
export function wholeParticles(p: ParticleSource): ParticleState {
  return 'range' in p ? p.range(0, p.n) : p;
}

export class ParticleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParticleError';
  }
}

export function checkParticleCount(n: number, limit = MAX_PARTICLES): void {
  if (!Number.isInteger(n) || n < 1) throw new ParticleError(`the number of particles must be a whole number >= 1, got ${n}`);
  if (n > limit) throw new ParticleError(`too many particles: ${n} > ${limit}, the most this engine allows`);
}

export function allocateParticles(n: number, opt: CompiledOptimizer): ParticleState {
  checkParticleCount(n);
  return {
    n,
    hyperStride: opt.hyperStride,
    stateStride: opt.stateStride,
    pos: new Float32Array(POS_FLOATS * n),
    hyper: new Float32Array(opt.hyperStride * n),
    state: new Float32Array(opt.stateStride * n),
    info: emptyInfo(n),
  };
}

/** n particle records, each running, at step 0, in no minimum. */
export function emptyInfo(n: number): Uint32Array {
  const info = new Uint32Array(INFO_WORDS * n);
  for (let i = 0; i < n; i++) setParticleInfo(info, i, Status.Running, 0, 0, NO_MINIMUM);
  return info;
}

// The per-particle record in `info` (INFO_FIELDS), read and written only through these
// (plain functions: they sit in hot loops). tests/unit/structs.test.ts checks that they
// agree with the WGSL struct printed from INFO_FIELDS.

/** Particle i's status code (Status). */
export function particleStatus(info: Uint32Array, i: number): number {
  return info[INFO_WORDS * i];
}
/** Steps particle i has taken. */
export function particleSteps(info: Uint32Array, i: number): number {
  return info[INFO_WORDS * i + 1];
}
/** The step at which particle i's status changed from running (0 while running). */
export function eventStep(info: Uint32Array, i: number): number {
  return info[INFO_WORDS * i + 2];
}
/** Index of the minimum particle i converged in, or NO_MINIMUM. */
export function minimumIndex(info: Uint32Array, i: number): number {
  return info[INFO_WORDS * i + 3];
}
/** Index of the minimum particle i converged in, or null for none. */
export function particleMinimum(info: Uint32Array, i: number): number | null {
  const m = minimumIndex(info, i);
  return m === NO_MINIMUM ? null : m;
}
export function setParticleInfo(info: Uint32Array, i: number, status: number, steps: number, eventStep: number, minimum: number): void {
  const at = INFO_WORDS * i;
  info[at] = status;
  info[at + 1] = steps;
  info[at + 2] = eventStep;
  info[at + 3] = minimum;
}

export function cloneParticles(p: ParticleState): ParticleState {
  return { ...p, pos: p.pos.slice(), hyper: p.hyper.slice(), state: p.state.slice(), info: p.info.slice() };
}

/** Throws unless particles first .. first + count - 1 are all among n. */
export function checkRange(n: number, first: number, count: number): void {
  if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > n) {
    throw new RangeError(`particles ${first} .. ${first + count - 1} are not all among the ${n}`);
  }
}

/** A copy of particles first .. first + count - 1. */
export function sliceParticles(p: ParticleState, first: number, count: number): ParticleState {
  checkRange(p.n, first, count);
  const part = <T extends Float32Array | Uint32Array>(a: T, per: number) => a.slice(per * first, per * (first + count)) as T;
  return {
    ...p,
    n: count,
    pos: part(p.pos, POS_FLOATS),
    hyper: part(p.hyper, p.hyperStride),
    state: part(p.state, p.stateStride),
    info: part(p.info, INFO_WORDS),
  };
}

/** Thresholds shared by both engines. */
export interface RunConfig {
  /** Converged when |grad| <= gtol ... */
  gtol: number;
  /** ... and |L_t - L_{t-1}| <= ftol * (1 + |L_t|). */
  ftol: number;
  /** Diverged when |x| or |y| exceeds this ... */
  posBound: number;
  /** ... or the loss exceeds this. */
  lossBound: number;
  /**
   * Gradient clipping before each update (0: off), as torch.nn.utils.clip_grad_norm_
   * (g *= min(1, max_norm / (|g| + 1e-6))) and then clip_grad_value_ (clamp to +-value).
   */
  clipNorm: number;
  clipValue: number;
  /**
   * Gradient noise (0: off): the gradient gets Gaussian noise of standard deviation
   * noise / sqrt(batchSize) per coordinate, drawn from the PRNG keyed by seed.
   */
  noise: number;
  batchSize: number;
  seed: number;
  /**
   * Sharpness-aware minimization around any optimizer (0: off): the gradient is taken at
   * p + samRho * g / (|g| + 1e-12), as SAM (Foret et al. 2021; davda54/sam) does.
   */
  samRho: number;
}

export const DEFAULT_RUN_CONFIG: RunConfig = {
  gtol: 1e-4,
  ftol: 1e-7,
  posBound: 1e4,
  lossBound: 3e38,
  clipNorm: 0,
  clipValue: 0,
  noise: 0,
  batchSize: 1,
  seed: 0,
  samRho: 0,
};

/** Checks the settings a user can set; returns the problem, naming the setting. */
export function runConfigProblem(c: RunConfig): string | null {
  if (!(c.clipNorm >= 0) || !Number.isFinite(c.clipNorm)) return `clip_norm must be >= 0 (0: off), got ${c.clipNorm}`;
  if (!(c.clipValue >= 0) || !Number.isFinite(c.clipValue)) return `clip_value must be >= 0 (0: off), got ${c.clipValue}`;
  if (!(c.noise >= 0) || !Number.isFinite(c.noise)) return `noise (sigma) must be >= 0 (0: off), got ${c.noise}`;
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) return `batch_size must be a whole number >= 1, got ${c.batchSize}`;
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) return `seed must be a whole number in 0 .. 2^32-1, got ${c.seed}`;
  if (!(c.samRho >= 0) || !Number.isFinite(c.samRho)) return `sam_rho must be >= 0 (0: off), got ${c.samRho}`;
  return null;
}

export interface ParticleView {
  index: number;
  x: number;
  y: number;
  loss: number;
  lr: number;
  status: (typeof STATUS_NAMES)[number];
  steps: number;
  eventStep: number;
  minimum: number | null;
}

export function particleAt(p: ParticleState, i: number): ParticleView {
  return {
    index: i,
    x: p.pos[4 * i],
    y: p.pos[4 * i + 1],
    loss: p.pos[4 * i + 2],
    lr: p.hyper[p.hyperStride * i],
    status: STATUS_NAMES[particleStatus(p.info, i)],
    steps: particleSteps(p.info, i),
    eventStep: eventStep(p.info, i),
    minimum: particleMinimum(p.info, i),
  };
}
