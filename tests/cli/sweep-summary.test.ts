// `etascape sweep --summary`: one row per lr bin, from the GPU reductions (or the CPU
// reduction with --engine cpu), checked against the per-particle rows of the same sweep.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ok, tempDir } from './cli';

// quadratic with lambda = (1, 10): GD converges iff lr < 2/10.
const BASE = [
  'sweep',
  '--surface',
  'quadratic',
  '--surface-param',
  'lambda1=1',
  '--surface-param',
  'lambda2=10',
  '--optimizer',
  'gd',
  '--lr-min',
  '0.1',
  '--lr-max',
  '0.3',
  '--start',
  '1.5,1.5',
  '--steps',
  '2000',
];
const COLUMNS = [
  'lr_min',
  'lr_max',
  'lr_mid',
  'particles',
  'running',
  'converged',
  'diverged',
  'nonfinite',
  'minimum_origin',
  'loss_q10',
  'loss_q50',
  'loss_q90',
];

type Row = Record<string, number>;

function parse(text: string): { header: string[]; rows: Row[] } {
  const lines = text.trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, j) => [header[j], v === 'nan' ? NaN : Number(v)])));
  return { header, rows };
}

describe('sweep --summary', () => {
  const n = 1000;
  const bins = 7; // does not divide n: bins of 143, the last of 142
  const gpu = parse(ok([...BASE, '--n', String(n), '--summary', '--bins', String(bins)]));

  it('writes one CSV row per lr bin with the documented columns; bins of ceil(n/B) particles', () => {
    expect(gpu.header).toEqual(COLUMNS);
    expect(gpu.rows.map((r) => r.particles)).toEqual([143, 143, 143, 143, 143, 143, 142]);
    expect(gpu.rows[0].lr_min).toBe(0.1);
    expect(gpu.rows[bins - 1].lr_max).toBe(0.3);
    for (const r of gpu.rows) {
      expect(r.running + r.converged + r.diverged + r.nonfinite).toBeCloseTo(1, 12);
      expect(r.lr_mid).toBeCloseTo(Math.sqrt(r.lr_min * r.lr_max), 6);
      expect(r.lr_min).toBeLessThan(r.lr_max);
    }
    for (let b = 1; b < bins; b++) expect(gpu.rows[b].lr_min).toBeGreaterThan(gpu.rows[b - 1].lr_max);
  });

  it('reads as theory: converged into the minimum below lr 2/lambda = 0.2, diverged above; quantiles ordered, nan where none is finite', () => {
    for (const r of gpu.rows) {
      if (r.lr_max < 0.2) {
        expect(r.converged).toBe(1);
        expect(r.minimum_origin).toBe(1);
        expect(r.loss_q10).toBeLessThanOrEqual(r.loss_q50);
        expect(r.loss_q50).toBeLessThanOrEqual(r.loss_q90);
        expect(r.loss_q90).toBeLessThan(1e-6);
      }
      if (r.lr_min > 0.2) {
        expect(r.diverged).toBe(1);
        expect(r.loss_q50).toBeNaN();
      }
    }
    const edge = gpu.rows.find((r) => r.diverged > 0.5)!;
    expect(edge.lr_min).toBeLessThanOrEqual(0.2 * 1.01);
    expect(edge.lr_max).toBeGreaterThanOrEqual(0.2);
  });

  // The loss spans 17 decades here (converged 4e-10 .. running 4e7): a bucket is 1% wide.
  it('agrees with the per-particle rows of the same sweep: fractions exactly, loss quantiles within 2%', () => {
    const lines = ok([...BASE, '--n', String(n)])
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const per = Math.ceil(n / bins);
    gpu.rows.forEach((r, b) => {
      const mine = lines.slice(b * per, (b + 1) * per);
      const frac = (s: string) => mine.filter((c) => c[5] === s).length / mine.length;
      expect([r.running, r.converged, r.diverged, r.nonfinite]).toEqual(['running', 'converged', 'diverged', 'nonfinite'].map(frac));
      expect(r.minimum_origin).toBe(mine.filter((c) => c[7] === 'origin').length / mine.length);
      const losses = mine
        .filter((c) => c[5] === 'running' || c[5] === 'converged')
        .map((c) => Number(c[4]))
        .sort((a, b) => a - b);
      if (!losses.length) return;
      const at = (q: number) => losses[Math.min(losses.length - 1, Math.floor(q * losses.length))];
      for (const [q, col] of [
        [0.1, 'loss_q10'],
        [0.5, 'loss_q50'],
        [0.9, 'loss_q90'],
      ] as const) {
        expect(Math.abs(r[col] / at(q) - 1), `bin ${b} ${col}: ${r[col]} vs ${at(q)}`).toBeLessThan(0.02);
      }
    });
  });

  it('--engine cpu reduces on the CPU reference: the same fractions, quantiles within 5%', () => {
    const cpu = parse(ok([...BASE, '--n', String(n), '--summary', '--bins', String(bins), '--engine', 'cpu']));
    expect(cpu.header).toEqual(COLUMNS);
    cpu.rows.forEach((r, b) => {
      const g = gpu.rows[b];
      for (const k of ['lr_min', 'lr_max', 'particles', 'running', 'converged', 'diverged', 'nonfinite', 'minimum_origin']) expect(r[k]).toBe(g[k]);
      for (const k of ['loss_q10', 'loss_q50', 'loss_q90']) {
        if (Number.isNaN(g[k])) expect(r[k]).toBeNaN();
        else expect(Math.abs(r[k] / g[k] - 1)).toBeLessThan(0.05);
      }
    });
  });

  it('--out x.json: the rows as objects (minima by name, nan as null) with the run settings; the totals on stdout', () => {
    const dir = tempDir();
    const path = join(dir, 'curve.json');
    const stdout = ok([
      'sweep',
      '--surface',
      'double-well',
      '--lr-min',
      '0.005',
      '--lr-max',
      '0.5',
      '--n',
      '512',
      '--steps',
      '1500',
      '--summary',
      '--bins',
      '16',
      '--out',
      path,
    ]);
    expect(stdout).toMatch(/16 lr bins of 32 particles/);
    expect(stdout).toMatch(/minimum: .*sharp \d+/);
    expect(stdout).toMatch(/wrote 16 bin rows to /);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc.bins).toBe(16);
    expect(doc.particles).toBe(512);
    expect(doc.columns).toEqual([
      'lr_min',
      'lr_max',
      'lr_mid',
      'particles',
      'running',
      'converged',
      'diverged',
      'nonfinite',
      'minimum_flat',
      'minimum_sharp',
      'loss_q10',
      'loss_q50',
      'loss_q90',
    ]);
    expect(doc.rows).toHaveLength(16);
    // Sharp vs flat: small lr stays in the sharp trap, large lr ends in the flat basin.
    expect(doc.rows[0].minima.sharp).toBe(1);
    expect(doc.rows[15].minima.flat).toBe(1);
    expect(doc.rows[15].loss_q50).toBeCloseTo(-1.4309, 3);
  });

  it('--out x.csv writes the same rows as stdout', () => {
    const path = join(tempDir(), 'curve.csv');
    ok([...BASE, '--n', String(n), '--summary', '--bins', String(bins), '--out', path]);
    expect(parse(readFileSync(path, 'utf8'))).toEqual(gpu);
  });

  it.each([
    [['--bins', '4'], ['--bins needs --summary']],
    [['--summary', '--bins', '1010'], ['--bins must be at most --n (1000), got 1010']],
    [['--summary', '--bins', '0'], ['--bins']],
    [['--summary', '--bins', '2048'], ['--bins must be at most 1024, got 2048']],
    [
      ['--summary', '--bins', '2.5'],
      ['--bins', 'whole'],
    ],
  ])('bad %j: one line naming the flag, exit 2', (extra, words) => {
    const r = cli([...BASE, '--n', String(n), ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    for (const w of words) expect(r.stderr).toContain(w);
  });

  it('sweep --help documents --summary and --bins', () => {
    const help = ok(['sweep', '--help']);
    expect(help).toMatch(/--summary/);
    expect(help).toMatch(/--bins B/);
    expect(help).toMatch(/loss_q10, loss_q50, loss_q90/);
  });
});
