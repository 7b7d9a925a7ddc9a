// Which state keys define the run and which only change how it is drawn: the one list
// the explorer applies changes by. A look change never restarts the particles.

import type { ExplorerState } from './state';

/**
 * - run: the particles are built again (surface, optimizer, layout, seed, …).
 * - surface: the surface mesh is drawn again; the particles keep going on it.
 * - particles: how particles and trails are drawn (colour, size, visibility).
 * - camera: where the surface is seen from.
 * - pace: how many steps a frame runs.
 * - views: what the views beside the 3-D scene show (they have runs of their own).
 */
export type KeyClass = 'run' | 'surface' | 'particles' | 'camera' | 'pace' | 'views';

/** Every state key's class (a Record: a key added to the schema and not here fails to compile). */
export const STATE_KEY_CLASS: Record<keyof ExplorerState, KeyClass> = {
  surface: 'run',
  surfaceParams: 'run',
  optimizer: 'run',
  hyper: 'run',
  layout: 'run',
  lrMin: 'run',
  lrMax: 'run',
  n: 'run',
  start: 'run',
  region: 'run',
  mapParam: 'run',
  mapMin: 'run',
  mapMax: 'run',
  seed: 'run',
  // Which particles record a trail, and how long: part of the run's buffers.
  trails: 'run',
  trailLength: 'run',
  clipNorm: 'run',
  clipValue: 'run',
  schedule: 'run',
  noise: 'run',
  batchSize: 'run',
  samRho: 'run',
  lrY: 'run',
  // Networks: the model and its data define the run.
  model: 'run',
  dataset: 'run',
  dataSeed: 'run',
  points: 'run',
  init: 'run',
  surfaceColormap: 'surface',
  logHeight: 'surface',
  contours: 'surface',
  heightScale: 'surface',
  quality: 'surface',
  // The plane the networks' loss is drawn on: a new mesh, the networks keep training.
  planeMode: 'surface',
  planeCenter: 'surface',
  planeNets: 'surface',
  planeSpan: 'surface',
  planeRes: 'surface',
  particleColormap: 'particles',
  colorBy: 'particles',
  particleSize: 'particles',
  showTrails: 'particles',
  camera: 'camera',
  topDown: 'camera',
  stepsPerFrame: 'pace',
  views: 'views',
  lossLrs: 'views',
  bifurcationValue: 'views',
  mapWindow: 'views',
  mapRes: 'views',
  mapSteps: 'views',
  basinLr: 'views',
  sharpnessEvery: 'views',
};

export const keysOf = (c: KeyClass): (keyof ExplorerState)[] =>
  (Object.keys(STATE_KEY_CLASS) as (keyof ExplorerState)[]).filter((k) => STATE_KEY_CLASS[k] === c);

/** Keys whose change builds the particles again. */
export const RUN_KEYS = keysOf('run');
/** Keys that only change what is drawn (the run goes on). */
export const LOOK_KEYS = (Object.keys(STATE_KEY_CLASS) as (keyof ExplorerState)[]).filter((k) =>
  ['surface', 'particles', 'camera'].includes(STATE_KEY_CLASS[k]),
);

/** The keys among `keys` whose values differ between two states. */
export function changedKeys(a: ExplorerState, b: ExplorerState, keys: readonly (keyof ExplorerState)[]): (keyof ExplorerState)[] {
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
