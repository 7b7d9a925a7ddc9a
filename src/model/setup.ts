// From explorer state to the engine's inputs: surface, optimizer, particle layout and
// per-particle colours. Pure: no DOM, no GPU.

import { buildParticles, type Layout } from '../core/layouts';
import { getOptimizer, type CompiledOptimizer } from '../core/optimizers';
import { DEFAULT_RUN_CONFIG, ParticleError, runConfigProblem, type ParticleState, type RunConfig } from '../core/particles';
import { resolveSchedule } from '../core/schedules';
import { resolveSurface, type Surface } from '../core/surfaces';
import { colormap } from '../display/colormaps';
import type { ExplorerState } from './state';

export interface RunSetup {
  surface: Surface;
  optimizer: CompiledOptimizer;
  layout: Layout;
  particles: ParticleState;
}

export function layoutFor(state: ExplorerState, surface: Surface, n = state.n): Layout {
  const start = state.start ?? surface.spec.defaultStart;
  const region = state.region ?? surface.spec.domain;
  switch (state.layout) {
    case 'sweep':
      return { kind: 'sweep', start, lrMin: state.lrMin, lrMax: state.lrMax, n };
    case 'random': {
      const bands = Math.max(1, Math.min(100, Math.round(Math.sqrt(n))));
      return { kind: 'random', domain: region, perBand: Math.max(1, Math.floor(n / bands)), bands, lrMin: state.lrMin, lrMax: state.lrMax, seed: state.seed };
    }
    case 'grid': {
      const side = Math.max(1, Math.round(Math.sqrt(n)));
      return { kind: 'grid', x: [region[0], region[1]], y: [region[2], region[3]], nx: side, ny: side, lr: state.lrMin };
    }
    case 'map': {
      const side = Math.max(1, Math.round(Math.sqrt(n)));
      return {
        kind: 'product',
        start,
        x: { param: 'lr', min: state.lrMin, max: state.lrMax, n: side, scale: 'log' },
        y: { param: state.mapParam, min: state.mapMin, max: state.mapMax, n: side, scale: 'linear' },
      };
    }
  }
}

/** Two parameter groups when lr_y is set or is the map's second axis. */
function perCoordinateLr(state: ExplorerState): boolean {
  return state.lrY !== null || (state.layout === 'map' && state.mapParam === 'lr_y');
}

/** The optimizer with the state's schedule and parameter groups compiled in (also when a view's map has an lr_y axis). */
export function optimizerFor(state: ExplorerState, extraAxes: readonly string[] = []): CompiledOptimizer {
  const schedule = state.schedule.trim() ? resolveSchedule(state.schedule) : undefined;
  return getOptimizer(state.optimizer, { schedule, perCoordinateLr: perCoordinateLr(state) || extraAxes.includes('lr_y') });
}

/** Throws ExpressionError / HyperParamError / ParticleError / ScheduleError with a message for the user. */
export function buildRun(state: ExplorerState, n = state.n): RunSetup {
  const surface = resolveSurface(state.surface, state.surfaceParams);
  const optimizer = optimizerFor(state);
  const problem = runConfigProblem(runConfig(state));
  if (problem) throw new ParticleError(problem);
  const layout = layoutFor(state, surface, n);
  const hyper = state.lrY !== null ? { ...state.hyper, lr_y: state.lrY } : state.hyper;
  const particles = buildParticles(layout, optimizer, hyper);
  return { surface, optimizer, layout, particles };
}

/** RGBA per particle: log lr on the colormap between lrMin and lrMax. */
export function particleColors(p: ParticleState, state: ExplorerState): Float32Array {
  const out = new Float32Array(4 * p.n);
  const span = Math.log(state.lrMax / state.lrMin) || 1;
  for (let i = 0; i < p.n; i++) {
    const lr = p.hyper[i * p.hyperStride];
    const t = state.lrMax > state.lrMin ? Math.log(lr / state.lrMin) / span : 0.5;
    out.set(colormap(state.particleColormap, t), 4 * i);
    out[4 * i + 3] = 1;
  }
  return out;
}

/** The engines' thresholds and clipping for a state. */
export function runConfig(state: ExplorerState): RunConfig {
  return {
    ...DEFAULT_RUN_CONFIG,
    clipNorm: state.clipNorm,
    clipValue: state.clipValue,
    noise: state.noise,
    batchSize: state.batchSize,
    seed: state.seed,
    samRho: state.samRho,
  };
}
