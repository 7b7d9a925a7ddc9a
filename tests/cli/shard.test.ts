// Sharded maps and sweeps (--shard K/N --tile, etascape merge): shards run as separate
// processes, in parallel and in any order, one killed and rerun, merge to exactly the
// unsharded output; merge refuses tiles of another job, missing, repeated or altered
// ones with one line; a finished shard is skipped; the Slurm script and the Kubernetes
// manifests are well-formed and pass the index to --shard. Tiny maps: seconds.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { main } from '../../src/cli/commands';
import { parseShard, readTile, shardPart } from '../../src/cli/shard';
import { cliSpawn, tempDir } from './cli';

const MAP = [
  'map',
  '--surface',
  'quadratic',
  '--optimizer',
  'sgd',
  '--x',
  'lr:0.01:0.6:log',
  '--y',
  'momentum:0:0.9',
  '--res',
  '10,7',
  '--steps',
  '60',
  '--start',
  '1,1',
  '--size',
  '240,200',
  '--engine',
  'cpu',
];
const SWEEP = [
  'sweep',
  '--surface',
  'double-well',
  '--optimizer',
  'adam',
  '--lr-min',
  '0.001',
  '--lr-max',
  '2',
  '--n',
  '37',
  '--steps',
  '80',
  '--engine',
  'cpu',
];

/** Runs the built command to its end, without blocking the others. */
function spawnRun(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = cliSpawn(args);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** main() in this process: exit code and stderr lines. */
async function inProcess(argv: string[]): Promise<{ code: number; err: string[]; out: string[] }> {
  const err: string[] = [];
  const out: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, err, out };
}

const pixels = (path: string) => {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: png.data };
};

describe('sharded map', () => {
  const dir = tempDir();
  const tile = (k: number) => join(dir, `shard-${k}.tile`);
  const shard = (k: number, n = 4) => [...MAP, '--shard', `${k}/${n}`, '--tile', tile(k)];

  test('4 shards as processes, in parallel, shuffled, one killed and rerun: merge gives the unsharded CSV byte for byte and PNG pixel for pixel', async () => {
    // Shard 1 is killed at once; the others run in parallel with the unsharded map.
    const killed = cliSpawn(shard(1));
    const gone = new Promise((r) => killed.on('close', r));
    setTimeout(() => killed.kill('SIGKILL'), 300);
    const runs = await Promise.all([...[3, 0, 2].map((k) => spawnRun(shard(k))), gone]);
    for (const r of runs.slice(0, 3) as { code: number; stderr: string }[]) expect(r.code, r.stderr).toBe(0);
    // The unsharded map (here, in this process, to save a process start).
    expect((await inProcess([...MAP, '--out', join(dir, 'whole.png'), '--csv', join(dir, 'whole.csv')])).code).toBe(0);
    // Killed: no tile, or (had it finished) a whole one; never a partial tile.
    if (existsSync(tile(1))) expect(() => readTile(tile(1))).not.toThrow();
    // Rerun: computes what is missing, and a finished shard is skipped untouched.
    expect((await inProcess(shard(1))).code).toBe(0);
    const before = statSync(tile(2)).mtimeMs;
    expect((await inProcess(shard(2))).out.join('\n')).toMatch(/shard 2\/4 is already done \(skipped\)/);
    expect(statSync(tile(2)).mtimeMs).toBe(before);

    expect((await inProcess(['merge', tile(2), tile(0), tile(3), tile(1), '--out', join(dir, 'merged.png'), '--csv', join(dir, 'merged.csv')])).code).toBe(0);
    const whole = readFileSync(join(dir, 'whole.csv'));
    expect(whole.toString().split('\n').length).toBe(10 * 7 + 2);
    expect(readFileSync(join(dir, 'merged.csv')).equals(whole)).toBe(true);
    expect(pixels(join(dir, 'merged.png'))).toEqual(pixels(join(dir, 'whole.png')));
    // Each tile holds its rows and the map's parameters.
    const h = readTile(tile(3)).header;
    expect(h.part).toEqual([5, 7]);
    expect(h.params.argv).toEqual(MAP.slice(1));
  }, 60_000);

  test('merge refuses a tile of another map, a missing tile, a repeated one and an altered one, with one line each (exit 2)', async () => {
    const other = join(dir, 'other-2.tile');
    expect((await inProcess([...MAP.map((a) => (a === '60' ? '61' : a)), '--shard', '2/4', '--tile', other])).code).toBe(0);
    const altered = join(dir, 'altered-1.tile');
    const bytes = readFileSync(tile(1));
    bytes[bytes.length - 5] ^= 1;
    writeFileSync(altered, bytes);
    const out = ['--out', join(dir, 'refused.png')];
    for (const [tiles, message] of [
      [[tile(0), tile(1), other, tile(3)], /other-2\.tile belongs to another map than .*shard-0\.tile \('--steps 61' where .* has '--steps 60'\)$/],
      [[tile(0), tile(1), tile(3)], /1 of 4 shards missing: 2\/4$/],
      [[tile(0), tile(1), tile(2), tile(3), tile(2)], /shard 2\/4 is given twice/],
      [[tile(0), altered, tile(2), tile(3)], /altered-1\.tile: its data do not match their checksum/],
    ] as const) {
      const r = await inProcess(['merge', ...tiles, ...out]);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
    expect(existsSync(join(dir, 'refused.png'))).toBe(false);
  });

  test('a shard over a tile of another job is refused; over a broken tile it is recomputed', async () => {
    copyFileSync(tile(0), join(dir, 'copy-0.tile'));
    const taken = await inProcess([...MAP, '--shard', '1/4', '--tile', join(dir, 'copy-0.tile')]);
    expect(taken.code).toBe(2);
    expect(taken.err[0]).toMatch(/holds shard 0\/4 of this job, not 1\/4/);
    const broken = join(dir, 'broken-0.tile');
    writeFileSync(broken, readFileSync(tile(0)).subarray(0, 300));
    const redo = await inProcess([...MAP, '--shard', '0/4', '--tile', broken]);
    expect(redo.out.join('\n')).toMatch(/wrote .*broken-0\.tile/);
    expect(readTile(broken).arrays).toEqual(readTile(tile(0)).arrays);
  });
});

describe('sharded sweep', () => {
  test('3 shards merge to the unsharded CSV and JSON, byte for byte', async () => {
    const dir = tempDir();
    for (const ext of ['csv', 'json']) expect((await inProcess([...SWEEP, '--out', join(dir, `whole.${ext}`)])).code).toBe(0);
    const tiles = [2, 0, 1].map((k) => join(dir, `s${k}.tile`));
    for (const [i, k] of [2, 0, 1].entries()) expect((await inProcess([...SWEEP, '--shard', `${k}/3`, '--tile', tiles[i]])).code).toBe(0);
    for (const ext of ['csv', 'json']) {
      expect((await inProcess(['merge', ...tiles, '--out', join(dir, `merged.${ext}`)])).code).toBe(0);
      expect(readFileSync(join(dir, `merged.${ext}`), 'utf8')).toBe(readFileSync(join(dir, `whole.${ext}`), 'utf8'));
    }
    const r = await inProcess([...SWEEP, '--shard', '0/3', '--tile', join(dir, 'x.tile'), '--noise', '0.1']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--shard: --noise draws its random numbers by particle index/);
  });
});

describe('sharded network map (map --model)', () => {
  test('3 shards merge to the unsharded CSV byte for byte and PNG pixel for pixel (the fractal colouring ranks the whole map)', async () => {
    const dir = tempDir();
    const NET = [
      'map',
      '--model',
      'mlp:4,4,1:tanh:mean-field',
      '--x',
      'lr_layer0:1e-1:1e2:log',
      '--y',
      'lr_layer1:1e-1:1e2:log',
      '--res',
      '7',
      '--steps',
      '30',
    ];
    const measure = ['--measure', 'fractal'];
    expect((await inProcess([...NET, ...measure, '--out', join(dir, 'whole.png'), '--csv', join(dir, 'whole.csv')])).code).toBe(0);
    const tiles = [1, 2, 0].map((k) => join(dir, `n${k}.tile`));
    for (const [i, k] of [1, 2, 0].entries()) expect((await inProcess([...NET, ...measure, '--shard', `${k}/3`, '--tile', tiles[i]])).code).toBe(0);
    expect((await inProcess(['merge', ...tiles, '--out', join(dir, 'merged.png'), '--csv', join(dir, 'merged.csv')])).code).toBe(0);
    const whole = readFileSync(join(dir, 'whole.csv'), 'utf8');
    expect(whole).toMatch(/,converged,/);
    expect(whole).toMatch(/,diverged,/);
    expect(readFileSync(join(dir, 'merged.csv'), 'utf8')).toBe(whole);
    expect(pixels(join(dir, 'merged.png'))).toEqual(pixels(join(dir, 'whole.png')));
  });
  test('draws by network index (minibatches, noise, per-network weights) are refused with --shard, one line, exit 2', async () => {
    const dir = tempDir();
    const NET = ['map', '--model', 'mlp:4,4,1:tanh:mean-field', '--x', 'lr_layer0:1e-1:1e2:log', '--y', 'lr_layer1:1e-1:1e2:log', '--res', '4', '--steps', '5'];
    for (const extra of [['--batch_size', '4'], ['--noise', '0.1'], ['--init-per-network']]) {
      const r = await inProcess([...NET, ...extra, '--shard', '0/2', '--tile', join(dir, 't.tile')]);
      expect(r.code, extra[0]).toBe(2);
      expect(r.err.join('\n')).toMatch(/--shard with .* not supported yet/);
      expect(existsSync(join(dir, 't.tile'))).toBe(false);
    }
  });
});

describe('--shard', () => {
  test('K/N, or auto/N from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX', () => {
    expect(parseShard('3/8', {})).toEqual({ k: 3, n: 8 });
    expect(parseShard('auto/8', { SLURM_ARRAY_TASK_ID: '5' })).toEqual({ k: 5, n: 8 });
    expect(parseShard('auto/8', { JOB_COMPLETION_INDEX: '7' })).toEqual({ k: 7, n: 8 });
    expect(() => parseShard('auto/8', {})).toThrow(/neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set/);
    expect(() => parseShard('auto/8', { JOB_COMPLETION_INDEX: '8' })).toThrow(/K \(from JOB_COMPLETION_INDEX\) must be 0..7, got 8/);
    expect(() => parseShard('8/8', {})).toThrow(/must be 0..7/);
    expect(() => parseShard('1-4', {})).toThrow(/expected K\/N/);
  });

  test('merge --help and the flags checked together', async () => {
    const help = await inProcess(['help', 'merge']);
    expect(help.out[0]).toMatch(/^Usage: etascape merge TILE\.\.\. /);
    expect(help.out[0]).toContain('SLURM_ARRAY_TASK_ID');
    expect((await inProcess(['map', '--help'])).out[0]).toMatch(/--shard K\/N\|auto\/N/);
    for (const [args, message] of [
      [['--shard', '0/2'], /--shard needs --tile FILE\.tile/],
      [['--tile', 'x.tile'], /--tile needs --shard K\/N/],
      [['--shard', '0/2', '--tile', 'x.tile', '--out', 'x.png'], /--shard writes only its --tile: give --out and --csv to etascape merge/],
      [['--shard', '0/8', '--tile', 'x.tile'], /--shard: 8 shards of 7 rows: at most 7/],
    ] as const) {
      const r = await inProcess([...MAP, ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([expect.stringMatching(message)]);
    }
  });

  test('the shards of a job cover its items once, in order, sizes within one', () => {
    for (const total of [1, 7, 10, 4096]) {
      for (const n of [1, 2, 3, 7].filter((n) => n <= total)) {
        const parts = Array.from({ length: n }, (_, k) => shardPart({ k, n }, total, 'rows'));
        expect(parts[0][0]).toBe(0);
        expect(parts[n - 1][1]).toBe(total);
        parts.slice(1).forEach((p, k) => expect(p[0]).toBe(parts[k][1]));
        const sizes = parts.map(([a, b]) => b - a);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
    expect(() => shardPart({ k: 0, n: 8 }, 7, 'rows')).toThrow(/8 shards of 7 rows/);
  });
});

describe('deploy/', () => {
  test('the Slurm script: valid shell; submits an array 0..N-1 passing its index to --shard, then a merge after it', () => {
    const script = join(process.cwd(), 'deploy/slurm/map.sh');
    execFileSync('bash', ['-n', script]);
    // A stand-in sbatch that records its arguments and answers a job id.
    const dir = tempDir();
    const log = join(dir, 'sbatch.log');
    writeFileSync(join(dir, 'sbatch'), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${log}\necho "---" >> ${log}\necho 4242\n`);
    chmodSync(join(dir, 'sbatch'), 0o755);
    const r = spawnSync('bash', [script, join(dir, 'run'), '6', '--', '--surface', 'rosenbrock', '--x', 'lr:1e-5:1e-2:log', '--y', 'momentum:0:0.99'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    const [shards, merge] = readFileSync(log, 'utf8').split('---\n');
    expect(shards).toMatch(/^--array=0-5$/m);
    expect(shards).toMatch(/^--wrap=etascape map --surface rosenbrock .*--shard auto\/6 --tile \S*shard-\$SLURM_ARRAY_TASK_ID\.tile$/m);
    expect(merge).toMatch(/^--dependency=afterok:4242$/m);
    expect(merge).toMatch(/^--wrap=etascape merge \S*shard-\*\.tile --out \S*map\.png --csv \S*map\.csv$/m);
  });

  test('the Kubernetes manifests: an Indexed Job of N GPU pods passing JOB_COMPLETION_INDEX/N to --shard, tiles on a shared volume; the merge job', () => {
    const docs = (file: string) =>
      readFileSync(join(process.cwd(), file), 'utf8')
        .split(/^---$/m)
        .map((d) => {
          const doc = parseDocument(d);
          expect(doc.errors).toEqual([]);
          return doc.toJS();
        });
    const [pvc, job] = docs('deploy/k8s/map-shards.yaml');
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(pvc.spec.accessModes).toContain('ReadWriteMany');
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions;
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
    const command = [...c.command, ...c.args].join(' ');
    expect(command).toContain(`--shard "$JOB_COMPLETION_INDEX/${n}"`);
    expect(command).toMatch(/--tile "\/tiles\/shard-\$JOB_COMPLETION_INDEX\.tile"/);
    expect(c.volumeMounts[0]).toEqual({ name: 'tiles', mountPath: '/tiles' });
    expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    const [merge] = docs('deploy/k8s/map-merge.yaml');
    const m = merge.spec.template.spec;
    expect(m.containers[0].args.join(' ')).toMatch(/^exec etascape merge \/tiles\/shard-\*\.tile --out \S+\.png --csv \S+\.csv$/);
    expect(m.volumes[0].persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
  });
});
