// The engine interface both engines implement (CPU reference, GPU), and what they are built from.

import { add, mul, programBounds } from '../expr/interval';
import { FLOAT32_MAX, float32Up } from '../float32';
import type { CompiledOptimizer } from '../optimizers';
import type { ParticleState, RunConfig } from '../particles';
import type { Surface } from '../surfaces';

/** What both engines are built from. */
export interface EngineSetup {
  surface: Surface;
  optimizer: CompiledOptimizer;
  particles: ParticleState;
  config: RunConfig;
}

export interface Engine {
  readonly kind: 'cpu' | 'gpu';
  readonly n: number;
  /** Total steps queued so far. */
  readonly stepsQueued: number;
  /** Advances every running particle by k steps (k = 0 only refreshes the loss). */
  step(k: number): void;
  /** A copy of the particle state once all queued steps are done. */
  read(): Promise<ParticleState>;
  /** The same for particles first .. first + count - 1 only (a large run is read in such ranges). */
  readRange(first: number, count: number): Promise<ParticleState>;
  destroy(): void;
}

export interface MinimaTable {
  x: number[];
  y: number[];
  r2: number[];
  lossMax: number[];
}

/**
 * A converged particle belongs to the nearest known minimum within that minimum's
 * radius whose loss it matches; values are float32 as both engines compare them.
 */
export function minimaTable(surface: Surface): MinimaTable {
  const f = Math.fround;
  const big = 3.0e38;
  return {
    x: surface.minima.map((m) => f(m.x)),
    y: surface.minima.map((m) => f(m.y)),
    r2: surface.minima.map((m) => (Number.isFinite(m.radius) ? f(m.radius * m.radius) : big)),
    lossMax: surface.minima.map((m) => f(m.loss + 1e-3 * (1 + Math.abs(m.loss)))),
  };
}

/** Combinations the engines do not run; the message names the settings. */
export function checkSetup(setup: Pick<EngineSetup, 'surface' | 'config'>): void {
  if (setup.surface.dataset && setup.config.samRho > 0) {
    throw new Error('SAM on a dataset surface is not supported: its perturbation would need a second minibatch');
  }
}

/** The box |x|, |y| <= posBound over which the loss is proven finite and at most lossMax (float32). */
export interface ProvenLoss {
  posBound: number;
  lossMax: number;
}

/**
 * Whether the loss's stop checks can fire at no point of the box |x|, |y| <= posBound
 * (float32), the box in which the position checks keep a particle: where interval bounds
 * on the surface's step program show the loss finite and at most lossMax, and the
 * gradient finite with |g|^2 finite, a step inside the box stops only by converging or
 * by leaving the box, whatever lossBound at or above lossMax. Null where that cannot be shown.
 */
export function provenLoss(surface: Surface, posBound: number): ProvenLoss | null {
  const p = Math.min(Math.fround(posBound), FLOAT32_MAX);
  if (!(p >= 0)) return null;
  const box = { lo: -p, hi: p };
  const { loss, gx, gy } = programBounds(surface.step, { x: box, y: box });
  const gx2 = gx && mul(gx, gx);
  const gy2 = gy && mul(gy, gy);
  const gn2 = gx2 && gy2 && add(gx2, gy2);
  return loss && gn2 ? { posBound: p, lossMax: float32Up(loss.hi) } : null;
}
