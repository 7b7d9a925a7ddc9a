// The lecture scenes of SCENES.md: each a preset of the explorer state (surface,
// particles, optimizer, schedule, views, camera) with the title and formula its
// annotations show. Pure data: a scene is a Partial<ExplorerState> over DEFAULT_STATE.

import { NETWORK_SCENES } from './network-scenes';
import { DEFAULT_STATE, parseState, type ExplorerState } from './state';

export interface Scene {
  id: string;
  /** 1..19, the order of SCENES.md; 20..23 the network scenes (network-scenes.ts). */
  number: number;
  title: string;
  /** One line for the panel. */
  summary: string;
  /** The formula the scene shows, as plain Unicode text. */
  formula: string;
  state: Partial<ExplorerState>;
}

/** Quiet defaults for a scene: few particles, one view, no leftovers from the default scene. */
const base: Partial<ExplorerState> = {
  surfaceParams: {},
  hyper: {},
  schedule: '',
  start: null,
  region: null,
  lrY: null,
  clipNorm: 0,
  clipValue: 0,
  noise: 0,
  batchSize: 1,
  samRho: 0,
  lossLrs: [],
  mapWindow: null,
  basinLr: null,
  camera: null,
  topDown: false,
  colorBy: 'lr',
  trails: 0,
  stepsPerFrame: 1,
};

const bowl = (lambda1: number, lambda2: number, angle = 0) => ({ surface: 'quadratic', surfaceParams: { lambda1, lambda2, angle } });

export const SCENES: readonly Scene[] = [
  {
    id: 'one-step',
    number: 1,
    title: 'One step of gradient descent',
    summary: 'w = 2.0, ∂L/∂w = −6.0, η = 0.1: the update moves w to 2.6',
    formula: 'w ← w − η·∇L = 2.0 − 0.1·(−6.0) = 2.6',
    state: {
      surface: '(x - 5)^2 + y^2',
      layout: 'sweep',
      n: 1,
      lrMin: 0.1,
      lrMax: 0.1,
      start: [2, 0],
      trails: 1,
      trailLength: 64,
      particleSize: 0.04,
      views: ['loss'],
    },
  },
  {
    id: 'three-regimes',
    number: 2,
    title: 'Too small, right, too big',
    summary: 'A bowl with λ = 10: η = 0.0125 crawls, η = 0.1 lands at once, η = 0.8 blows up',
    formula: 'e ← (1 − ηλ)·e: slow if ηλ ≪ 1, fastest at ηλ = 1, growing if ηλ > 2',
    state: {
      ...bowl(10, 10),
      layout: 'sweep',
      n: 3,
      lrMin: 0.0125,
      lrMax: 0.8,
      start: [1.2, 1.2],
      trails: 3,
      trailLength: 64,
      particleSize: 0.035,
      lossLrs: [0.0125, 0.1, 0.8],
      views: ['loss'],
    },
  },
  {
    id: 'stability-limit',
    number: 3,
    title: 'The stability limit',
    summary: 'L = ½ θᵀAθ with λ = 2 and 50: the η sweep diverges past 2/50 = 0.04',
    formula: 'η < 2/λ_max',
    state: { ...bowl(2, 50, 30), layout: 'sweep', n: 1000, lrMin: 0.032, lrMax: 0.05, start: [1, 1], stepsPerFrame: 20, views: ['sweep'] },
  },
  {
    id: 'feature-scaling',
    number: 4,
    title: 'Feature scaling',
    summary: 'Feature y scaled by 10: curvature along y ×100, and η = 0.1 now diverges',
    formula: 'y → 10y:  λ_y → 100·λ_y,  η < 2/λ_max shrinks 100×',
    state: { surface: '0.5*(x^2 + (10*y)^2)', layout: 'sweep', n: 400, lrMin: 0.01, lrMax: 0.5, start: [1.5, 0.15], views: ['sweep'] },
  },
  {
    id: 'grad-norm-brake',
    number: 5,
    title: 'A brake on exploding gradients',
    summary: 'When ‖g‖ grows over a window, η is cut: every lr here diverges without it',
    formula: '‖g_t‖ > 2‖g_{t−w}‖  ⇒  η ← η/2',
    state: { ...bowl(1, 10), layout: 'sweep', n: 16, lrMin: 0.25, lrMax: 0.8, start: [1, 1], schedule: 'GradNormBrake(window=4)', trails: 16, views: ['loss'] },
  },
  {
    id: 'curvature-adaptive',
    number: 6,
    title: 'Curvature-adaptive learning rate',
    summary: 'Power iteration estimates λ_max on the fly; η_t = 2s/ρ_t converges without tuning',
    formula: 'ρ_t ≈ λ_max(∇²L),  η_t = 2s/ρ_t,  s < 1',
    state: {
      ...bowl(3, 40, 30),
      layout: 'sweep',
      n: 8,
      lrMin: 0.5,
      lrMax: 50,
      start: [1, -1],
      schedule: 'CurvatureAdaptive(s=0.5, iters=2)',
      trails: 8,
      views: ['loss', 'sharpness'],
    },
  },
  {
    id: 'sharp-vs-flat',
    number: 7,
    title: 'Sharp vs flat minima',
    summary: 'Small η stays in the sharp trap; η past 2/λ_sharp oscillates out into the flat basin',
    formula: 'η > 2/λ_sharp  ⇒  escape the sharp minimum',
    state: {
      surface: 'double-well',
      layout: 'random',
      n: 10_000,
      lrMin: 0.005,
      lrMax: 0.5,
      region: [-1.1, -0.9, -0.1, 0.1],
      trails: 300,
      trailLength: 40,
      views: ['sweep'],
    },
  },
  {
    id: 'clipped-orbit',
    number: 8,
    title: 'Clipping: a bounded orbit',
    summary: 'ηλ = 3 > 2, but clipped at ‖g‖ ≤ C = 1: a period-2 orbit with jump ηC',
    formula: 'g ← g·min(1, C/‖g‖):  |Δθ| = ηC',
    state: {
      ...bowl(10, 10),
      layout: 'sweep',
      n: 1,
      lrMin: 0.3,
      lrMax: 0.3,
      start: [1.3, 0.4],
      clipNorm: 1,
      trails: 1,
      trailLength: 64,
      particleSize: 0.035,
      topDown: true,
      views: ['loss'],
    },
  },
  {
    id: 'momentum-effective-lr',
    number: 9,
    title: 'Momentum multiplies the step',
    summary: 'Heavy ball: effective η/(1−β); stable while η < 2(1+β)/λ (map: lr × momentum)',
    formula: 'η_eff = η/(1 − β),   η < 2(1 + β)/λ_max',
    state: {
      ...bowl(2, 50, 30),
      layout: 'map',
      n: 16_384,
      lrMin: 0.02,
      lrMax: 0.2,
      start: [1, 1],
      mapParam: 'momentum',
      mapMin: 0,
      mapMax: 0.95,
      colorBy: 'status',
      stepsPerFrame: 20,
      views: ['map'],
    },
  },
  {
    id: 'batch-noise-scaling',
    number: 10,
    title: 'Minibatch noise',
    summary: 'Least squares on 256 points: the gradient noise variance falls as 1/B',
    formula: 'Var[ĝ_B] = σ²/B;   η/B constant ⇒ same curve per sample',
    state: { surface: 'least-squares', layout: 'sweep', n: 1000, lrMin: 0.01, lrMax: 0.3, batchSize: 4, seed: 2, views: ['loss'] },
  },
  {
    id: 'schedules-gallery',
    number: 11,
    title: 'Learning-rate schedules',
    summary: 'OneCycleLR (PyTorch): warm up to max_lr, anneal by cosine; pick any other in the panel',
    formula: 'η_t = η_min + ½(η_max − η_min)(1 + cos(πt/T))',
    state: { surface: 'rosenbrock', layout: 'sweep', n: 200, lrMin: 1e-4, lrMax: 2e-3, schedule: 'OneCycleLR(total_steps=300)', views: ['loss'] },
  },
  {
    id: 'adaptive-vs-sgd',
    number: 12,
    title: 'Adaptive methods vs SGD',
    summary: "Adam on a bowl with λ = 0.2 and 100: final loss vs η is much flatter than SGD's",
    formula: 'θ ← θ − η·m̂/(√v̂ + ε)',
    state: { ...bowl(0.2, 100, 20), optimizer: 'Adam', layout: 'sweep', n: 1000, lrMin: 1e-4, lrMax: 1, start: [1.5, 1.5], stepsPerFrame: 5, views: ['sweep'] },
  },
  {
    id: 'lr-finder',
    number: 13,
    title: 'The LR range test',
    summary: 'η from 1e−6 growing every step; pick the steepest descent, not the minimum',
    formula: 'η_t = η_0·(η_1/η_0)^{t/T}',
    state: { ...bowl(1, 10), layout: 'random', n: 256, lrMin: 1e-4, lrMax: 1, views: ['lrfinder'] },
  },
  {
    id: 'grid-search',
    number: 14,
    title: 'Grid search over η',
    summary: 'η ∈ {1e−5, …, 1e−1}: five runs side by side; pick the lowest loss after T steps',
    formula: 'η* = argmin_η L(θ_T(η))',
    state: {
      ...bowl(1, 30),
      layout: 'sweep',
      n: 5,
      lrMin: 1e-5,
      lrMax: 0.1,
      start: [1.5, 1.5],
      trails: 5,
      trailLength: 64,
      particleSize: 0.035,
      lossLrs: [1e-5, 1e-4, 1e-3, 1e-2, 0.1],
      views: ['loss'],
    },
  },
  {
    id: 'explore-then-refine',
    number: 15,
    title: 'Explore, then refine',
    summary: 'A high η escapes the sharp trap; at step 300 it drops 50× and settles in the flat basin',
    formula: 'η_t = η for t < 300, η/50 after',
    state: {
      surface: 'double-well',
      layout: 'random',
      n: 1000,
      lrMin: 0.15,
      lrMax: 0.2,
      region: [-1.1, -0.9, -0.1, 0.1],
      schedule: 'MultiStepLR(milestones=[300], gamma=0.02)',
      trails: 100,
      views: ['loss'],
    },
  },
  {
    id: 'per-coordinate-lr',
    number: 16,
    title: 'A learning rate per parameter',
    summary: 'η_x × η_y map on a bowl with λ = 1, 10: stable iff η_x < 2 and η_y < 0.2',
    formula: 'η_x < 2/λ_x  and  η_y < 2/λ_y',
    state: {
      ...bowl(1, 10),
      layout: 'map',
      n: 4096,
      lrMin: 1,
      lrMax: 4,
      start: [1, 1],
      mapParam: 'lr_y',
      mapMin: 0.1,
      mapMax: 0.4,
      colorBy: 'status',
      stepsPerFrame: 20,
      views: ['map'],
    },
  },
  {
    id: 'bifurcation',
    number: 17,
    title: 'Period doubling',
    summary: 'GD on log cosh x: final iterates vs η split in two at 2/λ = 2, like the logistic map',
    formula: 'x ← x − η·tanh x:  period 2 from η = 2/λ',
    state: {
      surface: 'log(cosh(x)) + 0.25*y^2',
      layout: 'sweep',
      n: 2000,
      lrMin: 1.5,
      lrMax: 3.5,
      start: [0.5, 0.5],
      bifurcationValue: 'x',
      stepsPerFrame: 10,
      views: ['bifurcation'],
    },
  },
  {
    id: 'catapult',
    number: 18,
    title: 'The catapult',
    summary: 'L(a, b) = ½(ab − 1)²: a large η spikes the loss, then lands where a² + b² ≤ 2/η',
    formula: 'sharpness a² + b² ≤ 2/η after the catapult',
    state: { surface: 'two-layer', layout: 'random', n: 3072, lrMin: 0.05, lrMax: 0.95, region: [-3, 3, -3, 3], views: ['sharpness', 'loss'] },
  },
  {
    id: 'trainability-map',
    number: 19,
    title: 'The trainability map',
    summary: 'η × β map of heavy-ball runs on Rosenbrock: drag to zoom into the fractal boundary',
    formula: 'converged ∣ diverged over (η, β)',
    state: {
      surface: 'rosenbrock',
      layout: 'map',
      n: 4096,
      lrMin: 1e-4,
      lrMax: 1e-2,
      mapParam: 'momentum',
      mapMin: 0,
      mapMax: 0.99,
      colorBy: 'status',
      views: ['map'],
      mapWindow: { x: { param: 'lr', min: 1e-4, max: 1e-2, scale: 'log' }, y: { param: 'momentum', min: 0, max: 0.99, scale: 'linear' } },
      mapRes: 128,
      mapSteps: 1000,
    },
  },
];

/** The page's scene list: the 19 lecture scenes, then the network scenes. */
export const ALL_SCENES: readonly Scene[] = [...SCENES, ...NETWORK_SCENES];

/** A scene's full state: its preset over the defaults, validated by the state schema. */
export function sceneState(id: string | number): ExplorerState {
  const scene = findScene(id);
  const r = parseState({ ...DEFAULT_STATE, ...base, ...scene.state });
  if ('error' in r) throw new Error(`scene '${scene.id}' has a bad state: ${r.error}`);
  return r.state;
}

/** A scene by id ('sharp-vs-flat') or number (7 or '7'); a clear error lists the ids. */
export function findScene(idOrNumber: string | number): Scene {
  const key = String(idOrNumber).trim().toLowerCase();
  const found = ALL_SCENES.find((s) => s.id === key || String(s.number) === key);
  if (!found) throw new Error(`unknown scene '${idOrNumber}': use a number 1-${ALL_SCENES.length} or one of ${ALL_SCENES.map((s) => s.id).join(', ')}`);
  return found;
}
