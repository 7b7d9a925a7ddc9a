// Outputs whole or not at all (issue 16): a path that cannot be written fails before any
// work; a file appears only when complete (written beside it, then renamed), so a kill
// during the write leaves the previous file; a command that fails leaves nothing it wrote.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliSpawn, tempDir } from './cli';

const HEAVY_SWEEP = ['sweep', '--surface', 'rosenbrock', '--lr-min', '1e-6', '--lr-max', '1e-4', '--n', '1000000', '--steps', '100000', '--engine', 'cpu'];

const exited = (p: ReturnType<typeof cliSpawn>) => new Promise<number | null>((r) => p.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('outputs whole or not at all', () => {
  it('an unwritable --out fails before a heavy sweep starts, naming the path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'a file, not a folder');
    const bad = join(dir, 'plain', 'out.csv');
    const t0 = performance.now();
    const r = cli([...HEAVY_SWEEP, '--out', bad]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(bad);
    expect((performance.now() - t0) / 1000).toBeLessThan(5); // the sweep itself would take hours
  });

  it('so does a --csv or --out of map, and an --out that is a folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'x');
    const map = ['map', '--surface', 'quadratic', '--x', 'lr:1e-3:1:log', '--y', 'momentum:0:0.9', '--res', '4096', '--steps', '1000000', '--engine', 'cpu'];
    const r1 = cli([...map, '--out', join(dir, 'm.png'), '--csv', join(dir, 'plain', 'm.csv')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('--csv');
    mkdirSync(join(dir, 'folder.png'));
    const r2 = cli([...map, '--out', join(dir, 'folder.png')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('is a directory');
    expect(existsSync(join(dir, 'm.png'))).toBe(false);
  });

  it('record refuses an unwritable --out before starting a browser, naming the path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'x');
    const bad = join(dir, 'plain', 'video.mp4');
    const t0 = performance.now();
    const r = cli(['record', '--out', bad, '--seconds', '60']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(bad);
    expect((performance.now() - t0) / 1000).toBeLessThan(5);
  });

  it('a kill during a large write leaves the previous file and no temporary file', async () => {
    const dir = tempDir();
    const target = join(dir, 'big.csv');
    writeFileSync(target, 'the previous file\n');
    const p = cliSpawn([
      'sweep',
      '--surface',
      'quadratic',
      '--lr-min',
      '0.01',
      '--lr-max',
      '0.1',
      '--n',
      '262144',
      '--steps',
      '0',
      '--engine',
      'cpu',
      '--out',
      target,
    ]);
    const done = exited(p);
    // Wait until the temporary file holds some rows, then stop the command.
    let seen = 0;
    for (let i = 0; i < 6000 && seen < 2 ** 20; i++) {
      const tmp = readdirSync(dir).find((f) => f.endsWith('.tmp'));
      seen = tmp ? (statSync(join(dir, tmp), { throwIfNoEntry: false })?.size ?? 0) : 0;
      if (seen < 2 ** 20) await sleep(10);
    }
    expect(seen, 'the write never started').toBeGreaterThanOrEqual(2 ** 20);
    p.kill('SIGTERM');
    expect(await done).toBe(143);
    expect(readFileSync(target, 'utf8')).toBe('the previous file\n');
    expect(readdirSync(dir)).toEqual(['big.csv']);
  }, 120_000);

  it('a sweep replaces the file whole when it completes', () => {
    const dir = tempDir();
    const target = join(dir, 'out.csv');
    writeFileSync(target, 'old\n');
    const r = cli(['sweep', '--surface', 'quadratic', '--lr-min', '0.01', '--lr-max', '0.1', '--n', '5', '--steps', '3', '--engine', 'cpu', '--out', target]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(target, 'utf8').trim().split('\n')).toHaveLength(6);
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('map whose CSV cannot be written at the end leaves no PNG behind', async () => {
    const dir = tempDir();
    const csvDir = join(dir, 'csv');
    mkdirSync(csvDir);
    const png = join(dir, 'map.png');
    const p = cliSpawn([
      'map',
      '--surface',
      'quadratic',
      '--x',
      'lr:1e-3:1:log',
      '--y',
      'momentum:0:0.9',
      '--res',
      '16',
      '--steps',
      '10',
      '--engine',
      'cpu',
      '--out',
      png,
      '--csv',
      join(csvDir, 'map.csv'),
    ]);
    // The paths pass their check; the CSV's temporary name (beside it, with the process id)
    // is taken by a folder before the command gets there, so writing the CSV fails.
    mkdirSync(join(csvDir, `.map.csv.${p.pid}.tmp`));
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await exited(p), stderr).toBe(1);
    expect(stderr).toContain(join(csvDir, 'map.csv'));
    expect(readdirSync(dir)).toEqual(['csv']);
  }, 120_000);
});
