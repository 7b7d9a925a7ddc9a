// `map --model` over any hyperparameter (a momentum axis: each pixel's final loss = the
// `run --model --momentum m` of that pixel; `sweep --sweep momentum` = a column), the user's CSV data (--data FILE.csv
// --inputs --targets, and its explicit JSON form), and the refusals: exit 2, one line.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ok, tempDir } from './cli';

const MODEL = ['--model', 'mlp:2,4,1:tanh:standard', '--data', 'teacher', '--data-seed', '2'];

describe('map --model with a momentum axis', () => {
  it("each pixel's final loss = a separate run --momentum m at that pixel's lr; sweep --sweep momentum = a column", () => {
    const csv = join(tempDir(), 'm.csv');
    ok(['map', ...MODEL, '--x', 'lr:0.05:0.4:log', '--y', 'momentum:0:0.9', '--res', '3', '--steps', '40', '--csv', csv]);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ix,iy,lr,momentum,status,steps,event_step,loss,measure');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(9);
    const pixels = [rows[0], rows[8]]; // momentum 0 and 0.9
    const losses = pixels.map(([, , lr, momentum, , , , loss]) => {
      const run = JSON.parse(ok(['run', ...MODEL, '--lr', lr, '--momentum', momentum, '--steps', '40', '--json']));
      expect(Number(loss)).toBe(run.loss[run.loss.length - 1]);
      return Number(loss);
    });
    // The axis matters: the pixels of a row (one lr) end at different losses.
    expect(new Set(rows.filter((r) => r[0] === '2').map((r) => r[7])).size).toBe(3);
    expect(losses[0]).not.toBe(losses[1]);
    // sweep --sweep momentum at the last column's lr: its rows are that column, pixel for pixel.
    const sweep = ok(['sweep', ...MODEL, '--sweep', 'momentum:0:0.9', '--lr', rows[2][2], '--n', '3', '--steps', '40'])
      .trim()
      .split('\n');
    expect(sweep[0]).toBe('index,momentum,loss,loss0,status,steps,event_step');
    expect(sweep.slice(1).map((l) => l.split(',').slice(1, 3))).toEqual(rows.filter((r) => r[0] === '2').map((r) => [r[3], r[7]]));
  });
});

describe('--data FILE.csv', () => {
  it('the chosen columns by name (quoted header, extra columns, CRLF): model --out writes them as x and y', () => {
    const dir = tempDir();
    const data = join(dir, 'd.csv');
    const rows = [
      [0.5, -1, 0.25],
      [0.1, 2, -0.5],
      [-0.3, 0.7, 1],
      [1.5, 0.2, 0.3],
    ];
    writeFileSync(data, ['u,"v, second",comment,y', ...rows.map(([u, v, y], i) => `${u},${v},"note ${i}, ok",${y}`)].join('\r\n') + '\r\n');
    const flags = ['--model', 'mlp:2,3,1:tanh:mean-field', '--data', data, '--inputs', 'u,"v, second"', '--targets', 'y'];
    const problem = join(dir, 'p.json');
    ok(['model', ...flags, '--out', problem]);
    const p = JSON.parse(readFileSync(problem, 'utf8'));
    expect(p.x).toEqual(rows.map(([u, v]) => [Math.fround(u), Math.fround(v)]));
    expect(p.y).toEqual(rows.map(([, , y]) => [Math.fround(y)]));
  });
});

// The other refusals are checked where they are made (tests/unit/nn-axes.test.ts): each spawn costs a second.
describe('refused: exit 2, one line naming the parameter, row or column', () => {
  const csvFile = (text: string) => {
    const f = join(tempDir(), 'bad.csv');
    writeFileSync(f, text);
    return f;
  };
  const map = (...axes: string[]) => ['map', ...MODEL, ...axes, '--res', '2', '--steps', '2', '--csv', join(tempDir(), 'm.csv')];
  const cases: [string, () => string[], RegExp][] = [
    ['batch_size as an axis', () => map('--x', 'lr:0.1:1', '--y', 'batch_size:2:8'), /batch_size cannot be a network map axis/],
    [
      'a non-numeric CSV cell',
      () => ['run', '--model', 'mlp:1,2,1:tanh', '--data', csvFile('a,y\n1,2\n3,x\n'), '--inputs', 'a', '--targets', 'y'],
      /line 3, column 'y': 'x' is not a finite number/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = cli(args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
  }
});
