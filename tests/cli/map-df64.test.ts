// `etascape map --surface ... --precision df64`: a row 1e-8 of the learning rate wide
// around the two-layer net's convergence boundary. The CSV tells every pixel's rate apart
// (17 digits) and holds both outcomes; float32 at that window warns on stderr; the GPU
// engine gives the CPU reference's statuses; two shards merge to the unsharded CSV (the
// precision travels in the tiles); what df64 refuses exits 2 with one line.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/commands';
import { tempDir } from './cli';

const dir = tempDir();
const MAP = [
  'map',
  '--surface',
  'two-layer',
  '--optimizer',
  'sgd',
  '--start',
  '2.5,0.1',
  '--x',
  'lr:0.596367330:0.596367340',
  '--y',
  'momentum:0:0.01',
  '--res',
  '12,2',
  '--steps',
  '200',
];

async function inProcess(argv: string[]): Promise<{ code: number; err: string[]; out: string[] }> {
  const err: string[] = [];
  const out: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, err, out };
}

const rows = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('map --precision df64 on a surface', () => {
  test('df64 tells the pixels apart where float32 warns; the GPU engine agrees with the CPU reference', async () => {
    const csv = (name: string) => join(dir, name);
    const f32 = await inProcess([...MAP, '--engine', 'cpu', '--out', join(dir, 'f.png'), '--csv', csv('f.csv')]);
    expect(f32.code).toBe(0);
    expect(f32.err[0]).toMatch(/^etascape map: warning: float32 does not resolve this window \(lr spans 1\.7e-8 of its value.*--precision df64 resolves it$/);
    const cpu = await inProcess([...MAP, '--engine', 'cpu', '--precision', 'df64', '--out', join(dir, 'c.png'), '--csv', csv('c.csv')]);
    expect(cpu.code).toBe(0);
    expect(cpu.err).toHaveLength(1);
    expect(cpu.err[0]).toMatch(/200 steps, df64, cpu engine/);
    const c = rows(csv('c.csv'));
    // Every lr of the row distinct, with 17 significant digits; float32's collapse to at most 2 values.
    expect(new Set(c.map((r) => r[2])).size).toBe(12);
    expect(c[1][2]).toBe((0.59636733 + 1e-8 / 11).toPrecision(17));
    expect(new Set(rows(csv('f.csv')).map((r) => r[2])).size).toBeLessThanOrEqual(2);
    const outcomes = new Set(c.slice(0, 12).map((r) => r[4]));
    expect(outcomes.has('converged') && outcomes.has('diverged')).toBe(true);
    const gpu = await inProcess([...MAP, '--engine', 'gpu', '--precision', 'df64', '--out', join(dir, 'g.png'), '--csv', csv('g.csv')]);
    expect(gpu.code).toBe(0);
    // status, steps, event step, minimum
    expect(rows(csv('g.csv')).map((r) => r.slice(0, 8))).toEqual(c.map((r) => r.slice(0, 8)));
  }, 60_000);

  test('two shards merge to the unsharded df64 CSV byte for byte', async () => {
    const tiles = [0, 1].map((k) => join(dir, `s${k}.tile`));
    for (const [k, t] of tiles.entries())
      expect((await inProcess([...MAP, '--engine', 'cpu', '--precision', 'df64', '--shard', `${k}/2`, '--tile', t])).code).toBe(0);
    expect((await inProcess(['merge', ...tiles, '--out', join(dir, 'm.png'), '--csv', join(dir, 'm.csv')])).code).toBe(0);
    expect((await inProcess([...MAP, '--engine', 'cpu', '--precision', 'df64', '--out', join(dir, 'w.png'), '--csv', join(dir, 'w.csv')])).code).toBe(0);
    expect(readFileSync(join(dir, 'm.csv'), 'utf8')).toBe(readFileSync(join(dir, 'w.csv'), 'utf8'));
  }, 30_000);

  test('what df64 refuses: one line, exit 2', async () => {
    const cases: [string[], string][] = [
      [['--sam_rho', '0.1'], 'etascape: --precision df64: SAM is float32 only'],
      [['--schedule', 'CurvatureAdaptive'], 'etascape: --precision df64: SGD with this schedule reads the Hessian, which df64 does not compute'],
    ];
    for (const [extra, line] of cases) {
      const r = await inProcess([...MAP, '--engine', 'cpu', '--precision', 'df64', ...extra, '--out', join(dir, 'x.png')]);
      expect([r.code, ...r.err], extra.join(' ')).toEqual([2, line]);
    }
  });
});
