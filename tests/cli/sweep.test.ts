// `etascape sweep`: rows, columns, formats, and the GD stability edge lr = 2/lambda_max.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ok, tempDir } from './cli';

const COLUMNS = ['index', 'lr', 'x', 'y', 'loss', 'status', 'steps', 'minimum'];
const N = 24;
// quadratic with lambda = (1, 10): GD is stable iff lr < 2/10.
const SWEEP = [
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
  '--n',
  String(N),
  '--steps',
  '3000',
  '--start',
  '1.5,1.5',
];

interface Row {
  index: number;
  lr: number;
  x: number;
  y: number;
  loss: number;
  status: string;
  steps: number;
  minimum: string | null;
}

function parseCsv(text: string): { header: string[]; rows: Row[] } {
  const lines = text.trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => {
    const c = l.split(',');
    return { index: +c[0], lr: +c[1], x: +c[2], y: +c[3], loss: +c[4], status: c[5], steps: +c[6], minimum: c[7] === '' ? null : c[7] };
  });
  return { header, rows };
}

function checkStabilityEdge(rows: Row[]): void {
  expect(rows).toHaveLength(N);
  rows.forEach((r, i) => expect(r.index).toBe(i));
  expect(rows[0].lr).toBe(0.1);
  expect(rows[N - 1].lr).toBe(0.3);
  for (let i = 1; i < N; i++) expect(rows[i].lr).toBeGreaterThan(rows[i - 1].lr);
  for (const r of rows) {
    if (r.lr < 0.2) {
      expect(r.status, `lr ${r.lr}`).toBe('converged');
      expect(r.minimum, `lr ${r.lr}`).toBe('origin');
      expect(Math.hypot(r.x, r.y)).toBeLessThan(1e-3);
    } else {
      expect(r.status, `lr ${r.lr}`).toBe('diverged');
      expect(r.minimum, `lr ${r.lr}`).toBeNull();
    }
  }
  expect(rows.some((r) => r.lr < 0.2) && rows.some((r) => r.lr > 0.2)).toBe(true);
}

describe('etascape sweep', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('--out x.csv (CPU engine): N rows, the columns, lr < 0.2 converges to origin, lr > 0.2 diverges', () => {
    const file = join(dir, 'x.csv');
    const out = ok([...SWEEP, '--engine', 'cpu', '--out', file]);
    const { header, rows } = parseCsv(readFileSync(file, 'utf8'));
    expect(header).toEqual(COLUMNS);
    checkStabilityEdge(rows);
    // The summary goes to stdout when --out is given.
    expect(out).toMatch(/status:\s+converged \d+, diverged \d+/);
    expect(out).toMatch(/minimum:\s+origin \d+/);
    expect(out).toMatch(/smallest lr that diverged: 0\.2\d*/);
    expect(out).toContain(`wrote ${N} rows to ${file}`);
  });

  it('--out x.json (GPU engine, the default): the same rows as objects, with a summary', () => {
    const file = join(dir, 'x.json');
    ok([...SWEEP, '--out', file, '--steps-per-dispatch', '250']);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.engine).toBe('gpu');
    expect(doc.columns).toEqual(COLUMNS);
    expect(doc.rows).toHaveLength(N);
    for (const r of doc.rows) expect(Object.keys(r)).toEqual(COLUMNS);
    checkStabilityEdge(doc.rows);
    const converged = doc.rows.filter((r: Row) => r.status === 'converged').length;
    expect(doc.summary.status).toEqual({ converged, diverged: N - converged });
    expect(doc.summary.minimum).toEqual({ origin: converged });
    expect(doc.summary.smallest_diverged_lr).toBe(Math.min(...doc.rows.filter((r: Row) => r.status === 'diverged').map((r: Row) => r.lr)));

    // The CPU reference agrees particle by particle.
    const cpu = parseCsv(readFileSync(join(dir, 'x.csv'), 'utf8')).rows;
    doc.rows.forEach((r: Row, i: number) => {
      expect(r.status).toBe(cpu[i].status);
      expect(r.steps).toBe(cpu[i].steps);
    });
  });

  it('without --out: CSV on stdout, the summary on stderr', () => {
    const r = cli([
      'sweep',
      '--surface',
      'quadratic',
      '--optimizer',
      'gd',
      '--lr-min',
      '0.1',
      '--lr-max',
      '0.3',
      '--n',
      '5',
      '--steps',
      '50',
      '--engine',
      'cpu',
    ]);
    expect(r.code).toBe(0);
    const { header, rows } = parseCsv(r.stdout);
    expect(header).toEqual(COLUMNS);
    expect(rows).toHaveLength(5);
    expect(r.stderr).toMatch(/^etascape sweep: 5 particles/m);
    expect(r.stderr).toMatch(/smallest lr that diverged/);
  });

  it('quotes minimum names that hold commas (himmelblau)', () => {
    const out = ok([
      'sweep',
      '--surface',
      'himmelblau',
      '--optimizer',
      'gd',
      '--lr-min',
      '0.01',
      '--lr-max',
      '0.015',
      '--n',
      '3',
      '--steps',
      '2000',
      '--start',
      '1,1',
      '--engine',
      'cpu',
    ]);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const l of lines.slice(1)) expect(l).toMatch(/,converged,\d+,"\(3, 2\)"$/);
  });
});
