// The four network scenes of issue 11 in the page's scene list (numbers 20-23, after the
// 19 lecture scenes): each a preset of the explorer state built from the very constants
// the scene's check runs on (core/nn/scenes.ts), so the page trains the networks the
// check measured. Sizes the page cannot afford on a software adapter are the test sizes,
// and the summary says which.

import { buildModel, modelString } from '../core/nn/model';
import { CATAPULT, catapultBase, EOS, FRACTAL } from '../core/nn/scenes';
import type { Scene } from './scenes';
import type { ExplorerState } from './state';

/** The quiet defaults every network scene starts from (one shared initial draw, seed 0, as the checks). */
const net: Partial<ExplorerState> = { seed: 0, init: 'shared', dataSeed: 0, points: 0, optimizer: 'SGD', planeMode: 'random', planeCenter: 0, trails: 0 };

// tanh(sqrt(2) z) as parseModel spells it (modelString would print the gain's 17 digits).
const fractalModel = `mlp:${FRACTAL.test.width},${FRACTAL.test.width},1:tanh:mean-field:gain=sqrt2`;
const [fx0, fx1, fy0, fy1] = FRACTAL.windows[0];

/** lambda_0 of the catapult network (float64 power iteration, computed once, on first use). */
let lambda0: number | null = null;
const catapultLambda0 = () => (lambda0 ??= catapultBase().lambda0);
/** The catapult scene's three networks: eta / (2 / lambda_0) below 1, inside the catapult window (1, 2), and well above. */
export const CATAPULT_PAGE_FACTORS = [0.8, Math.sqrt(0.8 * 3), 3] as const;

/** A scene whose state is computed on first use (the catapult's lambda_0). */
function lazy(scene: Omit<Scene, 'state'>, state: () => Partial<ExplorerState>): Scene {
  let cached: Partial<ExplorerState> | null = null;
  return Object.defineProperty(scene, 'state', { get: () => (cached ??= state()), enumerable: true }) as Scene;
}

export const NETWORK_SCENES: readonly Scene[] = [
  {
    id: 'nn-fractal',
    number: 20,
    title: 'Networks: the trainability fractal',
    summary: `lr_layer0 × lr_layer1 of a ${FRACTAL.test.width}-${FRACTAL.test.width}-1 tanh(√2z) mean-field network on teacher data, ${FRACTAL.test.steps} GD steps, 128² map (32² on software): drag to zoom into the boundary`,
    formula: 'converged ∣ diverged over (η₀, η₁): a fractal boundary',
    state: {
      ...net,
      model: fractalModel,
      dataset: 'teacher',
      // In 3-D: 16 x 16 of the networks over the map's range; log heights (diverging losses reach 1e7).
      layout: 'map',
      n: 256,
      lrMin: 10 ** fx0,
      lrMax: 10 ** fy1,
      logHeight: true,
      stepsPerFrame: 1,
      views: ['netmap', 'netloss'],
      mapWindow: {
        x: { param: 'lr_layer0', min: 10 ** fx0, max: 10 ** fx1, scale: 'log' },
        y: { param: 'lr_layer1', min: 10 ** fy0, max: 10 ** fy1, scale: 'log' },
      },
      mapRes: 128,
      mapSteps: FRACTAL.test.steps,
    },
  },
  {
    id: 'nn-edge-of-stability',
    number: 21,
    title: 'Networks: the edge of stability',
    summary: `A 1-6-6-1 tanh network on Chebyshev T₄ (20 points), GD at η = 0.4, ${EOS.eta}, 0.625: each sharpness rises to its 2/η and stays there (${EOS.full.steps} steps, sharpness every ${EOS.full.every})`,
    formula: 'λ_max(∇²L) → 2/η',
    state: {
      ...net,
      model: modelString(buildModel(EOS.spec).spec),
      dataset: 'chebyshev',
      layout: 'sweep',
      n: 3,
      // Log-spaced: the middle network's lr is the checked scene's eta.
      lrMin: (EOS.eta * EOS.eta) / 0.625,
      lrMax: 0.625,
      stepsPerFrame: 10,
      trails: 3,
      sharpnessEvery: EOS.full.every,
      views: ['netsharp', 'netloss'],
    },
  },
  lazy(
    {
      id: 'nn-catapult',
      number: 22,
      title: 'Networks: the catapult',
      summary: `A 2-128-1 tanh network, 16 teacher points, at η = 0.8, 1.55 and 3 × 2/λ₀: no spike; a spike, then a flatter place; divergence (${CATAPULT.steps} steps)`,
      formula: '2/λ₀ < η < 4/λ₀: the loss spikes, then sharpness ≤ 2/η',
    },
    () => ({
      ...net,
      model: modelString(buildModel(CATAPULT.spec).spec),
      dataset: 'teacher',
      points: CATAPULT.points,
      layout: 'sweep',
      n: CATAPULT_PAGE_FACTORS.length,
      lrMin: (CATAPULT_PAGE_FACTORS[0] * 2) / catapultLambda0(),
      lrMax: (CATAPULT_PAGE_FACTORS[2] * 2) / catapultLambda0(),
      stepsPerFrame: 1,
      trails: 3,
      sharpnessEvery: 1,
      views: ['netloss', 'netsharp'],
    }),
  ),
  lazy(
    {
      id: 'nn-sharp-vs-flat',
      number: 23,
      title: 'Networks: sharp vs flat',
      summary: `The catapult network at ${CATAPULT.flat.full} learning rates from ${CATAPULT.flat.from} to ${CATAPULT.flat.to} × 2/λ₀: larger η ends flatter, each at most 2/η (${CATAPULT.steps} steps)`,
      formula: 'final λ_max ≤ 2/η: larger η, flatter minimum',
    },
    () => ({
      ...net,
      model: modelString(buildModel(CATAPULT.spec).spec),
      dataset: 'teacher',
      points: CATAPULT.points,
      layout: 'sweep',
      n: CATAPULT.flat.full,
      lrMin: (CATAPULT.flat.from * 2) / catapultLambda0(),
      lrMax: (CATAPULT.flat.to * 2) / catapultLambda0(),
      stepsPerFrame: 1,
      sharpnessEvery: 5,
      views: ['netsweep', 'netsharp'],
    }),
  ),
];
