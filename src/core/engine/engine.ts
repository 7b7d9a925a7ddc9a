// The engine interface both engines implement (CPU reference, GPU), and what they are built from.

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
