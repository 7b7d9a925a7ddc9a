// The budget: every size an input can ask for, with its limit and why, checked before any
// work starts. One definition for the page (a link, setState, a state file) and the CLI.
// DOM-free and GPU-free: a device's limits are passed in when one is known.

import { MAX_DATASET_POINTS } from './surfaces/dataset';

export interface Limit {
  /** The largest value accepted. */
  max: number;
  /** What is counted (for messages: "over the limit of 4096 dataset points"). */
  unit: string;
  /** Why the limit is what it is. */
  why: string;
}

export const LIMITS = {
  particles: { max: 1_000_000, unit: 'particles', why: 'the page draws every particle each frame; 10^6 already takes tens of MB of GPU memory' },
  stepsPerFrame: { max: 10_000, unit: 'steps per frame', why: 'a frame queues its steps at once; more freeze the page' },
  datasetPoints: { max: MAX_DATASET_POINTS, unit: 'dataset points', why: "the data are compiled into the surface's programs and uploaded whole" },
  mapResolution: { max: 2048, unit: 'pixels per map side', why: 'a map runs one particle per pixel: 2048^2 = 4.2 million' },
  mapSteps: { max: 100_000, unit: 'map steps', why: 'a map runs every pixel this many steps before it shows' },
  trails: { max: 4096, unit: 'trails', why: 'each trail is drawn as a line every frame' },
  trailLength: { max: 256, unit: 'points per trail', why: 'the trail ring buffer holds trails x length points' },
  batchSize: { max: 1_000_000, unit: 'samples per batch', why: 'a dataset surface draws that many points per particle every step' },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/**
 * Work one frame may queue, in particle-instructions (particles x steps x instructions per
 * step). A hardware GPU runs ~10^11-10^12 simple operations a second, so 2*10^9 leaves a
 * 60 Hz frame room to draw; a software GPU (SwiftShader, llvmpipe) is ~100x slower, so it
 * gets 10^8 (frames of a few hundred ms at worst, but never a frozen tab).
 */
export const FRAME_WORK = { hardware: 2e9, software: 1e8 } as const;

/** One particle's step in instructions: the surface's step program, the optimizer's update, Hessian and minibatch work. */
export interface StepCost {
  /** The surface's loss-and-gradient program. */
  surface: number;
  /** The optimizer's update program (its schedule included). */
  optimizer: number;
  /** The Hessian program, when the optimizer reads it (0 otherwise). */
  hessian: number;
  /** Minibatch draws on a dataset surface: batch size x the per-sample program (0 otherwise). */
  minibatch: number;
}

/** Bookkeeping every step does besides its programs (status checks, loads and stores). */
const STEP_OVERHEAD = 32;

export function stepInstructions(c: StepCost): number {
  return c.surface + c.optimizer + c.hessian + c.minibatch + STEP_OVERHEAD;
}

export type FrameFit = { ok: true; stepsPerFrame: number; clamped: boolean; perStep: number } | { ok: false; error: string };

/** One step of all particles may take at most this many frame budgets (a slow page, not a frozen one). */
export const MAX_FRAMES_PER_STEP = 10;

/**
 * The most steps per frame (up to `stepsPerFrame`, at least 1) that fit the frame budget;
 * refused when one step of all particles alone is over MAX_FRAMES_PER_STEP budgets.
 */
export function fitFrame(particles: number, stepsPerFrame: number, cost: StepCost, budget: number): FrameFit {
  const perStep = particles * stepInstructions(cost);
  if (perStep > MAX_FRAMES_PER_STEP * budget) {
    return {
      ok: false,
      error: `one step of ${particles} particles costs about ${fmt(perStep)} instructions (${stepInstructions(cost)} per particle), over ${MAX_FRAMES_PER_STEP} frame budgets of ${fmt(budget)}: use fewer particles or a simpler surface`,
    };
  }
  const fits = Math.max(1, Math.floor(budget / perStep));
  return stepsPerFrame > fits ? { ok: true, stepsPerFrame: fits, clamped: true, perStep } : { ok: true, stepsPerFrame, clamped: false, perStep };
}

/** The device's buffer limits (from `device.limits`). */
export interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** A buffer a run will create: what it holds and its size in bytes. */
export interface PlannedBuffer {
  what: string;
  bytes: number;
}

/** The first planned buffer the device cannot hold (bound as storage), with both sizes; null when all fit. */
export function bufferProblem(buffers: readonly PlannedBuffer[], limits: BufferLimits): string | null {
  const cap = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  for (const b of buffers) {
    if (b.bytes > cap) return `the ${b.what} buffer would take ${b.bytes} bytes, over this GPU's limit of ${cap} bytes per storage buffer (device.limits)`;
  }
  return null;
}

function fmt(v: number): string {
  return v >= 1e4 ? v.toExponential(1).replace('e+', 'e') : String(Math.round(v));
}
