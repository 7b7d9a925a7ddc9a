// Sharding overhead: one map run whole against the same map as 4 shards run one after
// another (each its own process: start, pipeline compilation, tile) plus the merge;
// total wall time of each, and their ratio. Checks that the merged CSV is the whole
// map's, byte for byte. Prints a line and writes JSON.
//
//   npm run build:cli && tsx bench/shards.ts [OUT.json]
//   BENCH_SHARD_RES=1024 BENCH_SHARD_STEPS=1000 BENCH_SHARD_ENGINE=gpu tsx bench/shards.ts

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const out = process.argv[2] ?? 'bench/results/shards.json';
const res = Number(process.env.BENCH_SHARD_RES ?? 512);
const steps = Number(process.env.BENCH_SHARD_STEPS ?? 1000);
const engine = process.env.BENCH_SHARD_ENGINE ?? 'gpu';
const SHARDS = 4;
const MAP = ['map', '--surface', 'rosenbrock', '--optimizer', 'sgd', '--x', 'lr:1e-5:3e-3:log', '--y', 'momentum:0:0.99'];
const map = [...MAP, '--start', '-1,1.5', '--res', String(res), '--steps', String(steps), '--engine', engine];

const dir = mkdtempSync(join(tmpdir(), 'etascape-bench-shards-'));
/** Wall seconds of one `etascape` process. */
function timed(args: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, ['dist/cli.mjs', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
}

const whole = timed([...map, '--out', join(dir, 'whole.png'), '--csv', join(dir, 'whole.csv')]);
const tiles = Array.from({ length: SHARDS }, (_, k) => join(dir, `shard-${k}.tile`));
const shards = tiles.map((tile, k) => timed([...map, '--shard', `${k}/${SHARDS}`, '--tile', tile]));
const merge = timed(['merge', ...tiles, '--out', join(dir, 'merged.png'), '--csv', join(dir, 'merged.csv')]);
const identical = readFileSync(join(dir, 'merged.csv')).equals(readFileSync(join(dir, 'whole.csv')));
rmSync(dir, { recursive: true, force: true });

const sharded = shards.reduce((a, b) => a + b, 0) + merge;
const result = {
  date: new Date().toISOString(),
  map: `${res}x${res}, ${steps} steps, ${engine} engine`,
  shards: SHARDS,
  whole_s: whole,
  shard_s: shards,
  merge_s: merge,
  sharded_total_s: sharded,
  overhead: sharded / whole,
  csv_identical: identical,
};
console.log(
  `sharding: ${result.map}: whole ${whole.toFixed(2)} s, ${SHARDS} shards in sequence ${shards.map((s) => s.toFixed(2)).join(' + ')} + merge ${merge.toFixed(2)} = ${sharded.toFixed(2)} s (x${result.overhead.toFixed(2)}), CSV ${identical ? 'identical' : 'DIFFERENT'}`,
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
if (!identical) process.exit(1);
