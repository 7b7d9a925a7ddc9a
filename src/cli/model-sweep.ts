// `etascape sweep --model ...`: N networks from the same start (or each its own draw),
// network i with lr = A (B/A)^(i/(N-1)) on every layer, as the surface sweep spreads
// lr over its particles; or (--sweep PARAM:MIN:MAX) any other quantity a network map
// takes as an axis (model-axes.ts) spread the same way; one row per network.

import { extname } from 'node:path';
import { buildNetSetup } from '../core/nn/setup';
import { particleStatus, particleSteps, eventStep, Status, STATUS_NAMES } from '../core/particles';
import { defineFlags, formatFlags, parseSchema, UsageError } from './args';
import { csvNumber, f32, fmt } from './common';
import { givenHyper, hyperFlags } from './flags';
import { builtinOf, layerRates, loadProblem, peekOptimizer, PROBLEM_FLAGS, settingsOf, train, withRunner } from './model';
import { gradientConfigOf, initialThetas, scheduleOf, TRAIN_FLAGS } from './model-train';
import { axisValues, checkAxisFlags, parseNetAxis, sweepNetworks, type AxisNetworks } from './model-axes';
import { checkOutputPath, writeOutput } from './output';

/** The columns; the second is the swept quantity's name (lr unless --sweep). */
const COLUMNS = ['index', 'lr', 'loss', 'loss0', 'status', 'steps', 'event_step'] as const;
const MAX_NETS = 1 << 20;
const LR_RANGE_NEEDED = 'sweep --model needs --lr-min and --lr-max (the lr range, log-spaced)';

const SWEEP_MODEL_FLAGS = defineFlags({
  ...PROBLEM_FLAGS,
  ...TRAIN_FLAGS,
  lrMin: { name: 'lr-min', kind: 'number', min: 0, openMin: true, meta: 'ETA', help: 'smallest learning rate (required unless --sweep)' },
  lrMax: {
    name: 'lr-max',
    kind: 'number',
    min: 0,
    openMin: true,
    meta: 'ETA',
    help: 'largest learning rate (required unless --sweep); log-spaced in between',
  },
  sweep: {
    name: 'sweep',
    kind: 'string',
    meta: 'PARAM:MIN:MAX[:log|lin]',
    help: 'spread another quantity instead of lr (any axis of map --model: momentum, beta1, clip_norm, init_scale, ...); lr from --lr or --lr_layers',
  },
  n: { name: 'n', kind: 'int', min: 1, meta: 'N', help: 'networks', default: 64 },
  steps: { name: 'steps', kind: 'int', min: 0, meta: 'S', help: 'optimizer steps', default: 200 },
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.csv|FILE.json',
    ext: ['.csv', '.json'],
    help: 'write the rows there (format by extension); default: CSV on stdout',
  },
});

function sweepModelHelp(): string {
  return `Usage: etascape sweep --model FILE.json|mlp:... (--lr-min A --lr-max B | --sweep PARAM:MIN:MAX[:log|lin]) [--n N] [--steps S]
                      [--optimizer NAME] [--engine cpu|gpu] [--out FILE.csv|FILE.json]
                      [--batch_size B] [--clip_norm C] [--noise SIGMA] [--sam_rho RHO] ...

Trains N networks (the same data; the same initial weights unless --init-per-network),
network i with lr = A (B/A)^(i/(N-1)) on every layer (with --lr_layers R0,R1,...: layer
k's lr is R_k times that), and writes one row per network: ${COLUMNS.join(', ')}
(loss: the full-batch loss at the end; loss0: at the start). A summary goes to stderr,
or to stdout when --out is given. With --sweep PARAM:MIN:MAX (any axis of map --model:
momentum, beta1, weight_decay, clip_norm, noise, sam_rho, init_scale, lr_layerK, ...)
that quantity is spread instead (log or linear), lr is --lr, and the lr column is PARAM.

Flags:
${formatFlags(SWEEP_MODEL_FLAGS)}
  plus the optimizer's hyperparameters (--momentum, --betas, ...) as in etascape sweep.

Example:
  etascape sweep --model mlp:4,16,1:tanh:mean-field --lr-min 0.01 --lr-max 100 --n 256 --steps 200 --out sweep.csv
  etascape sweep --model mlp:4,16,1:tanh:mean-field --sweep momentum:0:0.99 --lr 0.1 --n 64 --steps 200 --out momentum.csv`;
}

export async function sweepModelCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const def = peekOptimizer(argv);
  const { values: f, parsed, help } = parseSchema(argv, SWEEP_MODEL_FLAGS, hyperFlags(def));
  if (help) {
    out(sweepModelHelp());
    return 0;
  }
  const { lrMin, lrMax } = f;
  if (f.sweep !== undefined && (lrMin !== undefined || lrMax !== undefined))
    throw new UsageError('--sweep spreads its own quantity: give --lr (or --lr_layers), not --lr-min / --lr-max');
  if (f.sweep === undefined && (lrMin === undefined || lrMax === undefined)) throw new UsageError(LR_RANGE_NEEDED);
  if (lrMin !== undefined && lrMax !== undefined && lrMin > lrMax) throw new UsageError(`--lr-min ${lrMin} is above --lr-max ${lrMax}`);
  if (f.n > MAX_NETS) throw new UsageError(`--n ${f.n}: at most ${MAX_NETS} networks`);
  const given = givenHyper(def, parsed);
  if (f.sweep === undefined && given.lr !== undefined) throw new UsageError('--lr: the sweep spreads lr over [--lr-min, --lr-max]');
  if (f.out !== undefined) checkOutputPath(f.out, '--out');
  const problem = loadProblem(f);
  const L = problem.model.layers.length;
  const n = f.n;
  const config = gradientConfigOf(f, problem.data.n);
  let ratios: number[] = [];
  let swept: { param: string; values: number[]; min: number; max: number; scale: string };
  let nets: AxisNetworks;
  if (f.sweep !== undefined) {
    const axis = parseNetAxis(f.sweep, '--sweep', def, L);
    checkAxisFlags(axis, '--sweep', given, f);
    const values = axisValues(axis, n);
    swept = { param: axis.param, values, min: axis.min, max: axis.max, scale: axis.scale };
    nets = sweepNetworks(axis, values, layerRates(f.lrLayers, typeof given.lr === 'number' ? given.lr : undefined, L));
  } else {
    const [a, b] = [lrMin!, lrMax!];
    ratios = f.lrLayers === undefined ? Array(L).fill(1) : layerRates(f.lrLayers, undefined, L);
    const lrs = Array.from({ length: n }, (_, i) => Math.fround(n === 1 ? a : a * (b / a) ** (i / (n - 1))));
    swept = { param: 'lr', values: lrs, min: a, max: b, scale: 'log' };
    nets = { lrLayers: lrs.map((lr) => ratios.map((r) => Math.fround(lr * r))), init: {}, perNetwork: {} };
  }
  const setup = buildNetSetup({
    model: problem.model,
    data: problem.data,
    optimizer: def.name,
    settings: settingsOf(given),
    schedule: scheduleOf(f),
    lrLayers: nets.lrLayers,
    perNetwork: nets.perNetwork,
    theta: initialThetas(problem, builtinOf(f), f, n, nets.init),
    config,
  });
  const t0 = performance.now();
  const st = await withRunner(setup, f.engine, (r) => train(r, f.steps, 100));
  const seconds = (performance.now() - t0) / 1000;
  const p = swept.param;
  const rows = swept.values.map((v, i) => ({
    index: i,
    lr: f32(v),
    loss: f32(st.losses[2 * i + 1]),
    loss0: f32(st.losses[2 * i]),
    status: STATUS_NAMES[particleStatus(st.info, i)],
    steps: particleSteps(st.info, i),
    event_step: eventStep(st.info, i),
  }));
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const diverged = rows.filter((_, i) => particleStatus(st.info, i) === Status.Diverged || particleStatus(st.info, i) === Status.NonFinite);
  const fell = rows.filter((r) => r.status !== 'diverged' && r.status !== 'nonfinite' && r.loss < r.loss0);
  const smallestDiverged = diverged.length ? diverged[0].lr : null;
  const largestFell = fell.length ? fell[fell.length - 1].lr : null;
  const summary = { networks: n, status: counts, [`smallest_diverged_${p}`]: smallestDiverged, [`largest_${p}_loss_fell`]: largestFell };
  const text = [
    `etascape sweep: ${n} networks (${problem.model.params} parameters, ${problem.data.n} points), ${def.name}, ${p} ${fmt(swept.min)}..${fmt(swept.max)} (${swept.scale === 'log' ? 'log' : 'linear'}), ${f.steps} steps, ${f.engine} engine, ${seconds.toFixed(2)} s`,
    `status:   ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `smallest ${p} that diverged: ${smallestDiverged ?? 'none'}`,
    `largest ${p} whose loss fell: ${largestFell ?? 'none'}`,
  ].join('\n');
  const csv =
    [
      [COLUMNS[0], p, ...COLUMNS.slice(2)].join(','),
      ...rows.map((r) => [r.index, csvNumber(r.lr), csvNumber(r.loss), csvNumber(r.loss0), r.status, r.steps, r.event_step].join(',')),
    ].join('\n') + '\n';
  if (f.out === undefined) {
    out(csv.trimEnd());
    err(text);
    return 0;
  }
  if (extname(f.out).toLowerCase() === '.csv') writeOutput(f.out, csv);
  else {
    const doc = {
      optimizer: def.name,
      ...(f.sweep === undefined
        ? { lr_min: lrMin, lr_max: lrMax, lr_layers: ratios }
        : { sweep: { param: p, min: swept.min, max: swept.max, scale: swept.scale } }),
      steps: f.steps,
      engine: f.engine,
      config,
      summary,
      columns: [COLUMNS[0], p, ...COLUMNS.slice(2)],
      rows: p === 'lr' ? rows : rows.map(({ index, lr, ...r }) => ({ index, [p]: lr, ...r })),
    };
    writeOutput(f.out, JSON.stringify(doc) + '\n');
  }
  out(`${text}\nwrote ${n} rows to ${f.out}`);
  return 0;
}
