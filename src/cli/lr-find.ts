// `etascape lr-find`: fastai's learning-rate finder on a surface. P particles run the LR
// range test (lr growing exponentially from --lr-min to --lr-max over --steps steps);
// their mean loss per step is smoothed and read as fastai's lr_find does.

import { extname } from 'node:path';
import { runLrRangeTest, openCpuRun, type LrRangeTestResult } from '../core/analysis/lr-range-test';
import { MAX_HISTORY_PARTICLES } from '../core/analysis/history';
import type { Suggestion } from '../core/analysis/lr-finder';
import { getOptimizer, resolveHyper, type OptimizerDef } from '../core/optimizers';
import type { DeviceHandle } from '../gpu/device';
import { openGpuRun } from '../gpu/lr-finder';
import { defineFlags, formatFlags, omitFlags, UsageError } from './args';
import { csvNumber, describeExtras, describeHyper, f32, fmt, openGpu } from './common';
import { checkOutputPath, writeOutput } from './output';
import { CONFIG_FLAGS, engineFlag, givenHyper, loadConfig, openCommand, SURFACE_FLAGS } from './flags';
import { optimizerHelp, presetHelp } from './help';

const LR_FIND_DEFAULTS = { lrMin: 1e-6, lrMax: 10, steps: 100, starts: 64 };
/** fastai's valley search is quadratic in the number of steps. */
const MAX_STEPS = 10_000;

const LR_FIND_FLAGS = defineFlags({
  ...SURFACE_FLAGS,
  start: { ...SURFACE_FLAGS.start, help: 'run every particle from this start (default: one particle)', defaultText: 'random starts' },
  lrMin: {
    name: 'lr-min',
    kind: 'number',
    min: 0,
    openMin: true,
    meta: 'ETA',
    help: 'lr of the first step (fastai start_lr)',
    default: LR_FIND_DEFAULTS.lrMin,
  },
  lrMax: {
    name: 'lr-max',
    kind: 'number',
    min: 0,
    openMin: true,
    meta: 'ETA',
    help: 'lr the sweep reaches after --steps steps (fastai end_lr)',
    default: LR_FIND_DEFAULTS.lrMax,
  },
  steps: { name: 'steps', kind: 'int', min: 2, meta: 'N', help: `steps of the test (fastai num_it), at most ${MAX_STEPS}`, default: LR_FIND_DEFAULTS.steps },
  starts: {
    name: 'starts',
    kind: 'int',
    min: 1,
    meta: 'P',
    help: `particles, from P seeded random starts in the surface's domain (or all from --start), at most ${MAX_HISTORY_PARTICLES}`,
    defaultText: `${LR_FIND_DEFAULTS.starts}, 1 with --start`,
  },
  ...engineFlag('gpu', 'the WebGPU engine or the CPU reference'),
  json: { name: 'json', kind: 'bool', help: 'print the result (suggestions and the curve) as JSON' },
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.csv|FILE.json',
    ext: ['.csv', '.json'],
    help: 'write the curve (step, lr, loss, smoothed) there, or the whole result as JSON',
  },
  ...omitFlags(CONFIG_FLAGS, 'lrY'),
});

export function lrFindHelp(def: OptimizerDef | null): string {
  return `Usage: etascape lr-find --surface NAME|EXPR [--optimizer NAME] [--lr-min A] [--lr-max B]
                        [--steps N] [--starts P | --start X,Y] [--seed S] [--engine gpu|cpu]
                        [--json] [--out FILE.csv|FILE.json] [hyperparameter flags]

fastai's learning-rate finder (Learner.lr_find) on a surface. P particles run the LR
range test: step t at lr = A (B/A)^(t/N) (the LRRangeTest schedule). The curve is
their mean loss per step (the loss where that step's gradient is taken), smoothed as
fastai does (exponential moving average, beta 0.98, debiased); the run stops when the
smoothed loss exceeds 4x its best (fastai's stop_div) or when a particle diverges.
Suggestions, on steps N//10 .. len-5 of the curve as in fastai:
  valley   half-way down the longest valley of the curve (fastai's default)
  steep    where the loss falls fastest against log lr
  minimum  a tenth of the lr at the lowest loss
On a quadratic GD blows up past 2/lambda_max: the summary lists 2/lambda_max of the
known minima to compare with.

Flags:
${formatFlags(LR_FIND_FLAGS)}

${optimizerHelp(def, ['lr'])}

${presetHelp()}

Example:
  etascape lr-find --surface rosenbrock --optimizer sgd --momentum 0.9 --lr-min 1e-6 --lr-max 1 --steps 200
  etascape lr-find --surface quadratic --surface-param lambda2=10 --optimizer gd --start 1,1 --out lr-find.csv`;
}

function suggestionJson(s: Suggestion | null, name: string) {
  if (!s) return null;
  // valley and steep are lrs the engines ran (float32); minimum's is a tenth of one.
  return name === 'minimum' ? { lr: s.lr, lr_at_minimum: f32(s.lr * 10), step: s.index, loss: s.loss } : { lr: f32(s.lr), step: s.index, loss: s.loss };
}

function resultJson(r: LrRangeTestResult) {
  return {
    stop: { reason: r.stop, step: r.stopIndex, lr: r.stopIndex === null ? null : f32(r.lrs[r.stopIndex]) },
    suggestions: Object.fromEntries((['valley', 'steep', 'minimum'] as const).map((k) => [k, suggestionJson(r.suggestions[k], k)])),
    window: r.window,
    curve: { step: r.lrs.map((_, i) => i), lr: r.lrs.map(f32), loss: r.raw, smoothed: r.smoothed },
  };
}

function toCsv(r: LrRangeTestResult): string {
  const lines = ['step,lr,loss,smoothed'];
  r.lrs.forEach((lr, i) => lines.push([i, csvNumber(lr), String(r.raw[i]), String(r.smoothed[i])].join(',')));
  return lines.join('\n') + '\n';
}

function summaryText(r: LrRangeTestResult): string {
  const stop =
    r.stop === 'end'
      ? `ran all ${r.lrs.length} steps (the loss never passed 4x its best)`
      : r.stop === 'diverged'
        ? `stopped at step ${r.stopIndex}, lr ${fmt(r.lrs[r.stopIndex!])}: the smoothed loss passed 4x its best (stop_div)`
        : `stopped after step ${r.stopIndex ?? '-'}: a particle diverged at the next`;
  const rows = (['valley', 'steep', 'minimum'] as const).map((k) => {
    const s = r.suggestions[k];
    if (!s) return `  ${k.padEnd(8)} -`;
    const extra = k === 'minimum' ? `a tenth of lr ${fmt(s.lr * 10)}, ` : '';
    return `  ${k.padEnd(8)} ${fmt(s.lr).padEnd(12)} (${extra}smoothed loss ${fmt(s.loss)} at step ${s.index})`;
  });
  const none = r.suggestions.valley ? '' : `\n  (too few steps before the stop: fastai reads steps ${r.window[0]} .. len-5)`;
  return `${stop}\nsuggestions (fastai lr_find):\n${rows.join('\n')}${none}`;
}

export async function lrFindCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const c = openCommand(
    argv,
    {
      command: 'lr-find',
      flags: LR_FIND_FLAGS,
      help: lrFindHelp,
      skipHyper: ['lr'],
      schedule: false,
      unknown: (key) =>
        key === 'lr'
          ? 'lr-find sweeps the lr itself: give --lr-min and --lr-max'
          : key === 'schedule'
            ? 'lr-find runs its own schedule (LRRangeTest from --lr-min to --lr-max)'
            : null,
    },
    out,
  );
  if (!c) return 0;
  const { def, flags, surface } = c;
  const { lrMin, lrMax, steps, start, engine: kind, out: outPath } = flags;
  if (lrMin >= lrMax) throw new UsageError(`--lr-min ${lrMin} must be below --lr-max ${lrMax}`);
  if (steps > MAX_STEPS) throw new UsageError(`--steps must be at most ${MAX_STEPS} (fastai's valley search is quadratic in it), got ${steps}`);
  const particles = flags.starts ?? (start ? 1 : LR_FIND_DEFAULTS.starts);
  if (particles > MAX_HISTORY_PARTICLES)
    throw new UsageError(`--starts must be at most ${MAX_HISTORY_PARTICLES} (the particles the history follows), got ${particles}`);
  const given = givenHyper(def, c.parsed);
  const hyper = resolveHyper(def, { ...given, lr: lrMin });
  const config = loadConfig(flags, surface);
  // A range test trains on: convergence stops a particle only when --gtol is given.
  if (flags.gtol === undefined) config.gtol = 0;
  const format = outPath === undefined ? null : extname(outPath).toLowerCase().slice(1);
  if (outPath !== undefined) checkOutputPath(outPath, '--out');

  const spec = {
    surface,
    optimizer: def.name,
    hyper: given,
    lrMin,
    lrMax,
    steps,
    particles,
    start: start ? ([start[0], start[1]] as [number, number]) : undefined,
    seed: config.seed,
    config,
  };
  const t0 = performance.now();
  let handle: DeviceHandle | undefined;
  let r: LrRangeTestResult;
  try {
    if (kind === 'gpu') handle = await openGpu();
    r = await runLrRangeTest(spec, handle ? openGpuRun(handle) : openCpuRun);
  } finally {
    handle?.device.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;

  const surfaceName = surface.id === 'custom' ? surface.spec.expression : surface.id;
  const from = start ? `from (${fmt(start[0])}, ${fmt(start[1])})` : `from random starts (seed ${config.seed})`;
  const header =
    `etascape lr-find: ${particles} particle${particles > 1 ? 's' : ''} ${from}, ${def.name} (${describeHyper(def, hyper, ['lr'])})` +
    `${describeExtras(getOptimizer(def.name), config)} on ${surfaceName}, ` +
    `lr ${fmt(lrMin)} .. ${fmt(lrMax)} over ${steps} steps (x${fmt((lrMax / lrMin) ** (1 / steps), 4)} per step), ` +
    `${kind} engine${handle ? ` (${handle.adapterName})` : ''}, ${seconds.toFixed(2)} s`;
  const limits = surface.minima.filter((m) => Number.isFinite(m.lrLimit) && m.lrLimit > 0).map((m) => `${m.name} ${fmt(m.lrLimit)}`);
  const text = [header, summaryText(r), ...(limits.length ? [`2/lambda_max at the known minima: ${limits.join(', ')}`] : [])].join('\n');
  const doc = {
    surface: surface.id,
    expression: surface.spec.expression,
    optimizer: def.name,
    hyper: Object.fromEntries(Object.entries(hyper).filter(([k]) => k !== 'lr')),
    lr_min: lrMin,
    lr_max: lrMax,
    steps,
    particles,
    start: start ?? null,
    seed: config.seed,
    engine: kind,
    schedule: r.schedule,
    ...resultJson(r),
  };
  if (outPath !== undefined) writeOutput(outPath, format === 'csv' ? toCsv(r) : JSON.stringify(doc) + '\n');
  if (flags.json) out(JSON.stringify(doc));
  else out(`${text}${outPath !== undefined ? `\nwrote ${format === 'csv' ? `${r.lrs.length} rows` : 'the result'} to ${outPath}` : ''}`);
  return 0;
}
