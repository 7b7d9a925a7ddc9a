// `etascape run`: one particle, its whole trajectory.

import { classify } from '../core/engine/cpu';
import { minimaTable } from '../core/engine/engine';
import { buildParticles } from '../core/layouts';
import { NO_MINIMUM, particleAt, type ParticleState, type ParticleView } from '../core/particles';
import type { OptimizerDef } from '../core/optimizers';
import { defineFlags, formatFlags } from './args';
import { createEngine, describeExtras, describeHyper, f32, fmt, minimaLines, minimumName, padTable } from './common';
import { CONFIG_FLAGS, engineFlag, loadConfig, loadOptimizer, loadStart, openCommand, SURFACE_FLAGS } from './flags';
import { optimizerHelp, presetHelp } from './help';
import { LineChunks } from './output';
import { startProgress } from './progress';
import { runModelCommand } from './model';
import { MAX_RUN_STEPS } from './limits';

const RUN_DEFAULT_STEPS = 100;

const RUN_FLAGS = defineFlags({
  ...SURFACE_FLAGS,
  steps: {
    name: 'steps',
    kind: 'int',
    min: 0,
    max: MAX_RUN_STEPS,
    maxWhy: 'a trajectory row per step',
    meta: 'N',
    help: 'optimizer steps',
    default: RUN_DEFAULT_STEPS,
  },
  ...engineFlag('cpu', 'the CPU reference or the WebGPU engine'),
  json: {
    name: 'json',
    kind: 'bool',
    help: 'print {"trajectory": [[x, y, loss, lr], ...], "status", "steps", "minimum"} (lr: of the step that led to the row)',
  },
  ...CONFIG_FLAGS,
});

export function runHelp(def: OptimizerDef | null): string {
  return `Usage: etascape run --surface NAME|EXPR [--optimizer NAME] [--lr ETA] [--start X,Y] [--steps N]
                    [--engine cpu|gpu] [--json] [hyperparameter flags]

Runs one particle and prints its trajectory: with --json, N+1 rows [x, y, loss, lr]
(row 0 the start, row t the state after t steps; fewer rows if the particle converged
or diverged first, with "status" and "steps" saying where it stopped). Without --json,
a summary: the final point, status, the known minimum it ended in, the surface's
known minima with 2/lambda_max, and some trajectory rows.

Flags:
${formatFlags(RUN_FLAGS)}

${optimizerHelp(def)}

${presetHelp()}

Example:
  etascape run --surface "0.5*(x^2 + 10*y^2)" --optimizer gd --lr 0.1 --start 1,1 --steps 20 --json
  etascape run --surface rosenbrock --optimizer adam --lr 0.01 --betas 0.9,0.99 --steps 2000`;
}

/** A trajectory row: x, y, loss, lr. */
type Row = [number, number, number, number];

export async function runCommand(argv: string[], out: (s: string) => void): Promise<number> {
  if (argv.includes('--model')) return runModelCommand(argv, out);
  const c = openCommand(argv, { command: 'run', flags: RUN_FLAGS, help: runHelp, schedule: true }, out);
  if (!c) return 0;
  const { def, flags, surface } = c;
  const opt = loadOptimizer(def, c.parsed);
  const start = loadStart(flags.start, surface);
  const steps = flags.steps;
  const kind = flags.engine;
  const config = loadConfig(flags, surface);
  const lr = opt.hyper.lr;
  const particles = buildParticles({ kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, opt.compiled, opt.given);
  // With a schedule, the lr column is the lr the step used (the schedule keeps it as state).
  const usedSlot = opt.compiled.state.indexOf('sch_lr_used');
  const lrOf = (p: ParticleState, v: ParticleView) => (usedSlot >= 0 ? p.state[2 * usedSlot] : v.lr);

  // The trajectory is never held whole: with --json its rows stream out as they come,
  // else the first and last rows the summary shows are kept.
  const head = 5;
  const first: Row[] = [];
  const tail: Row[] = [];
  let count = 0;
  const json = flags.json ? new LineChunks(out) : null;
  const add = async (row: Row) => {
    if (json) {
      if (json.add(`${count ? ',' : '{"trajectory":['}${JSON.stringify(row)}`)) await json.flush();
    } else if (first.length < head) first.push(row);
    else {
      tail.push(row);
      if (tail.length > head + 1) tail.shift(); // head + 1: 2 head + 1 rows are shown whole
    }
    count++;
  };

  const open = await createEngine(kind, { surface, optimizer: opt.compiled, particles, config });
  let last: ParticleView;
  try {
    const { engine } = open;
    if (kind === 'cpu') engine.step(0); // the loss at the start (the GPU engine does this on creation)
    last = particleAt(await engine.read(), 0);
    await add([f32(last.x), f32(last.y), f32(last.loss), f32(last.lr)]);
    const bar = startProgress('etascape run', steps, 'steps');
    for (let t = 1; t <= steps && last.status === 'running'; t++) {
      engine.step(1);
      const state = await engine.read();
      const p = particleAt(state, 0);
      // A stop is detected before the update: the particle did not move.
      if (p.steps > last.steps) await add([f32(p.x), f32(p.y), f32(p.loss), f32(lrOf(state, p))]);
      last = p;
      bar.update(t);
    }
    bar.stop();
  } finally {
    open.close();
  }
  const result = { status: last.status, steps: last.steps, minimum: minimumName(surface, last.minimum) };

  if (json) {
    json.add(`],${JSON.stringify(result).slice(1)}`);
    await json.flush();
    return 0;
  }
  const rows = [...first, ...tail];

  const lines: string[] = [];
  const surfaceName = surface.id === 'custom' ? surface.spec.expression : `${surface.id}: ${surface.spec.expression}`;
  lines.push(
    `etascape run: ${def.name} (${describeHyper(opt.def, opt.hyper)})${describeExtras(opt.compiled, config)} on ${surfaceName}, ${kind} engine${open.adapter ? ` (${open.adapter})` : ''}`,
  );
  const r0 = rows[0];
  const rn = rows[rows.length - 1];
  lines.push(`start    x=${fmt(r0[0])}  y=${fmt(r0[1])}  loss=${fmt(r0[2])}`);
  lines.push(`final    x=${fmt(rn[0])}  y=${fmt(rn[1])}  loss=${fmt(rn[2])}`);
  const stopped =
    result.status === 'running' ? `running after ${result.steps} steps (no stop yet)` : `${result.status} after ${result.steps} steps (of ${steps})`;
  lines.push(`status   ${stopped}`);
  let where: string;
  if (result.minimum !== null) {
    const m = surface.minima[last.minimum!];
    where = m.manifold
      ? `${m.name} (a manifold of minima; at its point (${fmt(m.x)}, ${fmt(m.y)}) 2/lambda_max = ${fmt(m.lrLimit)})`
      : `${m.name} (${fmt(m.x)}, ${fmt(m.y)}), 2/lambda_max = ${fmt(m.lrLimit)}`;
  } else if (result.status === 'converged') {
    where = 'none of the known minima';
  } else {
    const near = classify(minimaTable(surface), rn[0], rn[1], rn[2]);
    where =
      near !== NO_MINIMUM && Number.isFinite(rn[2]) ? `not converged; now within the basin radius of ${surface.minima[near].name}` : 'none (not converged)';
  }
  lines.push(`minimum  ${where}`);
  if (rn.every(Number.isFinite)) {
    const lmax = surface.eigenvaluesAt(rn[0], rn[1])[1];
    if (Number.isFinite(lmax)) lines.push(`sharpness at the final point: lambda_max = ${fmt(lmax)}${lmax > 0 ? `, 2/lambda_max = ${fmt(2 / lmax)}` : ''}`);
  }
  lines.push('');
  lines.push(`known minima of ${surface.id === 'custom' ? 'this surface' : surface.id}:`);
  lines.push(minimaLines(surface));
  lines.push('');
  const shown =
    count <= 2 * head + 1
      ? rows.map((r, t) => [t, r] as const)
      : [...first.map((r, t) => [t, r] as const), null, ...tail.slice(-head).map((r, k) => [count - head + k, r] as const)];
  const cut = count > 2 * head + 1;
  lines.push(`trajectory (${count} rows${cut ? `, first and last ${head}` : ''}; --json prints them all):`);
  const table = [['t', 'x', 'y', 'loss', 'lr']];
  for (const s of shown) table.push(s === null ? ['...', '', '', '', ''] : [String(s[0]), ...s[1].map((v) => fmt(v, 7))]);
  lines.push(
    padTable(table, ['r', 'r', 'r', 'r', 'r'])
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  out(lines.join('\n'));
  return 0;
}
