// Networks as particles, from explorer state (state.model set): the problem (model,
// dataset, initial weights), one learning rate per layer per network from the layout,
// the training setup both engines take, the per-frame budget, and the plane the 3-D
// view draws. Pure: no DOM, no GPU.

import { FRAME_WORK, fitFrame, bufferProblem, type BufferLimits } from '../core/budget';
import { makeDataset, type Dataset } from '../core/nn/data';
import { parseModel, type Model } from '../core/nn/model';
import { initialTheta } from '../core/nn/network';
import { planeThrough, randomPlane, type Plane } from '../core/nn/plane';
import { buildNetSetup } from '../core/nn/setup';
import type { NetSetup } from '../core/nn/train';
import { axisValue } from '../core/layouts';
import { colormap } from '../display/colormaps';
import type { ExplorerState } from './state';

/** The most networks the page trains at once (each holds hundreds of parameters and their optimizer state). */
const MAX_NETWORKS = 65_536;

export interface NetworkProblem {
  model: Model;
  data: Dataset;
}

/** The model and its dataset (throws ModelError / DataError with a message for the user). */
export function networkProblem(s: ExplorerState): NetworkProblem {
  const model = parseModel(s.model);
  const data = makeDataset(s.dataset, model, { seed: s.dataSeed, ...(s.points > 0 ? { points: s.points } : {}) });
  return { model, data };
}

/**
 * Learning rates per network, one per weight matrix: the map layout spreads lr_layer0 x
 * lr_layer1 over [lrMin, lrMax]^2 (log; a one-layer model sweeps its lr), the others
 * sweep one lr for every layer from lrMin to lrMax (log).
 */
export function networkLrs(s: ExplorerState, layers: number, n: number): number[][] {
  if (s.layout === 'map' && layers >= 2) {
    const side = Math.max(1, Math.round(Math.sqrt(n)));
    const v = (i: number) => Math.fround(axisValue(s.lrMin, s.lrMax, side, i, 'log'));
    const out: number[][] = [];
    for (let iy = 0; iy < side; iy++)
      for (let ix = 0; ix < side; ix++) {
        const lrs = Array<number>(layers).fill(v(ix));
        lrs[1] = v(iy);
        out.push(lrs);
      }
    return out;
  }
  return Array.from({ length: n }, (_, i) => Array<number>(layers).fill(Math.fround(axisValue(s.lrMin, s.lrMax, n, i, 'log'))));
}

/** The optimizer's other settings from the state (lr is per layer). */
function settings(s: ExplorerState): Record<string, number> {
  const { lr: _lr, ...rest } = s.hyper;
  void _lr;
  return rest;
}

export interface NetworkRunSetup extends NetworkProblem {
  setup: NetSetup;
  /** Per network, its first layer's lr (colours and bins). */
  lr: Float32Array;
}

/** Everything the network engine is built from (throws with a message for the user). */
export function buildNetworkRun(s: ExplorerState, n = s.n): NetworkRunSetup {
  const { model, data } = networkProblem(s);
  const lrLayers = networkLrs(s, model.layers.length, Math.min(n, MAX_NETWORKS));
  const count = lrLayers.length;
  const theta = initialTheta(model, count, { seed: s.seed, perNetwork: s.init === 'per-network' });
  const setup = buildNetSetup({
    model,
    data,
    optimizer: s.optimizer,
    settings: settings(s),
    schedule: s.schedule.trim() || undefined,
    lrLayers,
    theta,
  });
  return { model, data, setup, lr: Float32Array.from(lrLayers, (l) => l[0]) };
}

/** Multiply-adds (and their like) of one training step of one network: forward and backward over every point, and the update. */
export function networkStepCost(model: Model, points: number): number {
  const units = model.layers.reduce((a, l) => a + l.fanOut, 0);
  return points * (6 * model.params + 24 * units) + 16 * model.params;
}

export type NetworkBudgeted = { state: ExplorerState; changes: string[] } | { error: string };

/** The frame budget and buffer limits for a network run (steps per frame lowered to fit, or refused with the reason). */
export function budgetNetworks(s: ExplorerState, env: { software: boolean; limits: BufferLimits | null; particles?: number }): NetworkBudgeted {
  let problem: NetworkProblem;
  try {
    problem = networkProblem(s);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const n = env.particles ?? s.n;
  if (n > MAX_NETWORKS)
    return {
      error: `${n} networks: the page trains at most ${MAX_NETWORKS} at once (each holds ${problem.model.params} parameters and their optimizer state)`,
    };
  const P = problem.model.params;
  if (env.limits) {
    const buffers = [
      { what: 'network parameter', bytes: 4 * n * P },
      { what: 'optimizer state', bytes: 4 * n * P * 4 },
      { what: 'plane grid', bytes: 4 * s.planeRes * s.planeRes },
    ];
    const over = bufferProblem(buffers, env.limits);
    if (over) return { error: over };
  }
  const budget = env.software ? FRAME_WORK.software : FRAME_WORK.hardware;
  const perNet = networkStepCost(problem.model, problem.data.n);
  const fit = fitFrame(n, s.stepsPerFrame, { surface: perNet, optimizer: 0, hessian: 0, minibatch: 0 }, budget);
  if (!fit.ok) return { error: `${fit.error.replace('a simpler surface', 'a smaller network or fewer points')}` };
  if (!fit.clamped) return { state: s, changes: [] };
  return {
    state: { ...s, stepsPerFrame: fit.stepsPerFrame },
    changes: [
      `steps per frame lowered from ${s.stepsPerFrame} to ${fit.stepsPerFrame}, what fits one frame here (${n} networks of ${P} parameters on ${problem.data.n} points, about ${perNet.toExponential(1)} operations a network-step, frame budget ${budget.toExponential(0)})`,
    ],
  };
}

/** The plane grid's cost bounds its resolution too: res^2 loss evaluations at once, within MAX_FRAMES_PER_STEP frame budgets. */
export function planeResFor(s: ExplorerState, problem: NetworkProblem, software: boolean): number {
  const budget = software ? FRAME_WORK.software : FRAME_WORK.hardware;
  const perPoint = problem.data.n * 2 * problem.model.params;
  const most = Math.floor(Math.sqrt((2 * budget) / perPoint));
  return Math.max(8, Math.min(s.planeRes, most));
}

/**
 * The plane for `thetaOf` (a network's current parameters by index): Li et al.'s
 * random directions around planeCenter (seeded by the run's seed), or through planeNets.
 */
export function planeFor(s: ExplorerState, model: Model, n: number, thetaOf: (i: number) => Float32Array): Plane {
  const pick = (i: number, what: string) => {
    if (i >= n) throw new Error(`${what} is network ${i}; there are ${n} (0 to ${n - 1})`);
    return thetaOf(i);
  };
  if (s.planeMode === 'three') {
    const [a, b, c] = s.planeNets;
    return planeThrough(pick(a, 'planeNets.0'), pick(b, 'planeNets.1'), pick(c, 'planeNets.2'), Math.max(0, s.planeSpan - 1) / 2 + 0.25);
  }
  return randomPlane(model, pick(s.planeCenter, 'planeCenter'), s.seed, s.planeSpan);
}

/** RGBA per network: log lr on the particle colormap between lrMin and lrMax (as the surface particles). */
export function networkColors(lr: Float32Array, s: ExplorerState): Float32Array {
  const out = new Float32Array(4 * lr.length);
  const span = Math.log(s.lrMax / s.lrMin) || 1;
  lr.forEach((v, i) => {
    out.set(colormap(s.particleColormap, s.lrMax > s.lrMin ? Math.log(v / s.lrMin) / span : 0.5), 4 * i);
    out[4 * i + 3] = 1;
  });
  return out;
}

/** The 3-D view's title for networks. */
export function networkTitle(s: ExplorerState): string {
  return `${s.model} on ${s.dataset}: loss on a plane (${s.planeMode === 'random' ? 'Li et al. directions' : 'through 3 networks'})`;
}

/** The networks the loss curves and the sharpness view follow: `k` spread evenly over 0..n-1 (the lr sweep's order). */
export function followedNetworks(n: number, k = 5): number[] {
  const m = Math.min(k, n);
  return Array.from(new Set(Array.from({ length: m }, (_, j) => Math.round((j * (n - 1)) / Math.max(1, m - 1)))));
}
