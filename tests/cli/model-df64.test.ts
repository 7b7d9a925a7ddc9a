// `map --model --precision df64`: axis values past float32's resolution stay apart in
// the CSV (17 significant digits) where float32 merges them, and what df64 does not
// cover exits 2 with one line naming it. (Agreement with float64: tests/unit/nn-df64.test.ts.)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './cli';

const MAP = ['map', '--model', 'mlp:4,4,1:tanh:mean-field:gain=sqrt2', '--res', '3', '--steps', '4', '--measure', 'fractal'];
// A window 1e-9 wide: float32's numbers near 16.4 are 1.9e-6 apart.
const DEEP = ['--x', 'lr_layer0:16.4216273695:16.4216273705', '--y', 'lr_layer1:12:12.000000001'];

function axisColumn(precision: string): { column: string[]; stderr: string } {
  const csv = join(tempDir(), `${precision}.csv`);
  const r = cli([...MAP, ...DEEP, '--precision', precision, '--engine', 'cpu', '--csv', csv]);
  expect(r.code, r.stderr).toBe(0);
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
  return { column: rows.slice(0, 3).map((r) => r.split(',')[2]), stderr: r.stderr };
}

describe('etascape map --model --precision df64', () => {
  it('neighbouring pixels 5e-10 apart keep distinct axis values in df64 (17 digits); float32 merges them', () => {
    const df = axisColumn('df64');
    expect(df.column.map((v) => v.replace(/\D/g, '').length)).toEqual([17, 17, 17]);
    [16.4216273695, 16.42162737, 16.4216273705].forEach((x, i) => expect(Math.abs(Number(df.column[i]) - x)).toBeLessThan(1e-14));
    expect(df.stderr).not.toMatch(/warning/);
    const f32 = axisColumn('f32');
    expect(new Set(f32.column).size).toBe(1);
    // The window is below what float32 resolves (core/nn/precision.ts; tests/unit/net-map-plan.test.ts): the command says so.
    expect(f32.stderr).toMatch(/warning: float32 does not resolve this window \(lr_layer0 spans 6\.1e-11 .*--precision df64 resolves it/);
  });
  it('refuses what it does not cover, naming it', () => {
    // (The engine's refusals, e.g. minibatches, are DF64Errors tested in tests/unit/nn-df64.test.ts; the command turns them into usage errors.)
    const r = cli([...MAP, '--precision', 'df64', '--csv', join(tempDir(), 'x.csv'), '--x', 'init_scale:0.5:2', '--y', 'lr_layer1:1:2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/df64 maps learning-rate axes/);
  });
});
