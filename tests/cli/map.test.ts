// `etascape map`: the PNG (size, map pixels under their CSV rows, legend text), the CSV,
// the summary line (and no progress text when piped), the engines agreeing, every error.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  BASIN_DIVERGED,
  BASIN_OTHER,
  BASIN_PALETTE,
  BASIN_RUNNING,
  CONVERGED_LUT,
  DIVERGED_LUT,
  RUNNING_LUT,
  stepBucket,
  unpackRgba,
} from '../../src/core/analysis/map';
import { axisValue } from '../../src/core/layouts';
import { mapFigureGeometry, type MapAxis } from '../../src/display/map-figure';
import { cli, ok, tempDir } from './cli';

const W = 640;
const H = 420;
const X: MapAxis = { param: 'lr', min: 0.01, max: 0.6, n: 24, scale: 'log' };
const Y: MapAxis = { param: 'momentum', min: 0, max: 0.9, n: 10 };
const STEPS = 300;
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
  '24,10',
  '--steps',
  String(STEPS),
  '--size',
  `${W},${H}`,
  '--start',
  '1,1',
];

interface Row {
  ix: number;
  iy: number;
  x: number;
  y: number;
  status: string;
  steps: number;
  event: number;
  minimum: string;
  loss: number;
}

function readCsv(path: string): { header: string[]; rows: Row[] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const rows = lines.map((l) => {
    const c = l.split(',');
    return { ix: +c[0], iy: +c[1], x: +c[2], y: +c[3], status: c[4], steps: +c[5], event: +c[6], minimum: c[7], loss: Number(c[8]) };
  });
  return { header: head.split(','), rows };
}

function readPng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

const pixel = (png: PNG, px: number, py: number) => {
  const k = 4 * (Math.floor(py) * png.width + Math.floor(px));
  return [png.data[k], png.data[k + 1], png.data[k + 2], png.data[k + 3]];
};

/** The PNG pixel at the centre of map pixel (ix, iy). */
function mapPixelOf(png: PNG, ix: number, iy: number): number[] {
  const g = mapFigureGeometry(W, H, X, Y);
  return pixel(png, g.image.left + ((ix + 0.5) / X.n) * g.image.width, g.image.top + g.image.height - ((iy + 0.5) / Y.n) * g.image.height);
}

describe('etascape map', () => {
  it('writes the figure and the CSV; every CSV row has its colour at its place in the PNG', () => {
    const dir = tempDir();
    const png = join(dir, 'out', 'map.png');
    const csv = join(dir, 'map.csv');
    const r = cli([...MAP, '--out', png, '--csv', csv]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*map\.png \(640x420\), .*map\.csv \(240 rows\)/);
    // one summary line, no progress bar text (stderr is a pipe here)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^etascape map: 24x10 lr x momentum, .*converged [\d.]+% \(origin [\d.]+%\), diverged [\d.]+%, non-finite [\d.]+%, running [\d.]+%$/m,
    );
    expect(r.stderr).not.toMatch(/ETA|░|█|\r/);

    const { header, rows } = readCsv(csv);
    expect(header).toEqual(['ix', 'iy', 'lr', 'momentum', 'status', 'steps', 'event_step', 'minimum', 'loss']);
    expect(rows).toHaveLength(24 * 10);
    const image = readPng(png);
    expect([image.width, image.height]).toEqual([W, H]);
    const counts: Record<string, number> = {};
    for (const row of rows) {
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      expect(row.x).toBeCloseTo(axisValue(X.min, X.max, X.n, row.ix, 'log'), 6);
      expect(row.y).toBeCloseTo(axisValue(Y.min, Y.max, Y.n, row.iy), 6);
      const got = mapPixelOf(image, row.ix, row.iy);
      if (row.status === 'converged') {
        expect(got).toEqual(unpackRgba(CONVERGED_LUT[stepBucket(row.event, STEPS, CONVERGED_LUT.length)]));
        expect(row.minimum).toBe('origin');
      } else if (row.status === 'diverged' || row.status === 'nonfinite') {
        expect(got).toEqual(unpackRgba(DIVERGED_LUT[stepBucket(row.event, STEPS, DIVERGED_LUT.length)]));
      } else {
        expect(Array.from(RUNNING_LUT).map((c) => unpackRgba(c).join())).toContain(got.join());
        expect(row.steps).toBe(STEPS);
      }
    }
    // the map has all three outcomes; the summary's fractions are the CSV's
    expect(counts.converged).toBeGreaterThan(10);
    expect(counts.running).toBeGreaterThan(10);
    expect((counts.diverged ?? 0) + (counts.nonfinite ?? 0)).toBeGreaterThan(10);
    const conv = Number(/converged ([\d.]+)%/.exec(r.stderr)![1]);
    expect(conv).toBeCloseTo((100 * counts.converged) / 240, 1);
    // legend text: dark grey ink right of the image
    const g = mapFigureGeometry(W, H, X, Y);
    let ink = 0;
    for (let py = g.legend.top; py < H; py++)
      for (let px = g.legend.left; px < W; px++) {
        const p = pixel(image, px, py);
        if (p[0] < 120 && p[0] === p[1] && p[1] === p[2]) ink++;
      }
    expect(ink).toBeGreaterThan(300);
  });

  it('--color basin: the colour of each run is its minimum, or diverged / running', () => {
    const dir = tempDir();
    const png = join(dir, 'b.png');
    const csv = join(dir, 'b.csv');
    ok([
      'map',
      '--surface',
      'double-well',
      '--lr',
      '0.02',
      '--x',
      'x0:-2:2.5',
      '--y',
      'y0:-1:1',
      '--res',
      '24,10',
      '--steps',
      '1500',
      '--size',
      `${W},${H}`,
      '--color',
      'basin',
      '--out',
      png,
      '--csv',
      csv,
    ]);
    const { header, rows } = readCsv(csv);
    expect(header.slice(2, 4)).toEqual(['x0', 'y0']);
    const image = readPng(png);
    const names = ['flat', 'sharp'];
    const seen = new Set<string>();
    const gx: MapAxis = { param: 'x0', min: -2, max: 2.5, n: 24 };
    const gy: MapAxis = { param: 'y0', min: -1, max: 1, n: 10 };
    const g = mapFigureGeometry(W, H, gx, gy);
    for (const row of rows) {
      const got = pixel(image, g.image.left + ((row.ix + 0.5) / 24) * g.image.width, g.image.top + g.image.height - ((row.iy + 0.5) / 10) * g.image.height);
      const want =
        row.status === 'converged'
          ? row.minimum
            ? BASIN_PALETTE[names.indexOf(row.minimum)]
            : BASIN_OTHER
          : row.status === 'running'
            ? BASIN_RUNNING
            : BASIN_DIVERGED;
      expect(got).toEqual(unpackRgba(want));
      seen.add(row.minimum);
    }
    expect(seen.has('flat') && seen.has('sharp')).toBe(true);
  });

  it('the CPU reference writes the same CSV as the GPU', () => {
    const dir = tempDir();
    const args = [
      'map',
      '--surface',
      'quadratic',
      '--optimizer',
      'sgd',
      '--x',
      'lr:0.01:0.3:log',
      '--y',
      'momentum:0:0.9',
      '--res',
      '12,6',
      '--steps',
      '200',
      '--start',
      '1,1',
    ];
    ok([...args, '--out', join(dir, 'g.png'), '--csv', join(dir, 'g.csv')]);
    ok([...args, '--engine', 'cpu', '--out', join(dir, 'c.png'), '--csv', join(dir, 'c.csv')]);
    expect(readFileSync(join(dir, 'c.csv'), 'utf8')).toBe(readFileSync(join(dir, 'g.csv'), 'utf8'));
    // the same map image (the legend's notes name the engine)
    const [c, g] = [readPng(join(dir, 'c.png')), readPng(join(dir, 'g.png'))];
    const r = mapFigureGeometry(900, 600, { ...X, n: 12 }, { ...Y, n: 6 }).image;
    let same = 0;
    for (let py = r.top; py < r.top + r.height; py++)
      for (let px = r.left; px < r.left + r.width; px++) if (pixel(c, px, py).join() === pixel(g, px, py).join()) same++;
    expect(same).toBe(r.width * r.height);
  });

  it('sweep and run print no progress text when piped', () => {
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
      '64',
      '--steps',
      '500',
      '--engine',
      'cpu',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/ETA|░|█|\r/);
    expect(r.stderr).not.toContain('\u001b'); // no terminal escapes
    const run = cli(['run', '--surface', 'quadratic', '--lr', '0.1', '--steps', '50']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  const A = ['map', '--surface', 'quadratic', '--out', join(tempDir(), 'e.png')];
  const errors: [string, string[], RegExp][] = [
    [
      'unknown axis parameter',
      ['--x', 'foo:0:1', '--y', 'momentum:0:0.9'],
      /--x: SGD has no parameter 'foo' \(axes: lr, momentum, dampening, weight_decay, x0, y0\)/,
    ],
    ['a flag as an axis', ['--x', 'lr:0.01:0.1', '--y', 'nesterov:0:1'], /--y: nesterov is a flag/],
    ['min >= max', ['--x', 'lr:0.1:0.1', '--y', 'momentum:0:0.9'], /--x: the minimum 0.1 must be below the maximum 0.1/],
    ['log with min <= 0', ['--x', 'lr:0:0.1:log', '--y', 'momentum:0:0.9'], /--x: a log axis needs a minimum > 0, got 0/],
    ['bad scale', ['--x', 'lr:0.01:0.1:sqrt', '--y', 'momentum:0:0.9'], /--x: the scale must be log or lin/],
    ['malformed axis', ['--x', 'lr:0.01', '--y', 'momentum:0:0.9'], /--x: expected PARAM:MIN:MAX\[:log\|lin\]/],
    ['non-number in an axis', ['--x', 'lr:abc:0.1', '--y', 'momentum:0:0.9'], /--x minimum: expected a finite number, got 'abc'/],
    ['value out of range', ['--x', 'lr:0.01:0.1', '--y', 'dampening:0:1.5'], /--y: SGD: dampening must satisfy 0 <= dampening <= 1, got 1.5/],
    ['negative momentum', ['--x', 'lr:0.01:0.1', '--y', 'momentum:-0.5:0.9'], /--y: SGD: momentum must satisfy 0 <= momentum, got -0.5/],
    ['lr not positive', ['--x', 'lr:-1:0.1', '--y', 'momentum:0:0.9'], /--x: SGD: lr must satisfy/],
    ['res 0', ['--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--res', '0'], /--res: expected N or NX,NY with whole numbers 1..4096, got '0'/],
    ['res too large', ['--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--res', '64,5000'], /--res: .* got '64,5000'/],
    ['res not a number', ['--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--res', '1.5'], /--res: .* got '1.5'/],
    ['same axis twice', ['--x', 'lr:0.01:0.1', '--y', 'lr:0.1:0.2'], /--y: lr is already the x axis/],
    [
      'axis also given as a flag',
      ['--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--momentum', '0.5'],
      /--momentum: momentum is the map's y axis; leave the flag out/,
    ],
    ['missing --y', ['--x', 'lr:0.01:0.1'], /map needs --x and --y/],
    ['bad colouring', ['--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--color', 'rainbow'], /--color: expected outcome or basin, got 'rainbow'/],
  ];
  for (const [name, args, message] of errors) {
    it(`error: ${name} -> exit 2, one line`, () => {
      const r = cli([...A, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^etascape: /);
      expect(lines[0]).toMatch(message);
    });
  }

  it('error: --out must be a PNG, --csv a CSV', () => {
    const r = cli(['map', '--surface', 'quadratic', '--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--out', 'map.jpg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out: the file name must end in .png/);
    const c = cli(['map', '--surface', 'quadratic', '--x', 'lr:0.01:0.1', '--y', 'momentum:0:0.9', '--out', join(tempDir(), 'm.png'), '--csv', 'm.txt']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--csv: the file name must end in .csv/);
  });

  it('bench has a map workload: GPU whole map vs CPU reference rows, extrapolated, as a ratio', () => {
    const r = JSON.parse(
      ok(['bench', '--n', '1024', '--steps', '2', '--min-seconds', '0.05', '--cpu-seconds', '0.05', '--map-res', '16', '--map-steps', '50', '--json']),
    );
    expect(r.map).toMatchObject({ surface: 'rosenbrock', res: 16, steps: 50 });
    expect(r.map.gpu_particle_steps).toBeGreaterThan(0);
    expect(r.map.gpu_particle_steps).toBeLessThanOrEqual(16 * 16 * 50);
    expect(r.map.cpu_rows).toBeGreaterThanOrEqual(1);
    expect(r.map.cpu_rows).toBeLessThan(16);
    expect(r.map.cpu_seconds_extrapolated).toBeCloseTo((r.map.cpu_seconds_measured * 16) / r.map.cpu_rows, 9);
    expect(r.ratios.map_gpu_vs_cpu).toBeCloseTo(r.map.cpu_seconds_extrapolated / r.map.gpu_seconds, 9);
    expect(ok(['bench', '--n', '1024', '--steps', '2', '--min-seconds', '0.05', '--cpu-seconds', '0.05', '--map-res', '0', '--json'])).not.toMatch(/"map"/);
  });

  it('map --help lists the axis flags', () => {
    const out = ok(['map', '--help']);
    expect(out).toMatch(/--x PARAM:MIN:MAX\[:log\|lin\]/);
    expect(out).toMatch(/--color outcome\|basin/);
    expect(ok(['--help'])).toMatch(/^ {2}map /m);
  });
});
