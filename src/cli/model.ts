// Networks on the command line: `etascape run --model ...` (one network's loss curve and
// sharpness), `etascape map --model ...` (a map of networks over two hyperparameters,
// e.g. lr_layer0 x lr_layer1) and `etascape model` (the explicit JSON form of a built-in
// problem). run.ts and map.ts hand over to these when --model is given (sweep.ts to
// model-sweep.ts; the training settings' flags are in model-train.ts).
// Long because it holds the three network commands with their flag tables and help
// (the map also its shards, --shard, and their merge); each is short, and they share
// the problem loading and the training driver.

import { existsSync, readFileSync } from 'node:fs';
import { DATASETS, MAX_CSV_POINTS } from '../core/nn/data';
import { parseExplicit, toExplicit, type Problem } from '../core/nn/explicit';
import { ModelError, parseModel } from '../core/nn/model';
import { initialTheta } from '../core/nn/network';
import { CpuNetRunner, type NetRunner } from '../core/nn/runner';
import { buildNetSetup, fractalMeasureOfRun } from '../core/nn/setup';
import type { NetSetup, NetState } from '../core/nn/train';
import { fractalImage } from '../core/nn/outcome';
import { findOptimizer, HyperParamError, type OptimizerDef } from '../core/optimizers';
import { eventStep, particleStatus, particleSteps, Status, STATUS_NAMES } from '../core/particles';
import { GpuNetRunner } from '../gpu/network-analysis';
import { defineFlags, formatFlags, parseFloat32, parseSchema, peekFlag, UsageError, type FlagValues } from './args';
import { csvNumber, f32, openGpu } from './common';
import { ENGINE_STEPS_BOUND, MAX_FRACTAL_LOSSES, MAX_RUN_STEPS } from './limits';
import { checkOutputPath, writeOutputs } from './output';
import { givenHyper, hyperFlags } from './flags';
import { gradientConfigOf, initialThetas, scheduleOf, TRAIN_FLAGS } from './model-train';
import { shardOf, shardPart, SHARD_FLAGS, tileDone, tileParams, writeTile } from './shard';
import { axisCsv, f32WindowWarning, PRECISION_FLAGS, trainDF64 } from './model-df64';
import { axisValues, checkAxisFlags, mapNetworks, parseNetAxis } from './model-axes';
import { loadData } from './model-data';

export const PROBLEM_FLAGS = defineFlags({
  model: {
    name: 'model',
    kind: 'string',
    meta: 'FILE.json|mlp:...',
    help: 'the explicit problem (JSON) or a built-in model, e.g. mlp:16,16,1:tanh:mean-field:gain=sqrt2',
    required: 'give --model FILE.json or --model mlp:WIDTHS:ACTIVATION:PARAMETERIZATION',
  },
  data: {
    name: 'data',
    kind: 'string',
    meta: `${DATASETS.join('|')}|FILE.csv`,
    help: `a built-in model's dataset: a generator, or your CSV (a header row of names, at most ${MAX_CSV_POINTS} rows; --inputs and --targets choose the numeric columns)`,
    defaultText: 'teacher',
  },
  inputs: { name: 'inputs', kind: 'string', meta: 'A,B,...', help: "--data FILE.csv: the input columns, by name (as many as the model's inputs)" },
  targets: { name: 'targets', kind: 'string', meta: 'Y,...', help: "--data FILE.csv: the target columns, by name (as many as the model's outputs)" },
  dataSeed: { name: 'data-seed', kind: 'int', min: 0, meta: 'S', help: "the dataset's seed", defaultText: '0' },
  initSeed: { name: 'init-seed', kind: 'int', min: 0, meta: 'S', help: 'the seed of the initial weights (one shared draw)', defaultText: '0' },
  optimizer: { name: 'optimizer', kind: 'string', meta: 'NAME', help: 'PyTorch optimizer name', default: 'sgd' },
  lrLayers: { name: 'lr_layers', kind: 'string', meta: 'A,B,...', help: 'one learning rate per weight matrix, first matrix first (else --lr for all)' },
  engine: { name: 'engine', kind: 'choice', choices: ['cpu', 'gpu'], meta: 'cpu|gpu', help: 'the float32 CPU reference or the WebGPU engine', default: 'cpu' },
});

type ProblemValues = FlagValues<typeof PROBLEM_FLAGS>;

/** The problem a command's flags name: the explicit JSON file, or a built-in model with its data and seeded weights. */
export function loadProblem(f: Pick<ProblemValues, 'model' | 'data' | 'dataSeed' | 'initSeed' | 'inputs' | 'targets'>): Problem {
  const text = f.model.trim();
  if (!text.startsWith('mlp:')) {
    if (f.data !== undefined || f.dataSeed !== undefined || f.initSeed !== undefined || f.inputs !== undefined || f.targets !== undefined)
      throw new UsageError(
        '--data, --inputs, --targets, --data-seed and --init-seed describe a built-in model; the JSON file already holds the data and weights',
      );
    if (!existsSync(text)) throw new UsageError(`--model: no file '${text}' (give FILE.json or mlp:WIDTHS:ACTIVATION:PARAMETERIZATION)`);
    try {
      return parseExplicit(readFileSync(text, 'utf8'));
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${text}: ${e.message}`);
      throw e;
    }
  }
  const model = parseModel(text);
  const data = loadData(f, model);
  return { model, data, theta: initialTheta(model, 1, { seed: f.initSeed ?? 0 }) };
}

/** A built-in model's weight seed (null: a JSON file gives the weights). */
export function builtinOf(f: Pick<ProblemValues, 'model' | 'initSeed'>): { seed: number } | null {
  return f.model.trim().startsWith('mlp:') ? { seed: f.initSeed ?? 0 } : null;
}

export function peekOptimizer(argv: string[]): OptimizerDef {
  try {
    return findOptimizer(peekFlag(argv, 'optimizer') ?? 'sgd');
  } catch (e) {
    if (e instanceof HyperParamError) throw new UsageError(`--optimizer: ${e.message}`);
    throw e;
  }
}

/** The optimizer's other hyperparameters as given (numbers; flags as 0/1), lr left out. */
export function settingsOf(given: Record<string, number | boolean | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(given)) if (v !== undefined && k !== 'lr') out[k] = typeof v === 'boolean' ? Number(v) : v;
  return out;
}

/** --lr_layers a,b,... (one per weight matrix) or --lr for every layer. */
export function layerRates(lrLayers: string | undefined, lr: number | undefined, layers: number): number[] {
  if (lrLayers !== undefined) {
    const v = lrLayers.split(',').map((s) => parseFloat32(s.trim(), '--lr_layers'));
    if (v.length !== layers) throw new UsageError(`--lr_layers: ${v.length} learning rates for ${layers} weight matrices`);
    if (v.some((x) => !(x > 0))) throw new UsageError(`--lr_layers: every learning rate must be > 0, got ${lrLayers}`);
    return v;
  }
  const eta = lr ?? 0.01;
  if (!(eta > 0)) throw new UsageError(`--lr must be > 0, got ${eta}`);
  return Array(layers).fill(eta);
}

/** Trains a setup on one engine, `chunk` steps per dispatch, calling `at` after each chunk. */
/** Runs `use` with a runner on the chosen engine (the GPU device is opened and closed around it). */
export async function withRunner<T>(setup: NetSetup, engine: 'cpu' | 'gpu', use: (r: NetRunner) => Promise<T>, powerIters?: number): Promise<T> {
  if (engine === 'cpu') return use(new CpuNetRunner(setup, powerIters));
  const handle = await openGpu();
  const runner = await GpuNetRunner.create(handle, setup, powerIters);
  try {
    return await use(runner);
  } finally {
    runner.destroy();
    handle.device.destroy();
  }
}

/** `steps` steps in dispatches of `chunk`, calling `at` at 0 and after each. */
export async function train(r: NetRunner, steps: number, chunk: number, at: (done: number) => Promise<void> = async () => {}): Promise<NetState> {
  await at(0);
  for (let done = 0; done < steps;) {
    const k = Math.min(chunk, steps - done);
    r.step(k);
    done += k;
    await at(done);
  }
  return r.read();
}

/** Power iterations per sharpness estimate of `run` (one network: converged well past float32's precision). */
const RUN_POWER_ITERS = 100;

// ---------------------------------------------------------------- run

const RUN_FLAGS = defineFlags({
  ...PROBLEM_FLAGS,
  ...TRAIN_FLAGS,
  steps: {
    name: 'steps',
    kind: 'int',
    min: 0,
    max: MAX_RUN_STEPS,
    maxWhy: 'the loss of every step is kept',
    meta: 'N',
    help: 'optimizer steps',
    default: 100,
  },
  sharpnessEvery: {
    name: 'sharpness-every',
    kind: 'int',
    min: 1,
    meta: 'K',
    help: 'the top Hessian eigenvalue every K steps (power iteration on the exact Hessian-vector product)',
  },
  json: { name: 'json', kind: 'bool', help: 'print {"loss": [L_0..L_N], "status", "steps", "sharpness"?: [[step, value], ...]}' },
});

function runModelHelp(): string {
  return `Usage: etascape run --model FILE.json|mlp:... [--optimizer NAME] [--lr ETA | --lr_layers A,B,...]
                    [--steps N] [--sharpness-every K] [--engine cpu|gpu] [--json]
                    [--batch_size B] [--clip_norm C] [--noise SIGMA] [--sam_rho RHO] ...

Trains one network (full batch, or minibatches of B) and prints its loss curve: L_t is the loss after t
steps, N+1 values (fewer if the loss became non-finite or grew past 1e6 times L_0).

Flags:
${formatFlags(RUN_FLAGS)}
  plus the optimizer's hyperparameters (--momentum, --betas, ...) as in etascape run.

Example:
  etascape run --model mlp:4,16,1:tanh:mean-field --data teacher --optimizer sgd --lr 0.1 --steps 200 --json`;
}

export async function runModelCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const def = peekOptimizer(argv);
  const { values: f, parsed, help } = parseSchema(argv, RUN_FLAGS, hyperFlags(def));
  if (help) {
    out(runModelHelp());
    return 0;
  }
  const problem = loadProblem(f);
  const given = givenHyper(def, parsed);
  const lr = typeof given.lr === 'number' ? given.lr : undefined;
  const lrLayers = [layerRates(f.lrLayers, lr, problem.model.layers.length)];
  const setup = buildNetSetup({
    model: problem.model,
    data: problem.data,
    optimizer: def.name,
    settings: settingsOf(given),
    schedule: scheduleOf(f),
    lrLayers,
    theta: initialThetas(problem, builtinOf(f), f, 1),
    config: { history: f.steps, ...gradientConfigOf(f, problem.data.n) },
  });
  const K = f.sharpnessEvery;
  const sharpness: [number, number][] = [];
  const st = await withRunner(
    setup,
    f.engine,
    (r) =>
      train(r, f.steps, K ?? Math.max(1, f.steps), async (done) => {
        if (K === undefined || done % K !== 0) return;
        if (particleStatus((await r.read()).info, 0) === Status.Running) sharpness.push([done, (await r.sharpness())[0]]);
      }),
    RUN_POWER_ITERS,
  );
  const steps = particleSteps(st.info, 0);
  const status = STATUS_NAMES[particleStatus(st.info, 0)];
  // history[t] = L_t for t < steps taken; the loss after the last step is losses[1].
  const loss = Array.from(st.history.subarray(0, Math.min(steps, f.steps)), f32);
  loss.push(f32(st.losses[1]));
  const result = {
    loss,
    status,
    steps,
    lr_layers: lrLayers[0],
    params: problem.model.params,
    points: problem.data.n,
    ...(K !== undefined ? { sharpness } : {}),
  };
  if (f.json) {
    out(JSON.stringify(result));
    return 0;
  }
  out(
    [
      `etascape run: ${def.name}, lr per layer ${lrLayers[0].join(', ')}, ${problem.model.params} parameters, ${problem.data.n} points, ${f.engine} engine`,
      `loss     L_0 = ${loss[0]}  L_${loss.length - 1} = ${loss[loss.length - 1]}`,
      `status   ${status} after ${steps} steps`,
      ...(sharpness.length ? [`sharpness ${sharpness.map(([t, v]) => `${t}: ${v.toPrecision(5)}`).join(', ')}`] : []),
    ].join('\n'),
  );
  return 0;
}

// ---------------------------------------------------------------- map

const MEASURES = ['status', 'fractal'] as const;
const MAX_NETS = 1 << 20;

const MAP_FLAGS = defineFlags({
  ...PROBLEM_FLAGS,
  ...TRAIN_FLAGS,
  ...PRECISION_FLAGS,
  x: {
    name: 'x',
    kind: 'string',
    meta: 'PARAM:MIN:MAX[:log|lin]',
    help: "the horizontal axis: lr_layerK, lr (every layer), init_scale, init_offset, one of the optimizer's hyperparameters (momentum, beta1, weight_decay, ...) or clip_norm, clip_value, noise, sam_rho",
    required: 'map needs --x and --y, e.g. --x lr_layer0:1e-2:1e2:log',
  },
  y: {
    name: 'y',
    kind: 'string',
    meta: 'PARAM:MIN:MAX[:log|lin]',
    help: 'the vertical axis',
    required: 'map needs --x and --y, e.g. --y lr_layer1:1e-2:1e2:log',
  },
  res: { name: 'res', kind: 'int', min: 1, meta: 'N', help: 'networks per axis', default: 64 },
  steps: { name: 'steps', kind: 'int', min: 1, ...ENGINE_STEPS_BOUND, meta: 'S', help: 'optimizer steps', default: 200 },
  measure: {
    name: 'measure',
    kind: 'choice',
    choices: MEASURES,
    meta: MEASURES.join('|'),
    help: "status: the engine's stop rule; fractal: the fractal notebook's (loss / L_0, mean of the last 20 below 1)",
    default: 'status',
  },
  csv: {
    name: 'csv',
    kind: 'string',
    meta: 'FILE.csv',
    ext: ['.csv'],
    help: 'one row per network: ix, iy, the axis values, status, steps, event_step, loss, measure',
  },
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.png',
    ext: ['.png'],
    help: 'the image, one pixel per network (converged blue, diverged red, ranked by the measure)',
  },
  ...SHARD_FLAGS,
});

function mapModelHelp(): string {
  return `Usage: etascape map --model FILE.json|mlp:... --x lr_layer0:MIN:MAX[:log] --y lr_layer1:MIN:MAX[:log]
                    [--res N] [--steps S] [--measure status|fractal] [--precision f32|df64] [--csv FILE.csv] [--out FILE.png]

Trains N x N networks (one per pixel, the same initial weights and data), each with its
own learning rates, and classifies each as converged or diverged. With --shard K/N
--tile FILE.tile, only rows floor(K N'/N) .. floor((K+1) N'/N) - 1 (N' = --res), as a
tile that 'etascape merge' joins with the others (etascape help merge).

Flags:
${formatFlags(MAP_FLAGS)}

Example:
  etascape map --model mlp:16,16,1:tanh:mean-field:gain=sqrt2 --x lr_layer0:1e-2:1e2:log --y lr_layer1:1e-2:1e2:log \\
               --res 64 --steps 200 --measure fractal --csv out.csv --out out.png --engine gpu`;
}

/** A whole network map computed by shards (etascape merge), in network order. */
export interface NetMapResults {
  info: Uint32Array;
  /** L_0 and the last loss of each network. */
  losses: Float32Array;
  /** The measure (float64, as computed) and the classification (0 / 1). */
  value: Float64Array;
  converged: Uint32Array;
  seconds: number;
}

/** `etascape map --model`; with `merged`, the networks' results come from tiles instead of training. */
export async function mapModelCommand(argv: string[], out: (s: string) => void, err: (s: string) => void, merged?: NetMapResults): Promise<number> {
  const def = peekOptimizer(argv);
  const { values: f, parsed, help } = parseSchema(argv, MAP_FLAGS, hyperFlags(def));
  if (help) {
    out(mapModelHelp());
    return 0;
  }
  const sharded = shardOf(f);
  if (sharded) {
    if (f.csv !== undefined || f.out !== undefined) throw new UsageError('--shard writes only its --tile: give --out and --csv to etascape merge');
    checkOutputPath(sharded.tile, '--tile');
  } else {
    if (f.csv === undefined && f.out === undefined) throw new UsageError('map --model needs --csv FILE.csv or --out FILE.png (or both)');
    if (f.out !== undefined) checkOutputPath(f.out, '--out');
    if (f.csv !== undefined) checkOutputPath(f.csv, '--csv');
  }
  const problem = loadProblem(f);
  const L = problem.model.layers.length;
  const xs = parseNetAxis(f.x, '--x', def, L);
  const ys = parseNetAxis(f.y, '--y', def, L);
  const res = f.res;
  if (res * res > MAX_NETS) throw new UsageError(`--res ${res}: at most ${MAX_NETS} networks`);
  if (f.measure === 'fractal' && res * res * f.steps > MAX_FRACTAL_LOSSES) {
    throw new UsageError(
      `--measure fractal keeps every network's loss at every step: ${res}^2 networks x ${f.steps} steps is over the limit of ${MAX_FRACTAL_LOSSES} losses (1 GiB of float32); lower --res or --steps`,
    );
  }
  if (xs.param === ys.param) throw new UsageError(`--x and --y are both ${xs.param}`);
  const given = givenHyper(def, parsed);
  for (const [a, flag] of [
    [xs, '--x'],
    [ys, '--y'],
  ] as const)
    checkAxisFlags(a, flag, given, f);
  const base = layerRates(f.lrLayers, typeof given.lr === 'number' ? given.lr : undefined, L);
  const df64 = f.precision === 'df64';
  const notLr = [xs, ys].find((a) => a.kind.k !== 'lr');
  if (df64 && notLr) throw new UsageError(`--precision df64 maps learning-rate axes (lr, lr_layerK), not ${notLr.param}`);
  const warning = df64 ? null : f32WindowWarning({ ...xs, n: res }, { ...ys, n: res }, !notLr);
  if (warning) err(warning);
  const xv = axisValues(xs, res, df64);
  const yv = axisValues(ys, res, df64);
  const gradient = gradientConfigOf(f, problem.data.n);
  // Minibatches, noise and per-network weights draw by the network's index in its run,
  // which restarts at 0 in each shard: a shard would not compute what the whole map does.
  if (sharded && (f.initPerNetwork || f.noise !== undefined || f.batchSize !== undefined || xs.param === 'noise' || ys.param === 'noise'))
    throw new UsageError(
      '--shard with --init-per-network, --noise or --batch_size is not supported yet (their draws depend on the network index within a run)',
    );
  const [from, to] = sharded ? shardPart(sharded.shard, res, 'rows') : [0, res];
  const params = tileParams('map-model', argv);
  if (sharded && tileDone(sharded.tile, params, sharded.shard)) {
    out(`${sharded.tile}: shard ${sharded.shard.k}/${sharded.shard.n} is already done (skipped)`);
    return 0;
  }
  const { lrLayers, init, perNetwork } = mapNetworks({ x: xs, xv, y: ys, yv }, [from, to], base);
  const results =
    merged ??
    (await trainNetMap({
      problem,
      def: def.name,
      settings: settingsOf(given),
      schedule: scheduleOf(f),
      lrLayers,
      perNetwork,
      theta: initialThetas(problem, builtinOf(f), f, lrLayers.length, init),
      gradient,
      steps: f.steps,
      fractal: f.measure === 'fractal',
      engine: f.engine,
      df64,
    }));
  if (sharded) {
    const { shard, tile } = sharded;
    const { seconds, ...arrays } = results;
    writeTile(tile, { params, shard, part: [from, to], total: res, run: { seconds }, arrays });
    err(`etascape map: shard ${shard.k}/${shard.n} (rows ${from}..${to - 1} of ${res}) of ${res}x${res} networks, ${f.engine} engine, ${seconds.toFixed(2)} s`);
    out(`wrote ${tile} (${lrLayers.length} networks)`);
    return 0;
  }
  const n = res * res;
  if (results.converged.length !== n) throw new Error(`the tiles hold ${results.converged.length} networks, the map ${n}`);
  const { info, losses, seconds } = results;
  const converged = Array.from(results.converged, Boolean);
  const value = Array.from(results.value);
  const fractal = f.measure === 'fractal';
  const csvPath = f.csv;
  // Both files or neither (output.ts): a failing CSV leaves no PNG behind.
  const files: [string, string | Uint8Array][] = [];
  if (csvPath !== undefined) {
    const lines = [['ix', 'iy', xs.param, ys.param, 'status', 'steps', 'event_step', 'loss', 'measure'].join(',')];
    for (let i = 0; i < n; i++) {
      const status = fractal ? (converged[i] ? 'converged' : 'diverged') : STATUS_NAMES[particleStatus(info, i)];
      lines.push(
        [
          i % res,
          Math.floor(i / res),
          axisCsv(xv[i % res], df64),
          axisCsv(yv[Math.floor(i / res)], df64),
          status,
          particleSteps(info, i),
          eventStep(info, i),
          csvNumber(losses[2 * i + 1]),
          csvNumber(value[i]),
        ].join(','),
      );
    }
    files.push([csvPath, lines.join('\n') + '\n']);
  }
  if (f.out !== undefined) {
    const { createCanvas } = await import('@napi-rs/canvas');
    const canvas = createCanvas(res, res);
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(res, res);
    img.data.set(fractalImage(res, converged, value));
    ctx.putImageData(img, 0, 0);
    files.push([f.out, canvas.toBuffer('image/png')]);
  }
  writeOutputs(files);
  const nc = converged.filter(Boolean).length;
  err(
    `etascape map: ${res}x${res} networks (${problem.model.params} parameters, ${problem.data.n} points), ${xs.param} x ${ys.param}, ${f.steps} steps, ${f.engine} engine${df64 ? ' (df64)' : ''}, ${seconds.toFixed(2)} s: converged ${nc}, diverged ${n - nc} (${f.measure} measure)`,
  );
  out(`wrote ${[f.out, csvPath].filter(Boolean).join(', ')}`);
  return 0;
}

/** Trains a map's networks (all, or a shard's rows) and classifies each. */
async function trainNetMap(o: {
  problem: Problem;
  def: string;
  settings: Record<string, number>;
  /** A learning-rate schedule (PyTorch's constructor call), or none. */
  schedule: string | undefined;
  lrLayers: number[][];
  /** Per network, its own value of these hyperparameters (the map's other axes). */
  perNetwork: Record<string, number[]>;
  /** The networks' initial weights, one after another. */
  theta: Float32Array;
  gradient: ReturnType<typeof gradientConfigOf>;
  steps: number;
  fractal: boolean;
  engine: 'cpu' | 'gpu';
  /** Weights, rates and optimizer state as double-floats (model-df64.ts). */
  df64: boolean;
}): Promise<NetMapResults> {
  const { problem, steps, fractal, theta } = o;
  const n = o.lrLayers.length;
  const setup = buildNetSetup({
    model: problem.model,
    data: problem.data,
    optimizer: o.def,
    settings: o.settings,
    schedule: o.schedule,
    lrLayers: o.lrLayers,
    perNetwork: o.perNetwork,
    theta,
    config: { history: fractal ? steps : 0, ...o.gradient },
  });
  const t0 = performance.now();
  if (o.df64) {
    const st = await trainDF64(setup, o.lrLayers, o.engine, steps, 50);
    const seconds = (performance.now() - t0) / 1000;
    const value = new Float64Array(n);
    const converged = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const status = particleStatus(st.info, i);
      const [l0, l1] = [st.losses[2 * i], st.losses[2 * i + 1]];
      const m = fractal ? fractalMeasureOfRun(st.history.subarray(i * steps, (i + 1) * steps), status, eventStep(st.info, i), steps) : null;
      converged[i] = Number(m ? m.converged : status === Status.Converged || (status === Status.Running && l1 < l0));
      value[i] = m ? m.value : l1 / l0;
    }
    return { info: st.info, losses: Float32Array.from(st.losses), value, converged, seconds };
  }
  // The fractal measure is computed by the engine (on the GPU by the measure kernel).
  const [st, measures] = await withRunner(setup, o.engine, async (r) => {
    const state = await train(r, steps, 50);
    return [state, fractal && steps > 0 ? await r.measure(steps) : null] as const;
  });
  const seconds = (performance.now() - t0) / 1000;
  const converged = new Uint32Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const status = particleStatus(st.info, i);
    if (measures) {
      converged[i] = measures.converged[i] === 1 ? 1 : 0;
      value[i] = measures.value[i];
    } else {
      converged[i] = Number(status === Status.Converged || (status === Status.Running && st.losses[2 * i + 1] < st.losses[2 * i]));
      value[i] = st.losses[2 * i + 1] / st.losses[2 * i];
    }
  }
  return { info: st.info, losses: st.losses, value, converged, seconds };
}

// ---------------------------------------------------------------- model

const MODEL_FLAGS = defineFlags({
  ...PROBLEM_FLAGS,
  out: { name: 'out', kind: 'string', meta: 'FILE.json', ext: ['.json'], help: 'where to write the explicit form (else stdout)' },
});

export function modelHelp(): string {
  return `Usage: etascape model --model mlp:... [--data NAME | --data FILE.csv --inputs A,B --targets Y] [--data-seed S] [--init-seed S] [--out FILE.json]

Writes the explicit JSON form of a problem: {"activation", "parameterization",
"weights": [W0, W1, ...] (fan_in rows of fan_out), "biases"?, "x": [...], "y": [...]}.

Flags:
${formatFlags(MODEL_FLAGS)}`;
}

export function modelCommand(argv: string[], out: (s: string) => void): number {
  const { values: f, help } = parseSchema(argv, MODEL_FLAGS);
  if (help) {
    out(modelHelp());
    return 0;
  }
  if (f.out !== undefined) checkOutputPath(f.out, '--out');
  const p = loadProblem(f);
  const json = JSON.stringify(toExplicit(p.model, p.data, p.theta));
  if (f.out === undefined) out(json);
  else {
    writeOutputs([[f.out, json + '\n']]);
    out(`wrote ${f.out} (${p.model.params} parameters, ${p.data.n} points)`);
  }
  return 0;
}
