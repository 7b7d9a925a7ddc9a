// The budget applied to an explorer state before it runs (a link, setState, a state
// file, the panel): the per-frame work and the GPU buffers a state asks for, against
// the frame budget and the device's limits. Steps per frame are lowered to what fits a
// frame, with a note saying so; what cannot fit at all is refused with the reason.

import { bufferProblem, FRAME_WORK, fitFrame, type BufferLimits, type PlannedBuffer, type StepCost } from '../core/budget';
import { instructionCount } from '../core/expr/program';
import { resolveSurface } from '../core/surfaces';
import { budgetNetworks } from './network';
import { optimizerFor } from './setup';
import { parseState, type ExplorerState } from './state';

export interface BudgetEnv {
  /** A software GPU (SwiftShader, llvmpipe) or the CPU engine: the smaller frame budget. */
  software: boolean;
  /** The device's buffer limits (null: no GPU, or not known). */
  limits: BufferLimits | null;
  /** Particles the engine on hand will run (the CPU fallback caps them); default state.n. */
  particles?: number;
}

export type Budgeted = { state: ExplorerState; changes: string[] } | { error: string };

/** Never throws: a state whose surface or optimizer cannot be built is left to buildRun's message. */
export function budgetState(state: ExplorerState, env: BudgetEnv): Budgeted {
  // The schema's limits first (a state from apply() has not been through it): n = 10^9
  // is over the particle limit, whatever this device's buffers would say.
  const checked = parseState(state);
  if ('error' in checked) return checked;
  if (state.model !== '') return budgetNetworks(state, env);
  let cost: StepCost;
  let strides: { hyper: number; state: number };
  let datasetPoints: number;
  try {
    const surface = resolveSurface(state.surface, state.surfaceParams);
    const optimizer = optimizerFor(state);
    cost = {
      surface: instructionCount(surface.step),
      optimizer: instructionCount(optimizer.program),
      hessian: optimizer.needsHessian ? instructionCount(surface.hessian) : 0,
      minibatch: surface.dataset ? state.batchSize * instructionCount(surface.dataset.sample) : 0,
    };
    strides = { hyper: optimizer.hyperStride, state: optimizer.stateStride };
    datasetPoints = surface.dataset?.spec.m ?? 0;
  } catch (e) {
    return { error: (e as Error).message };
  }
  const n = env.particles ?? state.n;
  if (env.limits) {
    const buffers: PlannedBuffer[] = [
      { what: 'particle position', bytes: 16 * n },
      { what: 'hyperparameter', bytes: 4 * strides.hyper * n },
      { what: 'optimizer state', bytes: 4 * strides.state * n },
      { what: 'dataset', bytes: 16 * datasetPoints },
      { what: 'trail', bytes: 16 * state.trails * state.trailLength },
    ];
    const problem = bufferProblem(buffers, env.limits);
    if (problem) return { error: problem };
  }
  const budget = env.software ? FRAME_WORK.software : FRAME_WORK.hardware;
  const fit = fitFrame(n, state.stepsPerFrame, cost, budget);
  if (!fit.ok) return { error: fit.error };
  if (!fit.clamped) return { state, changes: [] };
  return {
    state: { ...state, stepsPerFrame: fit.stepsPerFrame },
    changes: [
      `steps per frame lowered from ${state.stepsPerFrame} to ${fit.stepsPerFrame}, what fits one frame here (${n} particles x ${fit.stepsPerFrame} steps, about ${fit.perStep.toExponential(1)} instructions a step, frame budget ${budget.toExponential(0)})`,
    ],
  };
}
