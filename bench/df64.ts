// df64 against float32 on the same network map (map --model, the 4-4-1 fractal setup,
// the same window, GPU engine by default): each precision is run at two step counts, so
// the cost per network-step (the difference) is apart from the fixed cost (device,
// pipeline compilation, the measure); their ratio is the df64 cost factor. From df64's
// measured rate and fixed cost: the largest df64 map (res^2 networks of 60 steps, the
// README's setup) that fits in a minute on this machine, then run once to check it
// does. Times are those the command reports (training, measure, device), without Node's
// start-up. Prints a line and writes JSON.
//
//   npm run build:cli && tsx bench/df64.ts [OUT.json]
//   BENCH_DF64_RES=64 BENCH_DF64_STEPS=60,180 BENCH_DF64_ENGINE=cpu tsx bench/df64.ts

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const out = process.argv[2] ?? 'bench/results/df64.json';
const res = Number(process.env.BENCH_DF64_RES ?? 32);
const [s1, s2] = (process.env.BENCH_DF64_STEPS ?? '20,60').split(',').map(Number);
const engine = process.env.BENCH_DF64_ENGINE ?? 'gpu';
/** The map whose largest df64 size per minute is reported: this many steps per network. */
const MINUTE_STEPS = 60;
const MAP = ['map', '--model', 'mlp:4,4,1:tanh:mean-field:gain=sqrt2', '--x', 'lr_layer0:1:100:log', '--y', 'lr_layer1:1:100:log', '--measure', 'fractal'];

const dir = mkdtempSync(join(tmpdir(), 'etascape-bench-df64-'));
/** The seconds the command reports for its map (stderr: '..., 12.34 s: converged ...'). */
function seconds(precision: string, r: number, steps: number): number {
  const args = [...MAP, '--res', String(r), '--steps', String(steps), '--engine', engine, '--precision', precision, '--out', join(dir, 'map.png')];
  const run = spawnSync(process.execPath, ['dist/cli.mjs', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const m = /, ([\d.]+) s: converged/.exec(run.stderr);
  if (run.status !== 0 || !m) throw new Error(`etascape ${args.join(' ')}: ${run.stderr}`);
  return Number(m[1]);
}

const n = res * res;
const fit = (p: string) => {
  const t1 = seconds(p, res, s1);
  const t2 = seconds(p, res, s2);
  const perStep = Math.max(1e-9, (t2 - t1) / ((s2 - s1) * n)); // seconds per network-step
  return { t: [t1, t2], networkStepsPerSecond: 1 / perStep, fixed_s: Math.max(0, t1 - s1 * n * perStep) };
};
const f32 = fit('f32');
const df64 = fit('df64');
const factor = f32.networkStepsPerSecond / df64.networkStepsPerSecond;
// The largest res whose df64 map of MINUTE_STEPS steps takes at most 60 s, by the fit; then timed.
const minuteRes = Math.max(1, Math.floor(Math.sqrt(((60 - df64.fixed_s) * df64.networkStepsPerSecond) / MINUTE_STEPS)));
const minuteSeconds = seconds('df64', minuteRes, MINUTE_STEPS);
rmSync(dir, { recursive: true, force: true });

const result = {
  date: new Date().toISOString(),
  map: `4-4-1 tanh mean-field fractal setup, ${res}x${res} networks, ${s1} and ${s2} steps, ${engine} engine`,
  f32: { seconds: f32.t, network_steps_per_s: f32.networkStepsPerSecond, fixed_s: f32.fixed_s },
  df64: { seconds: df64.t, network_steps_per_s: df64.networkStepsPerSecond, fixed_s: df64.fixed_s },
  df64_cost_factor: factor,
  df64_cost_factor_whole_runs: df64.t.map((t, i) => t / f32.t[i]),
  df64_map_per_minute: { res: minuteRes, steps: MINUTE_STEPS, measured_s: minuteSeconds },
};
console.log(
  `df64: ${result.map}: f32 ${f32.t.map((t) => t.toFixed(2)).join(' / ')} s, df64 ${df64.t.map((t) => t.toFixed(2)).join(' / ')} s; ` +
    `per network-step df64 costs x${factor.toFixed(2)} (${Math.round(df64.networkStepsPerSecond)} vs ${Math.round(f32.networkStepsPerSecond)} network-steps/s); ` +
    `largest df64 map per minute: ${minuteRes}x${minuteRes} at ${MINUTE_STEPS} steps (measured ${minuteSeconds.toFixed(2)} s)`,
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
