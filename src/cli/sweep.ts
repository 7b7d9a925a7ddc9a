// `etascape sweep`: N particles from one start, lr log-spaced over [lr-min, lr-max].
// Long because one command writes four outputs (rows as CSV or JSON streamed a range at
// a time, the binned summary, a shard's tile) from a run or from merged tiles.

import { extname } from 'node:path';
import { layoutParticles } from '../core/layouts';
import { checkHyper, HyperParamError, type OptimizerDef } from '../core/optimizers';
import type { Engine } from '../core/engine/engine';
import { INFO_WORDS, particleAt, POS_FLOATS, STATUS_NAMES, type ParticleState } from '../core/particles';
import type { Surface } from '../core/surfaces';
import { defineFlags, formatFlags, UsageError } from './args';
import { checkCount, createEngine, csvField, csvNumber, describeExtras, describeHyper, f32, fmt, minimumName, openGpuFor } from './common';
import { checkOutputPath, commitOutputs, LineChunks, OutputFile, writeOutput } from './output';
import { CONFIG_FLAGS, engineFlag, loadConfig, loadOptimizer, loadStart, openCommand, SURFACE_FLAGS } from './flags';
import { optimizerHelp, presetHelp } from './help';
import {
  binRowsCsv,
  binRowsJson,
  binSummaryText,
  summarizeBins,
  summaryBinning,
  summaryColumns,
  SUMMARY_BUCKETS,
  SUMMARY_DEFAULT_BINS,
  type BinRow,
} from './sweep-summary';
import { startProgress } from './progress';
import { sweepModelCommand } from './model-sweep';
import { ENGINE_STEPS_BOUND, PARTICLES_BOUND, STEPS_PER_DISPATCH_BOUND } from './limits';
import { shardOf, shardPart, SHARD_FLAGS, shardRandomnessProblem, tileDone, tileParams, writeTile } from './shard';

const SWEEP_DEFAULTS = { n: 1024, steps: 1000, stepsPerDispatch: 100 };
const SWEEP_COLUMNS = ['index', 'lr', 'x', 'y', 'loss', 'status', 'steps', 'minimum'] as const;

const LR_RANGE_NEEDED = 'sweep needs --lr-min and --lr-max (the lr range, log-spaced)';

const SWEEP_FLAGS = defineFlags({
  ...SURFACE_FLAGS,
  lrMin: { name: 'lr-min', kind: 'number', meta: 'ETA', help: 'smallest learning rate (required)', required: LR_RANGE_NEEDED },
  lrMax: { name: 'lr-max', kind: 'number', meta: 'ETA', help: 'largest learning rate (required); lr is log-spaced in between', required: LR_RANGE_NEEDED },
  n: { name: 'n', kind: 'int', min: 1, ...PARTICLES_BOUND, meta: 'N', help: 'particles', default: SWEEP_DEFAULTS.n },
  steps: {
    name: 'steps',
    kind: 'int',
    min: 0,
    ...ENGINE_STEPS_BOUND,
    meta: 'S',
    help: 'optimizer steps',
    default: SWEEP_DEFAULTS.steps,
  },
  ...engineFlag('gpu', 'the WebGPU engine or the CPU reference'),
  stepsPerDispatch: {
    name: 'steps-per-dispatch',
    kind: 'int',
    min: 1,
    ...STEPS_PER_DISPATCH_BOUND,
    meta: 'K',
    help: 'GPU: steps fused into one dispatch',
    default: SWEEP_DEFAULTS.stepsPerDispatch,
  },
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.csv|FILE.json',
    ext: ['.csv', '.json'],
    help: 'write the rows there (format by extension); default: CSV on stdout',
  },
  summary: { name: 'summary', kind: 'bool', help: 'one row per lr bin instead of one per particle (reduced on the GPU with the GPU engine)' },
  bins: {
    name: 'bins',
    kind: 'int',
    min: 1,
    meta: 'B',
    help: 'with --summary: lr bins of ceil(N/B) consecutive particles (at most 1024)',
    defaultText: String(SUMMARY_DEFAULT_BINS),
  },
  ...CONFIG_FLAGS,
  ...SHARD_FLAGS,
});

export function sweepHelp(def: OptimizerDef | null): string {
  return `Usage: etascape sweep --surface NAME|EXPR [--optimizer NAME] --lr-min A --lr-max B [--n N]
                      [--steps S] [--start X,Y] [--engine gpu|cpu] [--out FILE.csv|FILE.json]
                      [--steps-per-dispatch K] [--summary [--bins B]] [hyperparameter flags]

Runs N particles from one start, particle i with lr = A (B/A)^(i/(N-1)), for S steps,
and writes one row per particle: ${SWEEP_COLUMNS.join(', ')} (the name of the known
minimum it converged to, or empty). CSV on stdout, or --out FILE.csv / FILE.json. A
summary (counts per status and per minimum, the smallest lr that diverged) goes to
stderr, or to stdout when --out is given.

With --summary, one row per lr bin (B bins of ceil(N/B) consecutive particles, the
last may hold fewer): lr_min, lr_max, lr_mid (geometric), particles, the fractions
running, converged, diverged and nonfinite, minimum_NAME (the fraction converged into
each known minimum), and loss_q10, loss_q50, loss_q90 (quantiles of the final loss of
the running and converged particles; nan when there are none), interpolated in
${SUMMARY_BUCKETS}-bucket histograms of log10(loss above the lowest loss). The GPU engine
reduces on the GPU and reads back only these counts.

With --shard K/N --tile FILE.tile, runs only particles floor(K N'/N) .. floor((K+1) N'/N) - 1
(N' = --n) and writes them as a tile (no --out, no --summary); a valid tile already there
is skipped. 'etascape merge TILE... [--out FILE.csv|FILE.json]' then writes what the
unsharded command writes.

Flags:
${formatFlags(SWEEP_FLAGS)}

${optimizerHelp(def, ['lr'])}

${presetHelp()}

Example:
  etascape sweep --surface quadratic --surface-param lambda2=10 --optimizer gd \\
                 --lr-min 0.1 --lr-max 0.3 --n 64 --steps 2000 --start 1.5,1.5 --out sweep.json
  etascape sweep --surface double-well --lr-min 0.005 --lr-max 0.5 --n 65536 --steps 2000 \\
                 --summary --bins 64 --out curve.csv`;
}

interface SweepRow {
  index: number;
  lr: number;
  x: number;
  y: number;
  loss: number;
  status: (typeof STATUS_NAMES)[number];
  steps: number;
  minimum: string | null;
}

interface SweepSummary {
  particles: number;
  status: Record<string, number>;
  minimum: Record<string, number>;
  /** Smallest lr whose particle diverged or went non-finite (null: none did). */
  smallest_diverged_lr: number | null;
  /** Largest lr whose particle converged (null: none did). */
  largest_converged_lr: number | null;
}

/** The rows, read back from the engine a range at a time (each pass reads them again). */
type Rows = () => AsyncIterable<SweepRow[]>;

/**
 * Particles read back at a time for the rows: the run's copy in memory is one range
 * (2^16 particles, a few MB), not the whole run (2^24 particles are about 1 GB).
 */
const READ_RANGE = 1 << 16;

/** Particle j of `st` as the row of sweep index `index`. */
function sweepRow(st: ParticleState, j: number, index: number, surface: Surface): SweepRow {
  const v = particleAt(st, j);
  return { index, lr: f32(v.lr), x: f32(v.x), y: f32(v.y), loss: f32(v.loss), status: v.status, steps: v.steps, minimum: minimumName(surface, v.minimum) };
}

function engineRows(engine: Engine, surface: Surface, range: number): Rows {
  return async function* () {
    for (let first = 0; first < engine.n; first += range) {
      const p = await engine.readRange(first, Math.min(range, engine.n - first));
      yield Array.from({ length: p.n }, (_, j) => sweepRow(p, j, first + j, surface));
    }
  };
}

/** Rows of particles already in memory (a merged sweep's), a range at a time. */
function stateRows(st: ParticleState, surface: Surface, range: number): Rows {
  return async function* () {
    for (let first = 0; first < st.n; first += range) {
      const rows: SweepRow[] = [];
      for (let i = first; i < Math.min(st.n, first + range); i++) rows.push(sweepRow(st, i, i, surface));
      yield rows;
    }
  };
}

async function summarize(n: number, rows: Rows): Promise<SweepSummary> {
  const status: Record<string, number> = {};
  const minimum: Record<string, number> = {};
  let div: number | null = null;
  let conv: number | null = null;
  for await (const chunk of rows()) {
    for (const r of chunk) {
      status[r.status] = (status[r.status] ?? 0) + 1;
      if (r.status === 'converged') {
        const k = r.minimum ?? '(no known minimum)';
        minimum[k] = (minimum[k] ?? 0) + 1;
        if (conv === null || r.lr > conv) conv = r.lr;
      }
      if ((r.status === 'diverged' || r.status === 'nonfinite') && (div === null || r.lr < div)) div = r.lr;
    }
  }
  return { particles: n, status, minimum, smallest_diverged_lr: div, largest_converged_lr: conv };
}

function summaryText(s: SweepSummary, surface: Surface): string {
  const counts = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  const statusOrder = Object.fromEntries(STATUS_NAMES.filter((k) => s.status[k]).map((k) => [k, s.status[k]]));
  const limits = surface.minima.filter((m) => Number.isFinite(m.lrLimit) && m.lrLimit > 0).map((m) => `${m.name} ${fmt(m.lrLimit)}`);
  return [
    `status:   ${counts(statusOrder)}`,
    `minimum:  ${counts(s.minimum)}`,
    `smallest lr that diverged: ${s.smallest_diverged_lr === null ? 'none' : fmt(s.smallest_diverged_lr)}`,
    `largest lr that converged: ${s.largest_converged_lr === null ? 'none' : fmt(s.largest_converged_lr)}`,
    ...(limits.length ? [`2/lambda_max at the known minima: ${limits.join(', ')}`] : []),
  ].join('\n');
}

const csvRow = (r: SweepRow): string =>
  [r.index, csvNumber(r.lr), csvNumber(r.x), csvNumber(r.y), csvNumber(r.loss), r.status, r.steps, csvField(r.minimum ?? '')].join(',');

/** The rows as CSV lines, header first, streamed in chunks to `sink`. */
async function streamCsv(rows: Rows, sink: (chunk: string) => void): Promise<void> {
  const chunks = new LineChunks(sink);
  chunks.add(SWEEP_COLUMNS.join(','));
  for await (const chunk of rows()) for (const r of chunk) if (chunks.add(csvRow(r))) await chunks.flush();
  await chunks.flush();
}

/** `doc` as JSON with `rows` (the last key) streamed in chunks to `sink`. */
async function streamJson(doc: object, rows: Rows, sink: (chunk: string) => void): Promise<void> {
  const head = JSON.stringify({ ...doc, rows: [] });
  const chunks = new LineChunks(sink);
  chunks.add(head.slice(0, -3) + '[');
  for await (const chunk of rows()) for (const r of chunk) if (chunks.add((r.index ? ',' : '') + JSON.stringify(r))) await chunks.flush();
  chunks.add(']}');
  await chunks.flush();
}

/** Dispatches queued on the GPU at most (then the loop waits for the GPU): memory stays flat. */
const MAX_IN_FLIGHT = 4;

/** A whole sweep computed by shards (etascape merge): its particles in order. */
export interface SweepResults {
  pos: Float32Array;
  info: Uint32Array;
  lr: Float32Array;
  seconds: number;
  adapter: string | null;
}

/** `etascape sweep`; with `merged`, the particles come from its tiles instead of a run. */
export async function sweepCommand(argv: string[], out: (s: string) => void, err: (s: string) => void, merged?: SweepResults): Promise<number> {
  if (argv.includes('--model')) return sweepModelCommand(argv, out, err);
  const c = openCommand(argv, { command: 'sweep', flags: SWEEP_FLAGS, help: sweepHelp, skipHyper: ['lr'], schedule: true }, out);
  if (!c) return 0;
  const { def, flags, surface } = c;
  const { lrMin, lrMax } = flags;
  for (const [flag, v] of [
    ['--lr-min', lrMin],
    ['--lr-max', lrMax],
  ] as const) {
    try {
      checkHyper(def, def.hyper[0], v);
    } catch (e) {
      if (e instanceof HyperParamError) throw new UsageError(`${flag}: ${e.message}`);
      throw e;
    }
  }
  if (lrMin > lrMax) throw new UsageError(`--lr-min ${lrMin} is above --lr-max ${lrMax}`);
  const opt = loadOptimizer(def, c.parsed, lrMin);
  const start = loadStart(flags.start, surface);
  const { n, steps, stepsPerDispatch: K, engine: kind } = flags;
  checkCount(n, '--n');
  const config = loadConfig(flags, surface);
  const outPath = flags.out;
  if (outPath !== undefined) checkOutputPath(outPath, '--out');
  const format = outPath === undefined ? 'csv' : extname(outPath).toLowerCase().slice(1);
  const summaryMode = flags.summary === true;
  if (flags.bins !== undefined && !summaryMode) throw new UsageError(`--bins needs --summary (it sets the number of lr bins of the summary)`);
  const binning = summaryMode ? summaryBinning(n, flags.bins ?? Math.min(n, SUMMARY_DEFAULT_BINS)) : null;
  const sharded = shardOf(flags);
  if (sharded) {
    if (outPath !== undefined) throw new UsageError('--shard writes only its --tile: give --out to etascape merge');
    if (summaryMode) throw new UsageError('--shard: --summary reduces the whole sweep at once; shard the rows and summarize the merged file');
    const problem = shardRandomnessProblem(config, surface);
    if (problem) throw new UsageError(problem);
    checkOutputPath(sharded.tile, '--tile');
  }
  const part = sharded ? shardPart(sharded.shard, n, 'particles') : undefined;
  const params = tileParams('sweep', argv);
  if (sharded && tileDone(sharded.tile, params, sharded.shard)) {
    out(`${sharded.tile}: shard ${sharded.shard.k}/${sharded.shard.n} is already done (skipped)`);
    return 0;
  }
  const layout = { kind: 'sweep' as const, start, lrMin, lrMax, n };
  const surfaceName = surface.id === 'custom' ? surface.spec.expression : surface.id;
  const headerOf = (seconds: number, adapter: string | null) =>
    `etascape sweep: ${n} particles, ${def.name} (${describeHyper(opt.def, opt.hyper, ['lr'])})${describeExtras(opt.compiled, config)} on ${surfaceName}, ` +
    `lr ${fmt(lrMin)}..${fmt(lrMax)} (log), start (${fmt(start[0])}, ${fmt(start[1])}), ${steps} steps, ` +
    `${kind} engine${adapter ? ` (${adapter})` : ''}, ${seconds.toFixed(2)} s`;

  /** What a JSON output says of the run before its rows. */
  const docHead = (adapter: string | null) => ({
    surface: surface.id,
    expression: surface.spec.expression,
    optimizer: def.name,
    hyper: Object.fromEntries(Object.entries(opt.hyper).filter(([k]) => k !== 'lr')),
    lr_min: lrMin,
    lr_max: lrMax,
    start,
    steps,
    engine: kind,
    adapter,
    config,
  });

  /** The rows (CSV or JSON, a file or stdout) and the summary of particles in sweep order. */
  const writeRows = async (rows: Rows, seconds: number, adapter: string | null): Promise<number> => {
    const summary = await summarize(n, rows);
    const text = `${headerOf(seconds, adapter)}\n${summaryText(summary, surface)}`;
    if (outPath === undefined) {
      await streamCsv(rows, out);
      err(text);
      return 0;
    }
    const file = new OutputFile(outPath);
    const sink = (chunk: string) => file.write(chunk + '\n');
    if (format === 'csv') await streamCsv(rows, sink);
    else {
      const doc = {
        ...docHead(adapter),
        summary,
        columns: SWEEP_COLUMNS,
      };
      await streamJson(doc, rows, sink);
    }
    commitOutputs(file);
    out(`${text}\nwrote ${n} rows to ${outPath}`);
    return 0;
  };
  if (merged) {
    const { pos, info, lr } = merged;
    if (lr.length !== n || pos.length !== POS_FLOATS * n || info.length !== INFO_WORDS * n)
      throw new Error(`the tiles hold ${lr.length} particles, the sweep ${n}`);
    const st = { n, hyperStride: 1, stateStride: 0, pos, hyper: lr, state: new Float32Array(0), info };
    return writeRows(stateRows(st, surface, READ_RANGE), merged.seconds, merged.adapter);
  }

  const count = part ? part[1] - part[0] : n;
  const handle = kind === 'gpu' ? await openGpuFor(opt.compiled, count) : undefined;
  let state: ParticleState | undefined;
  let binRows: BinRow[] = [];
  let adapter: string | null;
  let written: number | undefined;
  const t0 = performance.now();
  try {
    const particles = layoutParticles({ ...layout, part }, opt.compiled, opt.given);
    const open = await createEngine(kind, { surface, optimizer: opt.compiled, particles, config, stepsPerDispatch: K }, handle);
    adapter = open.adapter;
    try {
      const bar = startProgress('etascape sweep', steps, 'steps');
      if (kind === 'cpu' && !bar.active) open.engine.step(steps);
      else {
        for (let done = 0, d = 1; done < steps; done += K, d++) {
          open.engine.step(Math.min(K, steps - done));
          // Every few dispatches (each one on a terminal, so the bar shows work done, not
          // queued) wait for the GPU: queued dispatches hold memory.
          if (bar.active || d % MAX_IN_FLIGHT === 0) await open.done();
          bar.update(Math.min(steps, done + K));
        }
      }
      bar.stop();
      await open.done();
      if (binning) binRows = await summarizeBins(open.engine, surface, layout, binning);
      else if (sharded) state = await open.engine.read();
      // The rows are read back a range at a time while the engine is open.
      else written = await writeRows(engineRows(open.engine, surface, READ_RANGE), (performance.now() - t0) / 1000, adapter);
    } finally {
      open.close();
    }
  } finally {
    handle?.device.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (sharded) {
    const { shard, tile } = sharded;
    const st = state!;
    const lr = Float32Array.from({ length: st.n }, (_, i) => st.hyper[st.hyperStride * i]);
    writeTile(tile, { params, shard, part: part!, total: n, run: { seconds, adapter }, arrays: { pos: st.pos, info: st.info, lr } });
    err(`etascape sweep: shard ${shard.k}/${shard.n} (particles ${part![0]}..${part![1] - 1} of ${n}), ${kind} engine, ${seconds.toFixed(2)} s`);
    out(`wrote ${tile} (${st.n} particles)`);
    return 0;
  }
  const header = headerOf(seconds, adapter);

  if (binning) {
    const text = `${header}\n${binSummaryText(binRows, surface)}`;
    if (outPath === undefined) {
      out(binRowsCsv(binRows, surface).trimEnd());
      err(text);
      return 0;
    }
    if (format === 'csv') writeOutput(outPath, binRowsCsv(binRows, surface));
    else {
      const doc = {
        ...docHead(adapter),
        particles: n,
        bins: binRows.length,
        loss_buckets: SUMMARY_BUCKETS,
        columns: summaryColumns(surface),
        rows: binRowsJson(binRows),
      };
      writeOutput(outPath, JSON.stringify(doc) + '\n');
    }
    out(`${text}\nwrote ${binRows.length} bin rows to ${outPath}`);
    return 0;
  }

  return written!;
}
