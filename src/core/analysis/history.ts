// Per-particle histories: for selected particles, one sample per record() of the step,
// loss, position, sharpness (top Hessian eigenvalue) and the lr of the step that led
// there. This is the CPU reference of src/gpu/history.ts + shaders/history.ts: the
// same samples, the same ring buffer (oldest dropped), the same float32 arithmetic.

import type { CompiledOptimizer } from '../optimizers';
import { particleStatus, particleSteps, type ParticleState } from '../particles';
import { SCHEDULE_PREFIX } from '../schedules';
import type { Surface } from '../surfaces';
import { sharpnessOf } from './sharpness';

/** The most particles a history follows (as trails: a few thousand, spread over the lr bands). */
export const MAX_HISTORY_PARTICLES = 4096;

/** Samples of `count` particles, `length` each, oldest first: sample k of particle j is at j * length + k. */
export interface HistoryData {
  /** Particle indices followed, in order. */
  selected: Uint32Array;
  count: number;
  /** Samples per particle (at most the capacity). */
  length: number;
  /** The particle's own step count at the sample. */
  step: Uint32Array;
  /** Its status at the sample (Status codes). */
  status: Uint32Array;
  x: Float32Array;
  y: Float32Array;
  loss: Float32Array;
  /** Top eigenvalue of the surface's Hessian at (x, y). */
  sharpness: Float32Array;
  /** The lr of the step that led to this sample (a schedule's); the base lr at step 0. */
  lr: Float32Array;
}

export class HistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryError';
  }
}

/** Checks a selection and capacity against n particles; throws HistoryError naming the problem. */
export function checkHistory(n: number, selected: Uint32Array, capacity: number): void {
  if (selected.length < 1 || selected.length > MAX_HISTORY_PARTICLES) {
    throw new HistoryError(`a history follows 1 to ${MAX_HISTORY_PARTICLES} particles, got ${selected.length}`);
  }
  if (!Number.isInteger(capacity) || capacity < 1) throw new HistoryError(`the history capacity must be a whole number >= 1, got ${capacity}`);
  const bad = selected.find((i) => i >= n);
  if (bad !== undefined) throw new HistoryError(`particle ${bad} is selected for the history, but there are only ${n}`);
}

const evaluators = new WeakMap<Surface, (x: number, y: number) => number>();

/** The sharpness (top Hessian eigenvalue) of `surface` at (x, y), in float32 as the GPU computes it. */
export function sharpness(surface: Surface, x: number, y: number): number {
  let at = evaluators.get(surface);
  if (!at) evaluators.set(surface, (at = sharpnessOf(surface)));
  return at(x, y);
}

/** Float index in a particle's state of the lr its schedule used last (x's group), or -1 without a schedule. */
export function lrStateSlot(optimizer: CompiledOptimizer): number {
  const k = optimizer.state.indexOf(`${SCHEDULE_PREFIX}lr_used`);
  return k < 0 ? -1 : 2 * k;
}

/** Builds a history from particle states, one record() per sample: the CPU twin of HistoryRecorder. */
export class HistoryBuilder {
  /** Ring index of the newest sample. */
  private head = -1;
  private filled = 0;
  private readonly ring: { step: Uint32Array; status: Uint32Array; f: Float32Array };
  private readonly lrSlot: number;

  constructor(
    private readonly surface: Surface,
    optimizer: CompiledOptimizer,
    n: number,
    readonly selected: Uint32Array,
    readonly capacity: number,
  ) {
    checkHistory(n, selected, capacity);
    const size = selected.length * capacity;
    this.ring = { step: new Uint32Array(size), status: new Uint32Array(size), f: new Float32Array(5 * size) };
    this.lrSlot = lrStateSlot(optimizer);
  }

  /** Appends one sample of every selected particle of `p`. */
  record(p: ParticleState): void {
    this.head = (this.head + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    const { step, status, f } = this.ring;
    this.selected.forEach((i, j) => {
      const at = j * this.capacity + this.head;
      const x = p.pos[4 * i];
      const y = p.pos[4 * i + 1];
      const steps = particleSteps(p.info, i);
      step[at] = steps;
      status[at] = particleStatus(p.info, i);
      f[5 * at] = x;
      f[5 * at + 1] = y;
      f[5 * at + 2] = p.pos[4 * i + 2];
      f[5 * at + 3] = sharpness(this.surface, x, y);
      f[5 * at + 4] = this.lrSlot >= 0 && steps > 0 ? p.state[i * p.stateStride + this.lrSlot] : p.hyper[i * p.hyperStride];
    });
  }

  result(): HistoryData {
    const { step, status, f } = this.ring;
    const out = emptyHistory(this.selected, this.filled);
    for (let j = 0; j < this.selected.length; j++) {
      for (let k = 0; k < this.filled; k++) {
        const at = j * this.capacity + ringSlot(this.head, this.filled, this.capacity, k);
        const o = j * this.filled + k;
        out.step[o] = step[at];
        out.status[o] = status[at];
        out.x[o] = f[5 * at];
        out.y[o] = f[5 * at + 1];
        out.loss[o] = f[5 * at + 2];
        out.sharpness[o] = f[5 * at + 3];
        out.lr[o] = f[5 * at + 4];
      }
    }
    return out;
  }
}

/** Ring slot of the k-th oldest of `filled` samples whose newest is at `head`. */
export function ringSlot(head: number, filled: number, capacity: number, k: number): number {
  return (head - filled + 1 + k + capacity) % capacity;
}

export function emptyHistory(selected: Uint32Array, length: number): HistoryData {
  const size = selected.length * length;
  return {
    selected: selected.slice(),
    count: selected.length,
    length,
    step: new Uint32Array(size),
    status: new Uint32Array(size),
    x: new Float32Array(size),
    y: new Float32Array(size),
    loss: new Float32Array(size),
    sharpness: new Float32Array(size),
    lr: new Float32Array(size),
  };
}

/** One particle's samples as arrays (for a chart): particle j of the selection. */
export function particleHistory(h: HistoryData, j: number) {
  const s = j * h.length;
  const e = s + h.length;
  return {
    index: h.selected[j],
    step: h.step.subarray(s, e),
    status: h.status.subarray(s, e),
    x: h.x.subarray(s, e),
    y: h.y.subarray(s, e),
    loss: h.loss.subarray(s, e),
    sharpness: h.sharpness.subarray(s, e),
    lr: h.lr.subarray(s, e),
  };
}
