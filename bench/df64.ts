// df64 against float32 on the same map, for a network map (map --model, the 4-4-1
// fractal setup) and a surface map (GD with momentum on Rosenbrock), GPU engine by
// default: each precision is run at two step counts, so the cost per pixel-step (the
// difference) is apart from the fixed cost (device, pipeline compilation, the measure);
// their ratio is the df64 cost factor. From df64's measured rate and fixed cost: the
// largest df64 map (res^2 pixels of the case's steps) that fits in a minute on this
// machine, then run once to check it does. Times are those the command reports (training, measure, device), without Node's
// start-up. Prints a line and writes JSON.
//
//   npm run build:cli && tsx bench/df64.ts [OUT.json]
//   BENCH_DF64_RES=64 BENCH_DF64_STEPS=60,180 BENCH_DF64_ENGINE=cpu tsx bench/df64.ts
//   BENCH_DF64_MAPS=1 tsx bench/df64.ts   (the surface map alone; 0 the network map)

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const out = process.argv[2] ?? 'bench/results/df64.json';
const engine = process.env.BENCH_DF64_ENGINE ?? 'gpu';

interface MapCase {
  name: string;
  argv: string[];
  res: number;
  steps: [number, number];
  /** The map whose largest df64 size per minute is reported: this many steps per pixel. */
  minuteSteps: number;
}
const CASES: MapCase[] = [
  {
    name: '4-4-1 tanh mean-field fractal setup (network map)',
    argv: ['map', '--model', 'mlp:4,4,1:tanh:mean-field:gain=sqrt2', '--x', 'lr_layer0:1:100:log', '--y', 'lr_layer1:1:100:log', '--measure', 'fractal'],
    res: Number(process.env.BENCH_DF64_RES ?? 32),
    steps: (process.env.BENCH_DF64_STEPS ?? '20,60').split(',').map(Number) as [number, number],
    minuteSteps: 60,
  },
  {
    // Every pixel keeps running (lr small), so a pixel's steps are the command's steps.
    name: 'GD with momentum on Rosenbrock (surface map, every pixel running)',
    argv: ['map', '--surface', 'rosenbrock', '--x', 'lr:1e-7:1e-6:log', '--y', 'momentum:0:0.5', '--start', '-1.5,2'],
    res: 256,
    steps: [200, 1000],
    minuteSteps: 1000,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'etascape-bench-df64-'));
/** The seconds the command reports for its map (stderr: '..., 12.34 s: converged ...'). */
function seconds(c: MapCase, precision: string, r: number, steps: number): number {
  const args = [...c.argv, '--res', String(r), '--steps', String(steps), '--engine', engine, '--precision', precision, '--out', join(dir, 'map.png')];
  const run = spawnSync(process.execPath, ['dist/cli.mjs', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const m = /, ([\d.]+) s: converged/.exec(run.stderr);
  if (run.status !== 0 || !m) throw new Error(`etascape ${args.join(' ')}: ${run.stderr}`);
  return Number(m[1]);
}

function measure(c: MapCase) {
  const n = c.res * c.res;
  const [s1, s2] = c.steps;
  const fit = (p: string) => {
    const t1 = seconds(c, p, c.res, s1);
    const t2 = seconds(c, p, c.res, s2);
    const perStep = Math.max(1e-9, (t2 - t1) / ((s2 - s1) * n)); // seconds per pixel-step
    return { seconds: [t1, t2], steps_per_s: 1 / perStep, fixed_s: Math.max(0, t1 - s1 * n * perStep) };
  };
  const f32 = fit('f32');
  const df64 = fit('df64');
  const factor = f32.steps_per_s / df64.steps_per_s;
  // The largest res whose df64 map of minuteSteps steps takes at most 60 s, by the fit; then timed.
  const minuteRes = Math.max(1, Math.floor(Math.sqrt(((60 - df64.fixed_s) * df64.steps_per_s) / c.minuteSteps)));
  const minuteSeconds = seconds(c, 'df64', minuteRes, c.minuteSteps);
  const r = {
    map: `${c.name}, ${c.res}x${c.res} pixels, ${s1} and ${s2} steps, ${engine} engine`,
    f32,
    df64,
    df64_cost_factor: factor,
    df64_cost_factor_whole_runs: df64.seconds.map((t, i) => t / f32.seconds[i]),
    df64_map_per_minute: { res: minuteRes, steps: c.minuteSteps, measured_s: minuteSeconds },
  };
  console.log(
    `df64: ${r.map}: f32 ${f32.seconds.map((t) => t.toFixed(2)).join(' / ')} s, df64 ${df64.seconds.map((t) => t.toFixed(2)).join(' / ')} s; ` +
      `per pixel-step df64 costs x${factor.toFixed(2)} (${Math.round(df64.steps_per_s)} vs ${Math.round(f32.steps_per_s)} steps/s); ` +
      `largest df64 map per minute: ${minuteRes}x${minuteRes} at ${c.minuteSteps} steps (measured ${minuteSeconds.toFixed(2)} s)`,
  );
  return r;
}

const only = process.env.BENCH_DF64_MAPS; // e.g. "1": the surface map alone
const result = { date: new Date().toISOString(), maps: CASES.filter((_, i) => !only || only.split(',').includes(String(i))).map(measure) };
rmSync(dir, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
