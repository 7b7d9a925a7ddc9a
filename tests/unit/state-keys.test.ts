// One list says which state keys define the run and which only change the look
// (src/model/state-keys.ts): every key of the schema is in it, and the split is right:
// a run key changes what the run is built from, a look key does not.

import { describe, expect, test } from 'vitest';
import { buildRun, runConfig } from '../../src/model/setup';
import { buildNetworkRun } from '../../src/model/network';
import { DEFAULT_STATE, ExplorerStateSchema, parseState, type ExplorerState } from '../../src/model/state';
import { LOOK_KEYS, RUN_KEYS, STATE_KEY_CLASS } from '../../src/model/state-keys';

const base: ExplorerState = { ...DEFAULT_STATE, n: 64 };

/** A valid other value for every key (the same layout keeps layout-specific keys meaningful). */
const OTHER: { [K in keyof ExplorerState]: { value: ExplorerState[K]; with?: Partial<ExplorerState> } } = {
  surface: { value: 'rosenbrock' },
  surfaceParams: { value: { lambda1: 2, lambda2: 0.5, angle: 0 }, with: { surface: 'quadratic' } },
  optimizer: { value: 'Adam' },
  hyper: { value: { momentum: 0.5 } },
  layout: { value: 'grid' },
  lrMin: { value: 0.001 },
  lrMax: { value: 0.9 },
  n: { value: 100 },
  start: { value: [0.5, 0.5], with: { layout: 'sweep' } },
  region: { value: [-1, 1, -1, 1] },
  mapParam: { value: 'dampening', with: { layout: 'map' } },
  mapMin: { value: 0.1, with: { layout: 'map' } },
  mapMax: { value: 0.5, with: { layout: 'map' } },
  seed: { value: 7 },
  trails: { value: 10 },
  trailLength: { value: 12 },
  clipNorm: { value: 1 },
  clipValue: { value: 1 },
  schedule: { value: 'StepLR(step_size=30)' },
  noise: { value: 0.1 },
  batchSize: { value: 4 },
  samRho: { value: 0.05 },
  lrY: { value: 0.01 },
  surfaceColormap: { value: 'magma' },
  logHeight: { value: true },
  contours: { value: false },
  heightScale: { value: 2 },
  quality: { value: 'high' },
  particleColormap: { value: 'turbo' },
  colorBy: { value: 'status' },
  particleSize: { value: 0.05 },
  showTrails: { value: false },
  camera: { value: { position: [1, 2, 3], target: [0, 0, 0] } },
  topDown: { value: true },
  stepsPerFrame: { value: 5 },
  views: { value: ['map', 'loss'] },
  lossLrs: { value: [0.01] },
  bifurcationValue: { value: 'loss' },
  mapWindow: { value: { x: { param: 'lr', min: 0.01, max: 0.1, scale: 'log' }, y: { param: 'momentum', min: 0, max: 0.5, scale: 'linear' } } },
  mapRes: { value: 64 },
  mapSteps: { value: 100 },
  basinLr: { value: 0.05 },
  model: { value: 'mlp:1,4,1:tanh' },
  dataset: { value: 'teacher', with: { model: 'mlp:1,4,1:tanh' } },
  dataSeed: { value: 3, with: { model: 'mlp:1,4,1:tanh', dataset: 'teacher' } },
  points: { value: 7, with: { model: 'mlp:1,4,1:tanh' } },
  init: { value: 'per-network', with: { model: 'mlp:1,4,1:tanh' } },
  planeMode: { value: 'three', with: { model: 'mlp:1,4,1:tanh' } },
  planeCenter: { value: 3, with: { model: 'mlp:1,4,1:tanh' } },
  planeNets: { value: [1, 2, 3], with: { model: 'mlp:1,4,1:tanh' } },
  planeSpan: { value: 2, with: { model: 'mlp:1,4,1:tanh' } },
  planeRes: { value: 32, with: { model: 'mlp:1,4,1:tanh' } },
  sharpnessEvery: { value: 7 },
};

/** Everything the engine's run is built from: particles, optimizer program, run config. */
function runInputs(s: ExplorerState): string {
  const r = buildRun(s);
  const p = r.particles;
  return JSON.stringify([
    r.surface.spec,
    r.optimizer.program,
    r.optimizer.fixed,
    r.optimizer.schedule ?? null,
    Array.from(p.pos),
    Array.from(p.hyper),
    runConfig(s),
    // Networks: their data, initial weights and learning rates.
    ...(s.model ? (({ data, setup }) => [Array.from(data.x), Array.from(data.y), Array.from(setup.theta), Array.from(setup.hyper)])(buildNetworkRun(s)) : []),
  ]);
}

describe('state key classes', () => {
  const schemaKeys = Object.keys(ExplorerStateSchema.shape).sort();
  test('every key of the state schema has a class, and no other key does', () => {
    expect(Object.keys(STATE_KEY_CLASS).sort()).toEqual(schemaKeys);
    expect(Object.keys(OTHER).sort()).toEqual(schemaKeys);
    expect([...RUN_KEYS, ...LOOK_KEYS].every((k) => schemaKeys.includes(k))).toBe(true);
  });

  test.each(schemaKeys as (keyof ExplorerState)[])('%s: its class matches what a change of it does to the run', (key) => {
    const o = OTHER[key];
    const before = { ...base, ...o.with };
    const after = { ...before, [key]: o.value };
    expect(JSON.stringify(after[key])).not.toBe(JSON.stringify(before[key]));
    expect(parseState(after)).toHaveProperty('state');
    const runChanged = runInputs(after) !== runInputs(before);
    if (key === 'trails' || key === 'trailLength') {
      // Which particles record a trail, and how long: sized into the run's own buffers.
      expect(STATE_KEY_CLASS[key]).toBe('run');
    } else if (STATE_KEY_CLASS[key] === 'run') {
      expect(runChanged).toBe(true);
    } else {
      expect(runChanged).toBe(false);
    }
  });
});
