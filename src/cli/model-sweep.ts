// `etascape sweep --model ...`: N networks from the same start (or each its own draw),
// network i with lr = A (B/A)^(i/(N-1)) on every layer, as the surface sweep spreads
// lr over its particles; one row per network.

import { extname } from 'node:path';
import { buildNetSetup } from '../core/nn/setup';
import { particleStatus, particleSteps, eventStep, Status, STATUS_NAMES } from '../core/particles';
import { defineFlags, formatFlags, parseSchema, UsageError } from './args';
import { csvNumber, f32, fmt } from './common';
import { givenHyper, hyperFlags } from './flags';
import { builtinOf, layerRates, loadProblem, peekOptimizer, PROBLEM_FLAGS, settingsOf, train, withRunner } from './model';
import { gradientConfigOf, initialThetas, TRAIN_FLAGS } from './model-train';
import { checkOutputPath, writeOutput } from './output';

const COLUMNS = ['index', 'lr', 'loss', 'loss0', 'status', 'steps', 'event_step'] as const;
const MAX_NETS = 1 << 20;
const LR_RANGE_NEEDED = 'sweep --model needs --lr-min and --lr-max (the lr range, log-spaced)';

const SWEEP_MODEL_FLAGS = defineFlags({
  ...PROBLEM_FLAGS,
  ...TRAIN_FLAGS,
  lrMin: { name: 'lr-min', kind: 'number', min: 0, openMin: true, meta: 'ETA', help: 'smallest learning rate (required)', required: LR_RANGE_NEEDED },
  lrMax: {
    name: 'lr-max',
    kind: 'number',
    min: 0,
    openMin: true,
    meta: 'ETA',
    help: 'largest learning rate (required); log-spaced in between',
    required: LR_RANGE_NEEDED,
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
  return `Usage: etascape sweep --model FILE.json|mlp:... --lr-min A --lr-max B [--n N] [--steps S]
                      [--optimizer NAME] [--engine cpu|gpu] [--out FILE.csv|FILE.json]
                      [--batch_size B] [--clip_norm C] [--noise SIGMA] [--sam_rho RHO] ...

Trains N networks (the same data; the same initial weights unless --init-per-network),
network i with lr = A (B/A)^(i/(N-1)) on every layer (with --lr_layers R0,R1,...: layer
k's lr is R_k times that), and writes one row per network: ${COLUMNS.join(', ')}
(loss: the full-batch loss at the end; loss0: at the start). A summary goes to stderr,
or to stdout when --out is given.

Flags:
${formatFlags(SWEEP_MODEL_FLAGS)}
  plus the optimizer's hyperparameters (--momentum, --betas, ...) as in etascape sweep.

Example:
  etascape sweep --model mlp:4,16,1:tanh:mean-field --lr-min 0.01 --lr-max 100 --n 256 --steps 200 --out sweep.csv`;
}

export async function sweepModelCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const def = peekOptimizer(argv);
  const { values: f, parsed, help } = parseSchema(argv, SWEEP_MODEL_FLAGS, hyperFlags(def));
  if (help) {
    out(sweepModelHelp());
    return 0;
  }
  const { lrMin, lrMax } = f;
  if (lrMin > lrMax) throw new UsageError(`--lr-min ${lrMin} is above --lr-max ${lrMax}`);
  if (f.n > MAX_NETS) throw new UsageError(`--n ${f.n}: at most ${MAX_NETS} networks`);
  const given = givenHyper(def, parsed);
  if (given.lr !== undefined) throw new UsageError('--lr: the sweep spreads lr over [--lr-min, --lr-max]');
  if (f.out !== undefined) checkOutputPath(f.out, '--out');
  const problem = loadProblem(f);
  const L = problem.model.layers.length;
  const ratios = f.lrLayers === undefined ? Array(L).fill(1) : layerRates(f.lrLayers, undefined, L);
  const n = f.n;
  const lrs = Array.from({ length: n }, (_, i) => Math.fround(n === 1 ? lrMin : lrMin * (lrMax / lrMin) ** (i / (n - 1))));
  const config = gradientConfigOf(f, problem.data.n);
  const setup = buildNetSetup({
    model: problem.model,
    data: problem.data,
    optimizer: def.name,
    settings: settingsOf(given),
    lrLayers: lrs.map((lr) => ratios.map((r) => Math.fround(lr * r))),
    theta: initialThetas(problem, builtinOf(f), f, n),
    config,
  });
  const t0 = performance.now();
  const st = await withRunner(setup, f.engine, (r) => train(r, f.steps, 100));
  const seconds = (performance.now() - t0) / 1000;
  const rows = lrs.map((lr, i) => ({
    index: i,
    lr: f32(lr),
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
  const summary = {
    networks: n,
    status: counts,
    smallest_diverged_lr: diverged.length ? diverged[0].lr : null,
    largest_lr_loss_fell: fell.length ? fell[fell.length - 1].lr : null,
  };
  const text = [
    `etascape sweep: ${n} networks (${problem.model.params} parameters, ${problem.data.n} points), ${def.name}, lr ${fmt(lrMin)}..${fmt(lrMax)} (log), ${f.steps} steps, ${f.engine} engine, ${seconds.toFixed(2)} s`,
    `status:   ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `smallest lr that diverged: ${summary.smallest_diverged_lr ?? 'none'}`,
    `largest lr whose loss fell: ${summary.largest_lr_loss_fell ?? 'none'}`,
  ].join('\n');
  const csv =
    [COLUMNS.join(','), ...rows.map((r) => [r.index, csvNumber(r.lr), csvNumber(r.loss), csvNumber(r.loss0), r.status, r.steps, r.event_step].join(','))].join(
      '\n',
    ) + '\n';
  if (f.out === undefined) {
    out(csv.trimEnd());
    err(text);
    return 0;
  }
  if (extname(f.out).toLowerCase() === '.csv') writeOutput(f.out, csv);
  else {
    const doc = {
      optimizer: def.name,
      lr_min: lrMin,
      lr_max: lrMax,
      lr_layers: ratios,
      steps: f.steps,
      engine: f.engine,
      config,
      summary,
      columns: COLUMNS,
      rows,
    };
    writeOutput(f.out, JSON.stringify(doc) + '\n');
  }
  out(`${text}\nwrote ${n} rows to ${f.out}`);
  return 0;
}
