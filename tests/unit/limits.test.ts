// Issue 16 on the state side: one budget for every input (an expression's compile cost
// included), float32 honesty, names of the language's own objects, and a preset's
// "minimum" labelled by its Hessian.

import { describe, expect, test } from 'vitest';
import { bufferProblem, FRAME_WORK, fitFrame, LIMITS, MAX_FRAMES_PER_STEP, stepInstructions } from '../../src/core/budget';
import { compileCost, COMPILE_COST_LIMIT_MS } from '../../src/core/expr/cost';
import { float32Problem } from '../../src/core/float32';
import { getOptimizer } from '../../src/core/optimizers';
import { resolveSchedule } from '../../src/core/schedules';
import { MAX_DATASET_POINTS } from '../../src/core/surfaces/dataset';
import { PRESET_NAMES, presetParameters, resolveSurface, stationaryKind } from '../../src/core/surfaces';
import { budgetState } from '../../src/model/budget';
import { SCENES, sceneState } from '../../src/model/scenes';
import { buildRun } from '../../src/model/setup';
import { decodeHash, encodeHash, importJson, exportJson } from '../../src/model/share';
import { DEFAULT_STATE, parseState, type ExplorerState } from '../../src/model/state';

const state = (c: Partial<ExplorerState> = {}): ExplorerState => ({ ...DEFAULT_STATE, ...c });
const link = (o: object) => `#s=${Buffer.from(JSON.stringify(o), 'utf8').toString('base64url')}`;
const errorOf = (r: { error: string } | object) => ('error' in r ? r.error : null);
/** The message buildRun throws (null: it builds). */
function runError(s: ExplorerState): string | null {
  try {
    buildRun(s, 4);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
const software = { software: true, limits: null };
const SMALL_GPU = { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 };

describe('the budget', () => {
  test('every limit has a value, a unit and a reason', () => {
    for (const l of Object.values(LIMITS)) {
      expect(l.max).toBeGreaterThan(0);
      expect(l.unit.length).toBeGreaterThan(0);
      expect(l.why.length).toBeGreaterThan(10);
    }
    expect(LIMITS.datasetPoints.max).toBe(MAX_DATASET_POINTS);
  });

  test('steps per frame are lowered to what fits the frame budget, at least one; one step over MAX_FRAMES_PER_STEP budgets is refused', () => {
    const cost = { surface: 30, optimizer: 16, hessian: 0, minibatch: 0 };
    const per = stepInstructions(cost);
    const fit = fitFrame(1e6, 10_000, cost, 1e9);
    expect(fit).toEqual({ ok: true, stepsPerFrame: Math.floor(1e9 / (1e6 * per)), clamped: true, perStep: 1e6 * per });
    expect(fitFrame(100, 5, cost, 1e9)).toMatchObject({ ok: true, stepsPerFrame: 5, clamped: false });
    // Slower than a frame but not frozen: one step a frame.
    expect(fitFrame(1e6, 3, cost, (1e6 * per) / 2)).toMatchObject({ ok: true, stepsPerFrame: 1, clamped: true });
    const refused = fitFrame(1e6, 1, cost, (1e6 * per) / (MAX_FRAMES_PER_STEP + 1));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toMatch(/one step of 1000000 particles .* frame budgets/);
  });

  test("buffers are checked against the device's limits and the message names the buffer and both sizes", () => {
    expect(bufferProblem([{ what: 'dataset', bytes: 1600000000 }], SMALL_GPU)).toBe(
      `the dataset buffer would take 1600000000 bytes, over this GPU's limit of ${128 << 20} bytes per storage buffer (device.limits)`,
    );
    expect(bufferProblem([{ what: 'dataset', bytes: 1 << 20 }], SMALL_GPU)).toBeNull();
    const huge = budgetState(state({ n: 1_000_000, trails: 4096, trailLength: 256 }), {
      software: false,
      limits: { maxStorageBufferBindingSize: 8 << 20, maxBufferSize: 8 << 20 },
    });
    expect(errorOf(huge)).toMatch(/the particle position buffer would take 16000000 bytes, over this GPU's limit of 8388608/);
  });

  test('the hostile link {"n":1e6,"stepsPerFrame":10000} decodes, then the budget lowers its steps per frame and says so', () => {
    const r = decodeHash(link({ n: 1e6, stepsPerFrame: 10000 }));
    expect('state' in r).toBe(true);
    const b = budgetState((r as { state: ExplorerState }).state, software);
    expect('state' in b).toBe(true);
    const { state: s, changes } = b as { state: ExplorerState; changes: string[] };
    expect(s.n).toBe(1e6);
    expect(s.stepsPerFrame).toBeGreaterThanOrEqual(1);
    expect(s.stepsPerFrame).toBeLessThanOrEqual(Math.max(1, FRAME_WORK.software / 1e6));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(new RegExp(`steps per frame lowered from 10000 to ${s.stepsPerFrame}`));
    // The default state is left alone.
    expect(budgetState(DEFAULT_STATE, software)).toEqual({ state: DEFAULT_STATE, changes: [] });
  });

  test('the hostile link {"surface":"least-squares","surfaceParams":{"points":1e8}} is refused, naming the dataset limit', () => {
    const r = decodeHash(link({ surface: 'least-squares', surfaceParams: { points: 1e8 } }));
    const s = (r as { state: ExplorerState }).state;
    const expected = `points = 100000000 is over the limit of ${MAX_DATASET_POINTS} dataset points`;
    expect(runError(s)).toContain(expected);
    expect(errorOf(budgetState(s, software))).toContain(expected);
    // At the limit it runs.
    expect(runError(state({ surface: 'least-squares', surfaceParams: { points: MAX_DATASET_POINTS } }))).toBeNull();
  });

  test('minibatches count in the cost: a batch of 10^6 per particle is refused for 10^4 particles', () => {
    expect(errorOf(budgetState(state({ surface: 'least-squares', batchSize: 1_000_000 }), software))).toMatch(/one step of 10000 particles/);
  });

  test('limits in the state schema name the limit and why', () => {
    expect(errorOf(parseState(state({ n: 2_000_000 })))).toBe(`n: over the limit of 1000000 particles (${LIMITS.particles.why})`);
    expect(errorOf(parseState(state({ mapRes: 4096 })))).toMatch(/^mapRes: over the limit of 2048 pixels per map side/);
    expect(errorOf(parseState(state({ trails: 5000 })))).toMatch(/^trails: over the limit of 4096 trails/);
  });
});

describe('float32 honesty', () => {
  test('float32Problem: 0, subnormals and infinities in float32 are named with their float32 value', () => {
    expect(float32Problem('lr', 1e-50)).toMatch(/^lr = 1e-50 is 0 in float32/);
    expect(float32Problem('lr', 1e-40)).toMatch(/^lr = 1e-40 is the subnormal 9\.99994\d*e-41 in float32/);
    expect(float32Problem('lambda2', 1e39)).toMatch(/^lambda2 = 1e\+39 is Infinity in float32/);
    expect(float32Problem('start', -1e39)).toMatch(/is -Infinity in float32/);
    for (const ok of [0, 1, -3.5, 1e-30, 3e38, 2 ** -126]) expect(float32Problem('v', ok)).toBeNull();
  });

  test('the state refuses them (learning rates, starts, surface parameters, hyperparameters)', () => {
    expect(errorOf(parseState(state({ lrMin: 1e-50 })))).toMatch(/lrMin = 1e-50 is 0 in float32/);
    expect(errorOf(parseState(state({ lrMax: 1e39 })))).toMatch(/lrMax = 1e\+39 is Infinity in float32/);
    expect(errorOf(parseState(state({ start: [1e39, 0] })))).toMatch(/start\.0 = 1e\+39 is Infinity in float32/);
    expect(errorOf(parseState(state({ surface: 'quadratic', surfaceParams: { lambda2: 1e39 } })))).toMatch(/surfaceParams\.lambda2 = 1e\+39 is Infinity/);
    expect(errorOf(parseState(state({ hyper: { momentum: 1e-45 } })))).toMatch(/hyper\.momentum = 1e-45 is the subnormal/);
    expect(errorOf(parseState(state({ camera: { position: [1e308, 0, 0], target: [0, 0, 0] } })))).toMatch(/camera\.position\.0 = 1e\+308 is Infinity/);
    // Through a link and a state file alike.
    expect(errorOf(decodeHash(link({ lrMin: 1e-50 })))).toMatch(/is 0 in float32/);
    const file = JSON.parse(exportJson(DEFAULT_STATE));
    file.state.lrMax = 1e39;
    expect(errorOf(importJson(JSON.stringify(file)))).toMatch(/lrMax = 1e\+39 is Infinity in float32/);
  });
});

describe('names of the language\'s own objects get the ordinary "unknown" message', () => {
  const names = ['__proto__', 'constructor', 'valueOf', 'toString', 'hasOwnProperty'];

  test('as a surface', () => {
    for (const n of names) expect(() => resolveSurface(n)).toThrow(new RegExp(`unknown name '${n}'`));
    for (const n of names) expect(presetParameters(n)).toEqual([]);
  });

  test('as a surface parameter, and unknown surface parameters in a link are refused, not ignored', () => {
    for (const n of names) {
      expect(() => resolveSurface('quadratic', JSON.parse(`{"${n}": 1}`))).toThrow(
        `unknown parameter '${n}' for surface 'quadratic' (it takes lambda1, lambda2, angle)`,
      );
    }
    const r = decodeHash(link({ surface: 'rosenbrock', surfaceParams: { lambda: 3 } }));
    expect(runError((r as { state: ExplorerState }).state)).toBe("unknown parameter 'lambda' for surface 'rosenbrock' (it takes none)");
    expect(runError(state({ surface: 'x^2 + y^2', surfaceParams: { a: 1 } }))).toBe("unknown parameter 'a' for surface 'x^2 + y^2' (it takes none)");
  });

  test('as an optimizer and a hyperparameter', () => {
    for (const n of names) {
      expect(() => getOptimizer(n)).toThrow(new RegExp(`unknown optimizer '${n}'`));
      expect(runError(state({ hyper: JSON.parse(`{"${n}": 1}`) }))).toMatch(new RegExp(`SGD has no parameter '${n}'`));
    }
  });

  test('as a schedule and a schedule argument (never dropped)', () => {
    for (const n of names) {
      expect(() => resolveSchedule(`${n}(step_size=2)`)).toThrow(new RegExp(`unknown schedule '${n}'`));
      expect(() => resolveSchedule(`StepLR(${n}=1, step_size=2)`)).toThrow(`StepLR has no parameter '${n}' (it takes step_size, gamma)`);
    }
  });

  test('as a map axis (mapParam and the map window) and as a view', () => {
    for (const n of names) {
      expect(errorOf(parseState(state({ mapParam: n })))).toMatch(new RegExp(`^mapParam: unknown map axis '${n}'`));
      const axis = (param: string) => ({ param, min: 0.01, max: 1, scale: 'log' as const });
      expect(errorOf(parseState(state({ mapWindow: { x: axis('lr'), y: axis(n) } })))).toMatch(new RegExp(`mapWindow\\.y\\.param: unknown map axis '${n}'`));
      expect(errorOf(parseState({ ...DEFAULT_STATE, views: [n] }))).toMatch(/views\.0: Invalid option/);
    }
    // Real axes are accepted, whatever the optimizer (a window outlives a change of optimizer).
    expect(
      errorOf(
        parseState(
          state({
            optimizer: 'Adam',
            mapWindow: { x: { param: 'lr', min: 0.01, max: 1, scale: 'log' }, y: { param: 'momentum', min: 0, max: 0.9, scale: 'linear' } },
          }),
        ),
      ),
    ).toBeNull();
  });

  test('links carrying these names as keys are refused before the schema', () => {
    expect(errorOf(decodeHash(`#s=${Buffer.from('{"surfaceParams":{"__proto__":{"n":1}}}').toString('base64url')}`))).toMatch(
      /the key '__proto__' is not allowed/,
    );
    expect(encodeHash(DEFAULT_STATE)).toBe('#s=e30');
  });
});

describe('a preset\'s "minimum" is labelled by its Hessian', () => {
  test('quadratic with lambda2 = -5 is a saddle, both negative a maximum, a zero eigenvalue degenerate', () => {
    expect(resolveSurface('quadratic', { lambda2: -5 }).minima.map((m) => m.label)).toEqual(['saddle']);
    expect(resolveSurface('quadratic', { lambda1: -1, lambda2: -5 }).minima.map((m) => m.label)).toEqual(['maximum']);
    expect(resolveSurface('quadratic', { lambda2: 0 }).minima.map((m) => m.label)).toEqual(['degenerate']);
    expect(resolveSurface('quadratic').minima.map((m) => m.label)).toEqual(['global']);
  });

  test('stationaryKind: positive definite only is a minimum; a manifold of minima may be semidefinite; non-smooth is taken as given', () => {
    expect(stationaryKind([1, 2])).toBe('minimum');
    expect(stationaryKind([-1, 2])).toBe('saddle');
    expect(stationaryKind([-2, -1])).toBe('maximum');
    expect(stationaryKind([0, 2])).toBe('degenerate');
    expect(stationaryKind([1e-18, 2], { manifold: true })).toBe('minimum');
    expect(stationaryKind([NaN, NaN], { nonSmooth: true })).toBe('minimum');
    // The two-layer network's hyperbola of minima stays 'balanced'.
    expect(resolveSurface('two-layer').minima.map((m) => m.label)).toEqual(['balanced', 'balanced']);
  });
});

describe('the compile-cost budget of an expression', () => {
  const tower = (n: number) => `${Array(n).fill('x').join('^')}+y^2`;
  const yTower = (n: number) => `x^${Array(n).fill('y').join('^')}`;
  const sines = (n: number) => Array.from({ length: n }, (_, i) => `sin(${i + 1}*x + y)`).join(' + ');
  /** The message resolveSurface throws for `e`, and how long it took (null: accepted). */
  function refusal(e: string): { message: string | null; seconds: number } {
    const t0 = performance.now();
    let message: string | null = null;
    try {
      resolveSurface(e);
    } catch (err) {
      message = (err as Error).message;
    }
    return { message, seconds: (performance.now() - t0) / 1000 };
  }

  test("the issue's towers are refused within a second, the message naming the estimate and the limit", () => {
    for (const e of [tower(10), tower(14), tower(16), yTower(12), sines(60), tower(64)]) {
      const r = refusal(e);
      expect(r.message, e).toMatch(
        new RegExp(`is too costly to compile: .* an estimated \\d+ ms of shader compilation, over the limit of ${COMPILE_COST_LIMIT_MS} ms`),
      );
      expect(r.seconds, e).toBeLessThan(1);
    }
    expect(refusal(tower(10)).message).toMatch(/\(18 pow, 2 log\)/);
    // Short towers and a few sines compile (under a second on SwiftShader by the calibration).
    for (const e of [tower(3), yTower(1), sines(12), 'sin(sin(sin(x))) + y^2']) expect(refusal(e).message, e).toBeNull();
  });

  test('every preset and every scene is accepted with at least a factor 2 to spare', () => {
    for (const name of PRESET_NAMES) expect(compileCost(resolveSurface(name)).ms, name).toBeLessThanOrEqual(COMPILE_COST_LIMIT_MS / 2);
    for (const scene of SCENES) {
      const s = sceneState(scene.id);
      expect(compileCost(resolveSurface(s.surface, s.surfaceParams)).ms, scene.id).toBeLessThanOrEqual(COMPILE_COST_LIMIT_MS / 2);
    }
  });

  test('the page refuses the same through its one budget (a link, setState, a state file, apply)', () => {
    const expected = /is too costly to compile/;
    expect(errorOf(budgetState(state({ surface: tower(12) }), software))).toMatch(expected);
    const r = decodeHash(link({ surface: tower(12) }));
    expect(runError((r as { state: ExplorerState }).state)).toMatch(expected);
  });

  test("apply({n: 1e9}) answers with the particle limit before any device's buffer limit", () => {
    const huge = budgetState(state({ n: 1e9 }), { software: false, limits: SMALL_GPU });
    expect(errorOf(huge)).toBe(`n: over the limit of 1000000 particles (${LIMITS.particles.why})`);
  });
});
