// `etascape map`: a hyperparameter map (any two hyperparameters, or the start x0/y0, as
// axes), run on the GPU or the CPU reference, written as a PNG figure (axes and legend,
// drawn by display/map-figure.ts on @napi-rs/canvas) and optionally as CSV.

import { existsSync } from 'node:fs';
import { mapFractions, MAP_COLORINGS, type MapFractions } from '../core/analysis/map';
import { axisValue, layoutSize, type Axis } from '../core/layouts';
import { checkHyper, getOptimizer, HyperParamError, resolveHyper, withPerCoordinateLr, type OptimizerDef } from '../core/optimizers';
import { INFO_WORDS, POS_FLOATS, STATUS_NAMES, eventStep, particleMinimum, particleStatus, particleSteps, type ParticleState } from '../core/particles';
import { ScheduleError } from '../core/schedules';
import type { Surface } from '../core/surfaces';
import { runBackend } from '../gpu/device';
import { MapRunner, type MapImage, type MapRunSpec, type ProductLayout } from '../gpu/map-runner';
import { basinLegend, drawMapFigure, mapFigureGeometry, outcomeLegend, type Context2D, type ScratchCanvas } from '../display/map-figure';
import { defineFlags, formatFlags, parseFloat32, UsageError } from './args';
import { csvField, csvNumber, describeExtras, fmt, minimumName, openGpuFor } from './common';
import { checkOutputPath, commitOutputs, LineChunks, OutputFile } from './output';
import { CONFIG_FLAGS, engineFlag, givenHyper, loadConfig, loadSchedule, loadStart, openCommand, SURFACE_FLAGS } from './flags';
import { optimizerHelp, presetHelp } from './help';
import { startProgress } from './progress';
import { mapModelCommand } from './model';
import { axisCsv, f32WindowWarning, PRECISION_FLAGS } from './model-df64';
import { surfaceDF64Refusal } from '../core/engine/surface-df64';
import { ENGINE_STEPS_BOUND, MAX_MAP_RES as MAX_RES, STEPS_PER_DISPATCH_BOUND } from './limits';
import { shardOf, shardPart, SHARD_FLAGS, shardRandomnessProblem, tileDone, tileParams, writeTile } from './shard';

const MAP_DEFAULTS = { res: 256, steps: 1000, size: [900, 600] as [number, number], stepsPerDispatch: 100 };
const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** The figures' font: DejaVu Sans registered with @napi-rs/canvas where the system has it, else the default sans-serif. */
export async function figureFont(): Promise<string> {
  const { GlobalFonts } = await import('@napi-rs/canvas');
  return existsSync(FONT_FILE) && GlobalFonts.registerFromPath(FONT_FILE, 'DejaVu Sans') ? "'DejaVu Sans', sans-serif" : 'sans-serif';
}

const AXES_NEEDED = 'map needs --x and --y (PARAM:MIN:MAX[:log|lin], e.g. --x lr:1e-3:10:log --y momentum:0:0.99)';

const MAP_FLAGS = defineFlags({
  ...SURFACE_FLAGS,
  x: {
    name: 'x',
    kind: 'string',
    meta: 'PARAM:MIN:MAX[:log|lin]',
    help: 'the horizontal axis: a hyperparameter, or x0 / y0 (the start); e.g. lr:1e-3:10:log (required)',
    required: AXES_NEEDED,
  },
  y: { name: 'y', kind: 'string', meta: 'PARAM:MIN:MAX[:log|lin]', help: 'the vertical axis, e.g. momentum:0:0.99 (required)', required: AXES_NEEDED },
  res: { name: 'res', kind: 'string', meta: 'N|NX,NY', help: `runs per axis, 1..${MAX_RES}`, defaultText: String(MAP_DEFAULTS.res) },
  steps: {
    name: 'steps',
    kind: 'int',
    min: 0,
    ...ENGINE_STEPS_BOUND,
    meta: 'S',
    help: 'optimizer steps',
    default: MAP_DEFAULTS.steps,
  },
  color: {
    name: 'color',
    kind: 'choice',
    choices: MAP_COLORINGS,
    meta: 'outcome|basin',
    help: 'outcome: steps to converge / to diverge, loss fall of the running; basin: which minimum',
    default: 'outcome',
  },
  out: { name: 'out', kind: 'string', meta: 'FILE.png', ext: ['.png'], help: 'the figure (required, except with --shard)' },
  csv: {
    name: 'csv',
    kind: 'string',
    meta: 'FILE.csv',
    ext: ['.csv'],
    help: 'also one row per run: ix, iy, the two axis values, status, steps, event_step, minimum, loss',
  },
  size: { name: 'size', kind: 'numbers', arity: 2, meta: 'W,H', help: 'figure size in pixels', default: MAP_DEFAULTS.size },
  ...engineFlag('gpu', 'the WebGPU engine or the CPU reference'),
  stepsPerDispatch: {
    name: 'steps-per-dispatch',
    kind: 'int',
    min: 1,
    ...STEPS_PER_DISPATCH_BOUND,
    meta: 'K',
    help: 'GPU: steps fused into one dispatch',
    default: MAP_DEFAULTS.stepsPerDispatch,
  },
  ...CONFIG_FLAGS,
  ...PRECISION_FLAGS,
  ...SHARD_FLAGS,
});

const OUT_NEEDED = 'map needs --out FILE.png (the figure)';

export function mapHelp(def: OptimizerDef | null): string {
  return `Usage: etascape map --surface NAME|EXPR [--optimizer NAME] --x PARAM:MIN:MAX[:log|lin]
                    --y PARAM:MIN:MAX[:log|lin] --out FILE.png [--res N|NX,NY] [--steps S]
                    [--color outcome|basin] [--csv FILE.csv] [--start X,Y] [--engine gpu|cpu]
                    [--precision f32|df64] [hyperparameter, schedule and gradient flags]

Runs one particle per pixel: NX values of the x axis by NY values of the y axis (each
a hyperparameter of the optimizer, or x0 / y0: the start coordinates), every other
setting shared, for S steps, and draws the outcome as an image with axes and legend.
  --color outcome: converged runs in blues by steps to converge (dark: fast), diverged
    or non-finite runs in reds by steps to diverge (dark: fast), runs still going in
    greys by how far the loss gap L - L* fell (L* the lowest known minimum's loss).
  --color basin: a colour per known minimum, and for converged elsewhere, diverged,
    still running.
A one-line summary (fractions per status and minimum) goes to stderr; on a terminal a
progress bar too.

--precision df64 runs each pixel with its position, hyperparameters (the axes' values
unrounded) and optimizer state as double-floats (about 48 bits), on either engine, for
windows narrower than float32 resolves (a warning says when a float32 map's window is);
the CSV then prints the axis values with 17 digits. Every op of the expression language
has a df64 routine (sin, log, pow, ... to about 2^-48), so any expression and optimizer
runs; it refuses, in one line, Hessian-reading schedules, dataset surfaces, --noise,
--sam_rho and clipping.

With --shard K/N --tile FILE.tile, computes only rows floor(K NY/N) .. floor((K+1) NY/N) - 1
and writes them as a tile (no --out, --csv); a valid tile already there is skipped.
'etascape merge TILE... --out FILE.png --csv FILE.csv' then writes what the unsharded
command writes (etascape help merge).

Flags:
${formatFlags(MAP_FLAGS)}

${optimizerHelp(def)}

${presetHelp()}

Examples:
  etascape map --surface quadratic --optimizer sgd --x lr:1e-3:1:log --y momentum:0:0.99 \\
               --res 256 --steps 1000 --out map.png --csv map.csv
  etascape map --surface double-well --lr 0.02 --x x0:-3:3 --y y0:-2.5:2.5 --color basin --out basins.png
  etascape map --surface quadratic --x lr:1e-3:1:log --y momentum:0:0.99 --res 4096 --shard auto/64 --tile tiles/shard-$SLURM_ARRAY_TASK_ID.tile`;
}

// ---------------------------------------------------------------- parsing

/** `param:min:max[:log|lin]` for --x / --y. */
export function parseAxisSpec(text: string, flag: string): Omit<Axis, 'n'> {
  const parts = text.split(':').map((s) => s.trim());
  if (parts.length < 3 || parts.length > 4 || !parts[0]) {
    throw new UsageError(`${flag}: expected PARAM:MIN:MAX[:log|lin] (e.g. lr:1e-3:10:log), got '${text}'`);
  }
  const [param, lo, hi, sc] = parts;
  const min = parseFloat32(lo, `${flag} minimum`);
  const max = parseFloat32(hi, `${flag} maximum`);
  const scale = sc === undefined || sc === 'lin' || sc === 'linear' ? 'linear' : sc === 'log' ? 'log' : null;
  if (!scale) throw new UsageError(`${flag}: the scale must be log or lin, got '${sc}'`);
  if (!(min < max)) throw new UsageError(`${flag}: the minimum ${lo} must be below the maximum ${hi}`);
  if (scale === 'log' && !(min > 0)) throw new UsageError(`${flag}: a log axis needs a minimum > 0, got ${lo}`);
  return { param, min, max, scale };
}

/** `N` or `NX,NY`, each 1..4096. */
function parseRes(text: string | undefined): [number, number] {
  if (text === undefined) return [MAP_DEFAULTS.res, MAP_DEFAULTS.res];
  const parts = text.split(',').map((s) => s.trim());
  const vs = parts.map(Number);
  if ((parts.length !== 1 && parts.length !== 2) || parts.some((p) => p === '') || vs.some((v) => !Number.isInteger(v) || v < 1 || v > MAX_RES)) {
    throw new UsageError(`--res: expected N or NX,NY with whole numbers 1..${MAX_RES}, got '${text}'`);
  }
  return parts.length === 1 ? [vs[0], vs[0]] : [vs[0], vs[1]];
}

/** Checks an axis against the optimizer: a real, non-boolean parameter, values in its range. */
function checkAxis(def: OptimizerDef, a: Omit<Axis, 'n'>, flag: string): void {
  if (a.param === 'x0' || a.param === 'y0') return;
  const h = def.hyper.find((p) => p.name === a.param);
  if (!h)
    throw new UsageError(
      `${flag}: ${def.name} has no parameter '${a.param}' (axes: ${[...def.hyper.filter((p) => !p.bool).map((p) => p.name), 'x0', 'y0'].join(', ')})`,
    );
  if (h.bool) throw new UsageError(`${flag}: ${a.param} is a flag (true or false), not an axis`);
  try {
    checkHyper(def, h, a.min);
    checkHyper(def, h, a.max);
  } catch (e) {
    if (e instanceof HyperParamError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------- output

const pct = (v: number) => `${fmt(100 * v, 3)}%`;

function fractionsText(f: MapFractions, surface: Surface): string {
  const minima = surface.minima.map((m, j) => `${m.name} ${pct(f.minima[j])}`);
  if (f.elsewhere > 0) minima.push(`elsewhere ${pct(f.elsewhere)}`);
  return `converged ${pct(f.converged)}${minima.length ? ` (${minima.join(', ')})` : ''}, diverged ${pct(f.diverged)}, non-finite ${pct(f.nonfinite)}, running ${pct(f.running)}`;
}

/** One row per run, streamed in chunks to `sink`. */
async function streamCsv(p: ParticleState, layout: ProductLayout, surface: Surface, df64: boolean, sink: (chunk: string) => void): Promise<void> {
  // df64: the unrounded axis values, with digits enough to tell neighbouring pixels apart.
  const value = (v: number) => (df64 ? axisCsv(v, true) : csvNumber(Math.fround(v)));
  const { x, y } = layout;
  const chunks = new LineChunks(sink);
  chunks.add(['ix', 'iy', x.param, y.param, 'status', 'steps', 'event_step', 'minimum', 'loss'].join(','));
  for (let iy = 0; iy < y.n; iy++) {
    const yv = value(axisValue(y.min, y.max, y.n, iy, y.scale));
    for (let ix = 0; ix < x.n; ix++) {
      const i = iy * x.n + ix;
      const row = [
        ix,
        iy,
        value(axisValue(x.min, x.max, x.n, ix, x.scale)),
        yv,
        STATUS_NAMES[particleStatus(p.info, i)],
        particleSteps(p.info, i),
        eventStep(p.info, i),
        csvField(minimumName(surface, particleMinimum(p.info, i)) ?? ''),
        csvNumber(p.pos[4 * i + 2]),
      ].join(',');
      if (chunks.add(row)) await chunks.flush();
    }
  }
  await chunks.flush();
}

// ---------------------------------------------------------------- command

/** A whole map computed by shards (etascape merge): its pixels and particles, in row order. */
export interface MapResults {
  rgba: Uint32Array;
  pos: Float32Array;
  info: Uint32Array;
  seconds: number;
}

/** `etascape map`; with `merged`, the map's results come from its tiles instead of a run. */
export async function mapCommand(argv: string[], out: (s: string) => void, err: (s: string) => void, merged?: MapResults): Promise<number> {
  if (argv.includes('--model')) return mapModelCommand(argv, out, err);
  const c = openCommand(argv, { command: 'map', flags: MAP_FLAGS, help: mapHelp, schedule: true }, out);
  if (!c) return 0;
  const { def, flags, surface } = c;
  const xs = parseAxisSpec(flags.x, '--x');
  const ys = parseAxisSpec(flags.y, '--y');
  if (xs.param === ys.param) throw new UsageError(`--y: ${ys.param} is already the x axis`);
  const [nx, ny] = parseRes(flags.res);
  const { steps, color: coloring, out: outPath, csv: csvPath, size, engine: kind, stepsPerDispatch: K } = flags;
  if (size.some((v) => !Number.isInteger(v) || v < 200 || v > 8192))
    throw new UsageError(`--size: width and height must be whole numbers 200..8192, got ${size.join(',')}`);
  const config = loadConfig(flags, surface);
  const sharded = shardOf(flags);
  if (sharded) {
    if (outPath !== undefined || csvPath !== undefined) throw new UsageError('--shard writes only its --tile: give --out and --csv to etascape merge');
    const problem = shardRandomnessProblem(config, surface);
    if (problem) throw new UsageError(problem);
    checkOutputPath(sharded.tile, '--tile');
  } else {
    if (outPath === undefined) throw new UsageError(OUT_NEEDED);
    checkOutputPath(outPath, '--out');
    if (csvPath !== undefined) checkOutputPath(csvPath, '--csv');
  }
  const part = sharded ? shardPart(sharded.shard, ny, 'rows') : undefined;
  const params = tileParams('map', argv);
  if (sharded && tileDone(sharded.tile, params, sharded.shard)) {
    out(`${sharded.tile}: shard ${sharded.shard.k}/${sharded.shard.n} is already done (skipped)`);
    return 0;
  }

  // The optimizer: an lr_y axis or flag makes two parameter groups.
  const perCoordinateLr = flags.lrY !== undefined || xs.param === 'lr_y' || ys.param === 'lr_y';
  const eff = perCoordinateLr ? withPerCoordinateLr(def) : def;
  checkAxis(eff, xs, '--x');
  checkAxis(eff, ys, '--y');
  const given = givenHyper(eff, c.parsed);
  for (const [a, flag] of [
    [xs, '--x'],
    [ys, '--y'],
  ] as const) {
    if (given[a.param] !== undefined) throw new UsageError(`--${a.param}: ${a.param} is the map's ${flag.slice(2)} axis; leave the flag out`);
  }
  if ((xs.param === 'x0' || ys.param === 'x0') && (xs.param === 'y0' || ys.param === 'y0') && flags.start !== undefined) {
    throw new UsageError('--start: both start coordinates are axes of the map; leave --start out');
  }
  const schedule = loadSchedule(c.parsed, def);
  const hyper = resolveHyper(eff, given);
  let optimizer;
  try {
    optimizer = getOptimizer(def.name, { schedule, perCoordinateLr });
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
  const start = loadStart(flags.start, surface);
  const layout: ProductLayout = { kind: 'product', start, x: { ...xs, n: nx }, y: { ...ys, n: ny } };
  const df64 = flags.precision === 'df64';
  if (df64) {
    const refusal = surfaceDF64Refusal(surface, optimizer, config, layout, given);
    if (refusal) throw new UsageError(`--precision df64: ${refusal}`);
  } else if (!merged) {
    const warning = f32WindowWarning(layout.x, layout.y, true);
    if (warning) err(warning);
  }

  let image: MapImage;
  let seconds: number;
  if (merged) {
    if (merged.rgba.length !== nx * ny || merged.pos.length !== POS_FLOATS * nx * ny || merged.info.length !== INFO_WORDS * nx * ny)
      throw new Error(`the tiles hold ${merged.rgba.length} runs, the map ${nx * ny}`);
    const empty = new Float32Array(0);
    const particles = { n: nx * ny, hyperStride: 0, stateStride: 0, pos: merged.pos, hyper: empty, state: empty, info: merged.info };
    image = { layout, nx, ny, rgba: merged.rgba, level: 0, final: true, particles };
    seconds = merged.seconds;
  } else {
    const t0 = performance.now();
    image = await runMap(
      { surface, optimizer, base: given, config, layout: { ...layout, part }, steps, coloring, coarse: 0, precision: flags.precision },
      kind,
      K,
    );
    seconds = (performance.now() - t0) / 1000;
  }
  const particles = image.particles!;
  if (sharded) {
    const { shard, tile } = sharded;
    writeTile(tile, { params, shard, part: part!, total: ny, run: { seconds }, arrays: { rgba: image.rgba, pos: particles.pos, info: particles.info } });
    err(`etascape map: shard ${shard.k}/${shard.n} (rows ${part![0]}..${part![1] - 1} of ${ny}), ${kind} engine, ${seconds.toFixed(2)} s`);
    out(`wrote ${tile} (${particles.n} runs)`);
    return 0;
  }
  const fr = mapFractions(particles.info, particles.n, surface.minima.length);

  const surfaceName = surface.id === 'custom' ? surface.spec.expression : surface.id;
  const shared = eff.hyper.filter((h) => h.name !== xs.param && h.name !== ys.param && (given[h.name] !== undefined || h.name === 'lr'));
  const sharedText = shared.map((h) => `${h.name}=${h.bool ? String(Boolean(hyper[h.name])) : fmt(hyper[h.name])}`).join(' ');
  const title = `${def.name}${sharedText ? ` (${sharedText})` : ''} on ${surfaceName}, ${steps} steps${df64 ? ', df64' : ''}`;
  const notes = [
    `${nx} x ${ny} runs, ${kind} engine${df64 ? ', df64' : ''}`,
    `converged ${pct(fr.converged)}`,
    ...surface.minima.slice(0, 4).map((m, j) => `  in ${m.name} ${pct(fr.minima[j])}`),
    `diverged ${pct(fr.diverged + fr.nonfinite)}`,
    `running ${pct(fr.running)}`,
  ];

  const { createCanvas } = await import('@napi-rs/canvas');
  const font = await figureFont();
  const canvas = createCanvas(size[0], size[1]);
  const geometry = mapFigureGeometry(size[0], size[1], layout.x, layout.y);
  drawMapFigure(canvas.getContext('2d') as unknown as Context2D, geometry, {
    image,
    title,
    font,
    notes,
    legend: coloring === 'basin' ? basinLegend(surface.minima) : outcomeLegend(steps),
    makeCanvas: (w, h) => createCanvas(w, h) as unknown as ScratchCanvas,
  });
  // Both files, or neither: a failing CSV leaves no PNG behind.
  const png = new OutputFile(outPath!);
  png.write(canvas.toBuffer('image/png'));
  if (csvPath === undefined) commitOutputs(png);
  else {
    const csv = new OutputFile(csvPath);
    await streamCsv(particles, layout, surface, df64, (chunk) => csv.write(chunk + '\n'));
    commitOutputs(png, csv);
  }

  err(
    `etascape map: ${nx}x${ny} ${xs.param} x ${ys.param}, ${title}${describeExtras(optimizer, config)}, ${kind} engine, ${seconds.toFixed(2)} s: ${fractionsText(fr, surface)}`,
  );
  out(`wrote ${outPath} (${size[0]}x${size[1]})${csvPath ? `, ${csvPath} (${particles.n} rows)` : ''}`);
  return 0;
}

/** Runs a map (or a shard's part of one) on an engine to its final image, particles kept. */
async function runMap(spec: MapRunSpec, kind: 'gpu' | 'cpu', K: number): Promise<MapImage> {
  const n = layoutSize(spec.layout);
  const handle = kind === 'gpu' ? await openGpuFor(spec.optimizer, n) : undefined;
  const runner = new MapRunner(spec, runBackend(handle), { keepParticles: true, maxStepsPerDispatch: K });
  const bar = startProgress('etascape map', spec.steps, 'steps');
  try {
    // GPU: one dispatch a tick; CPU: about a quarter second of work a tick.
    return await runner.run(kind === 'gpu' ? n * K : 2e5, (p) => bar.update(Math.floor(p.done / n)));
  } finally {
    bar.stop();
    runner.destroy();
    await runner.idle().catch(() => {});
    handle?.device.destroy();
  }
}
