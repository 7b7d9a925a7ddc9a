// The network scenes (issue 11): each is a setup and a check that runs on either engine
// through the NetRunner interface (runner.ts: CpuNetRunner here, GpuNetRunner in
// src/gpu). `size: 'test'` is the reduced run the test suite affords; 'full' is the
// scene as the page shows it. Every check returns what it measured, so the tests and
// the README can quote the numbers.

import { Status } from '../particles';
import { makeDataset } from './data';
import { boxCountingDimension } from './fractal';
import { buildModel, type ModelSpec } from './model';
import { initialTheta } from './network';
import { runWithSharpness, type NetRunner, type SharpnessRun } from './runner';
import { buildNetSetup } from './setup';
import { sharpness } from './sharpness';
import type { NetSetup } from './train';

type SceneSize = 'full' | 'test';
export type MakeRunner = (setup: NetSetup) => Promise<NetRunner>;

export interface SceneCheck {
  pass: boolean;
  measured: Record<string, number>;
  /** The conditions that failed, in words (empty when pass). */
  failures: string[];
}

export interface NetScene {
  id: string;
  title: string;
  /** What the scene shows and what its check asserts. */
  about: string;
  run(make: MakeRunner, size: SceneSize): Promise<SceneCheck>;
}

function verdict(measured: Record<string, number>, conditions: [boolean, string][]): SceneCheck {
  const failures = conditions.filter(([ok]) => !ok).map(([, why]) => why);
  return { pass: failures.length === 0, measured, failures };
}

const lossRow = (run: SharpnessRun, i: number, steps: number) => Array.from(run.state.history.subarray(i * steps, (i + 1) * steps));

// ---------------------------------------------------------------- trainability fractal

/**
 * The fractal notebook's setup: two weight matrices, tanh(sqrt(2) z), mean-field, no
 * biases, teacher data (as many points as parameters), one shared initial draw, GD with
 * one learning rate per layer. 'full' is the notebook's 16-wide network (272 parameters,
 * 272 points) at 256 x 256 and 500 steps; 'test' narrows it to 4-4-1 at 32 x 32 and 60
 * steps. Windows: log10 [lr0 from, to, lr1 from, to], two zoom levels into the boundary
 * (the whole 4-4-1 map over [-0.5, 2]^2 looks smooth at 32 x 32: dimension 0.99).
 */
export const FRACTAL = {
  full: { width: 16, res: 256, steps: 500 },
  test: { width: 4, res: 32, steps: 60 },
  windows: [
    [0, 1.2, 0.9, 1.5],
    [0.7, 1.2, 1.0, 1.2],
  ],
};

export function fractalSetup(size: SceneSize, [x0, x1, y0, y1]: number[]): NetSetup {
  const { width, res, steps } = FRACTAL[size];
  const model = buildModel({ widths: [width, width, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 });
  const data = makeDataset('teacher', model, { seed: 0 });
  const ax = (lo: number, hi: number, k: number) => 10 ** (lo + ((hi - lo) * k) / (res - 1));
  const lrLayers: number[][] = [];
  for (let iy = 0; iy < res; iy++) for (let ix = 0; ix < res; ix++) lrLayers.push([ax(x0, x1, ix), ax(y0, y1, iy)]);
  return buildNetSetup({ model, data, lrLayers, init: { seed: 0 }, config: { history: steps } });
}

/** Per zoom level, a res x res map (row-major) of converged flags. */
export function checkFractal(maps: ArrayLike<number>[], res: number): SceneCheck {
  const measured: Record<string, number> = {};
  const conditions: [boolean, string][] = [];
  maps.forEach((m, z) => {
    const inside = Array.from(m, Boolean);
    const nc = inside.filter(Boolean).length;
    const d = boxCountingDimension(inside, res, res);
    measured[`converged${z}`] = nc;
    measured[`dimension${z}`] = d;
    conditions.push([nc > 0 && nc < inside.length, `zoom ${z}: converged ${nc} of ${inside.length}, both outcomes expected`]);
    conditions.push([d > 1.1, `zoom ${z}: boundary dimension ${d.toFixed(3)} <= 1.1`]);
  });
  return verdict(measured, conditions);
}

const fractalScene: NetScene = {
  id: 'nn-fractal',
  title: 'the trainability fractal',
  about:
    "lr_layer0 x lr_layer1 on the fractal notebook's setup, coloured by its convergence measure; at two zoom levels both outcomes are present and the boundary's box-counting dimension is above 1.1",
  async run(make, size) {
    const maps: Uint8Array[] = [];
    for (const w of FRACTAL.windows) {
      const runner = await make(fractalSetup(size, w));
      runner.step(FRACTAL[size].steps);
      maps.push((await runner.measure(FRACTAL[size].steps)).converged);
      runner.destroy();
    }
    return checkFractal(maps, FRACTAL[size].res);
  },
};

// ---------------------------------------------------------------- edge of stability

/**
 * A tanh network (1-6-6-1, biases, standard parameterisation) on chebyshev (20 points,
 * T_4), full-batch GD at eta = 0.5 (2/eta = 4), one shared seeded draw. Sharpness starts
 * near 3.7, dips, then rises past 4 and settles at 2/eta.
 */
export const EOS = {
  spec: { widths: [1, 6, 6, 1], activation: 'tanh', bias: true } as Partial<ModelSpec> & { widths: number[] },
  eta: 0.5,
  full: { steps: 1600, every: 50 },
  test: { steps: 1200, every: 100 },
};

export function eosSetup(size: SceneSize): NetSetup {
  const model = buildModel(EOS.spec);
  const data = makeDataset('chebyshev', model, { degree: 4 });
  return buildNetSetup({ model, data, lrLayers: [model.layers.map(() => EOS.eta)], init: { seed: 0 }, config: { history: EOS[size].steps } });
}

/**
 * Network 0 of a run of `steps` GD steps at eta: the sharpness, from its lowest point
 * (below 0.85 x 2/eta), rises by 20% or more to reach 2/eta (progressive sharpening), stays within +-15% of 2/eta
 * over the last half, and the loss goes up at some step after the edge is reached while
 * ending below its value there (falling, not monotonically).
 */
export function checkEdgeOfStability(run: SharpnessRun, eta: number, steps: number): SceneCheck {
  const edge = 2 / eta;
  const s = run.sharpness.map((v) => v[0]);
  const peak = s.indexOf(Math.max(...s));
  const lowAt = s.indexOf(Math.min(...s.slice(0, peak + 1)));
  const low = s[lowAt];
  const up = s.findIndex((v, k) => k > lowAt && v >= 0.85 * edge);
  const reached = up >= 0 ? run.at[up] : NaN;
  const tail = s.filter((_, k) => run.at[k] >= steps / 2).map((v) => v / edge);
  const L = lossRow(run, 0, steps);
  const from = Number.isFinite(reached) ? reached : steps;
  let ups = 0;
  for (let t = from; t + 1 < steps; t++) if (L[t + 1] > L[t]) ups++;
  const measured = {
    sharpness0: s[0],
    sharpnessLow: low,
    sharpnessLowAt: run.at[lowAt],
    sharpnessPeak: s[peak],
    edge,
    edgeReachedAt: reached,
    lastHalfMinRatio: Math.min(...tail),
    lastHalfMaxRatio: Math.max(...tail),
    lossAtEdge: L[from],
    lossEnd: L[steps - 1],
    lossIncreasesAfterEdge: ups,
  };
  return verdict(measured, [
    [low < 0.85 * edge, `the sharpness is never well below 2/eta = ${edge} before its peak (lowest ${low.toFixed(3)})`],
    [s[peak] >= 1.2 * low && Number.isFinite(reached), `no progressive sharpening to 2/eta (low ${low.toFixed(3)}, peak ${s[peak].toFixed(3)})`],
    [
      tail.every((r) => r >= 0.85 && r <= 1.15),
      `last half: sharpness / (2/eta) in [${measured.lastHalfMinRatio.toFixed(3)}, ${measured.lastHalfMaxRatio.toFixed(3)}], not within 0.85..1.15`,
    ],
    [ups > 0 && L[steps - 1] < L[from], `loss after the edge: ${ups} increases, ${L[from]} -> ${L[steps - 1]} (expected to fall, not monotonically)`],
  ]);
}

const eosScene: NetScene = {
  id: 'nn-edge-of-stability',
  title: 'edge of stability',
  about:
    'a tanh network on chebyshev with GD at eta: sharpness rises (progressive sharpening) and then hovers within 15% of 2/eta for the last half while the loss keeps falling, not monotonically',
  async run(make, size) {
    const runner = await make(eosSetup(size));
    const { steps, every } = EOS[size];
    const run = await runWithSharpness(runner, steps, every);
    runner.destroy();
    return checkEdgeOfStability(run, EOS.eta, steps);
  },
};

// ---------------------------------------------------------------- catapult, sharp vs flat

/**
 * A wide two-layer network (2-128-1, tanh, standard, no biases) on teacher data (16
 * points), one shared seeded draw; learning rates in units of 2/lambda_0, lambda_0 the
 * sharpness at the start (computed in float64 on the CPU, so both engines train the same
 * networks).
 */
export const CATAPULT = {
  spec: { widths: [2, 128, 1], activation: 'tanh' } as Partial<ModelSpec> & { widths: number[] },
  points: 16,
  steps: 50,
  /** eta / (2 / lambda_0): below, two in the catapult window (1, 2), well above. */
  factors: [0.8, 1.3, 1.7, 3],
  /** Sharp vs flat: networks over eta / (2 / lambda_0) in [0.1, 1.9], log-spaced. */
  flat: { full: 1024, test: 6, from: 0.1, to: 1.9 },
};

export function catapultBase() {
  const model = buildModel(CATAPULT.spec);
  const data = makeDataset('teacher', model, { seed: 0, points: CATAPULT.points });
  const lambda0 = sharpness(model, data, initialTheta(model, 1, { seed: 0 }));
  return { model, data, lambda0 };
}

function catapultSetup(factors: number[]): { setup: NetSetup; lambda0: number; etas: number[] } {
  const { model, data, lambda0 } = catapultBase();
  const etas = factors.map((c) => (c * 2) / lambda0);
  const setup = buildNetSetup({ model, data, lrLayers: etas.map((e) => model.layers.map(() => e)), init: { seed: 0 }, config: { history: CATAPULT.steps } });
  return { setup, lambda0, etas };
}

/** Sharpness only at the end (the start's is lambda_0, the same for every network). */
async function trainThenSharpness(runner: NetRunner, steps: number): Promise<SharpnessRun> {
  runner.step(steps);
  const end = await runner.sharpness();
  return { state: await runner.read(), at: [steps], sharpness: [end] };
}

const diverged = (run: SharpnessRun, i: number) => {
  const st = run.state.info[4 * i];
  return st === Status.Diverged || st === Status.NonFinite;
};

/**
 * Per network of factor c = eta / (2 / lambda_0): c < 1 never spikes (the loss never
 * exceeds L_0) and trains; 1 < c < 2 spikes (the loss first grows above L_0), then falls
 * below L_0 and ends at sharpness below 2/eta; c > 2.5 diverges.
 */
export function checkCatapult(run: SharpnessRun, factors: number[], etas: number[], steps: number): SceneCheck {
  const measured: Record<string, number> = {};
  const conditions: [boolean, string][] = [];
  const end = run.sharpness[run.sharpness.length - 1];
  factors.forEach((c, i) => {
    const L = lossRow(run, i, steps);
    const peak = Math.max(...L.slice(1).filter(Number.isFinite)) / L[0];
    const final = run.state.losses[2 * i + 1] / L[0];
    const sharpRatio = end[i] / (2 / etas[i]);
    Object.assign(measured, { [`peak${c}`]: peak, [`final${c}`]: final, [`sharpnessOverEdge${c}`]: sharpRatio, [`diverged${c}`]: Number(diverged(run, i)) });
    if (c < 1) conditions.push([peak <= 1 && !diverged(run, i), `c = ${c}: loss peak ${peak.toFixed(3)} L_0 (no spike expected)`]);
    else if (c < 2)
      conditions.push([
        !diverged(run, i) && peak > 1 && final < 1 && sharpRatio < 1,
        `c = ${c}: peak ${peak.toFixed(3)} L_0, final ${final.toFixed(3)} L_0, final sharpness ${sharpRatio.toFixed(3)} x 2/eta (expected a spike, then below L_0 and 2/eta)`,
      ]);
    else if (c > 2.5) conditions.push([diverged(run, i), `c = ${c}: did not diverge`]);
  });
  return verdict(measured, conditions);
}

const catapultScene: NetScene = {
  id: 'nn-catapult',
  title: 'catapult',
  about:
    'a wide two-layer network at eta below 2/lambda_0 (no spike), between 2/lambda_0 and 4/lambda_0 (the loss spikes, falls, and the network ends flatter than 2/eta) and well above (divergence)',
  async run(make) {
    const { setup, etas } = catapultSetup(CATAPULT.factors);
    const runner = await make(setup);
    const run = await trainThenSharpness(runner, CATAPULT.steps);
    runner.destroy();
    return checkCatapult(run, CATAPULT.factors, etas, CATAPULT.steps);
  },
};

/**
 * Final sharpness against eta over the networks that did not diverge: none ends sharper
 * than 2/eta (5% slack: at the edge of stability the sharpness hovers at and slightly
 * above 2/eta, Cohen et al. 2021), and the quarter with the
 * largest eta ends at least 20% flatter (mean sharpness) than the quarter with the
 * smallest.
 */
export function checkSharpVsFlat(run: SharpnessRun, etas: number[]): SceneCheck {
  const end = run.sharpness[run.sharpness.length - 1];
  const ok = etas.map((_, i) => i).filter((i) => !diverged(run, i));
  const worst = Math.max(...ok.map((i) => end[i] / (2 / etas[i])));
  const q = Math.max(1, Math.floor(ok.length / 4));
  const mean = (ids: number[]) => ids.reduce((a, i) => a + end[i], 0) / ids.length;
  const small = mean(ok.slice(0, q));
  const large = mean(ok.slice(-q));
  const measured = { networks: etas.length, trained: ok.length, maxSharpnessOverEdge: worst, sharpnessSmallEta: small, sharpnessLargeEta: large };
  return verdict(measured, [
    [ok.length >= 4, `only ${ok.length} networks trained`],
    [worst <= 1.05, `a network ends at ${worst.toFixed(3)} x 2/eta`],
    [large <= 0.8 * small, `largest-eta quarter ${large.toFixed(3)} vs smallest ${small.toFixed(3)}: not 20% flatter`],
  ]);
}

const flatScene: NetScene = {
  id: 'nn-sharp-vs-flat',
  title: 'sharp vs flat in a network',
  about: 'the catapult network trained at many learning rates: final sharpness against eta, larger eta ending at flatter minima, each at most 2/eta',
  async run(make, size) {
    const { full, test, from, to } = CATAPULT.flat;
    const n = size === 'full' ? full : test;
    const factors = Array.from({ length: n }, (_, i) => from * (to / from) ** (i / (n - 1)));
    const { setup, etas } = catapultSetup(factors);
    const runner = await make(setup);
    const run = await trainThenSharpness(runner, CATAPULT.steps);
    runner.destroy();
    return checkSharpVsFlat(run, etas);
  },
};

export const NET_SCENES: NetScene[] = [fractalScene, eosScene, catapultScene, flatScene];
