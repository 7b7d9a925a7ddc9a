// Networks on the command line: `run --model` against an independent float64 computation
// written here (forward, backward by hand, GD with a learning rate per layer; the
// Hessian by central differences of that gradient), `map --model` on the fractal's
// setup, `model` writing the explicit form, and every bad input's message and exit code.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, close, ok, tempDir } from './cli';

/** A 2-3-1 tanh problem with 8 points, written out by hand (no engine code). */
const X = [
  [0.5, -1],
  [1, 0.25],
  [-0.75, 0.5],
  [0.1, 0.9],
  [-1.2, -0.3],
  [0.8, -0.6],
  [0.3, 0.3],
  [-0.4, 1.1],
];
const Y = [[0.2], [-0.5], [0.7], [0.1], [-0.3], [0.4], [0], [0.6]];
const W0 = [
  [0.6, -0.4, 0.9],
  [-0.3, 0.8, 0.2],
];
const W1 = [[0.7], [-0.5], [0.4]];

/** Loss and gradient (dW0, dW1) in float64, for standard or mean-field scaling. */
function lossGrad(w0: number[][], w1: number[][], meanField: boolean): { loss: number; g0: number[][]; g1: number[][] } {
  const s0 = 1 / Math.sqrt(2);
  const s1 = meanField ? 1 / 3 : 1 / Math.sqrt(3);
  const n = X.length;
  let loss = 0;
  const g0 = w0.map((r) => r.map(() => 0));
  const g1 = w1.map((r) => r.map(() => 0));
  for (let p = 0; p < n; p++) {
    const z = [0, 1, 2].map((j) => s0 * (X[p][0] * w0[0][j] + X[p][1] * w0[1][j]));
    const h = z.map(Math.tanh);
    const f = s1 * (h[0] * w1[0][0] + h[1] * w1[1][0] + h[2] * w1[2][0]);
    const e = f - Y[p][0];
    loss += (e * e) / n;
    const df = (2 * e) / n;
    for (let j = 0; j < 3; j++) {
      g1[j][0] += df * s1 * h[j];
      const dz = df * s1 * w1[j][0] * (1 - h[j] * h[j]);
      for (let i = 0; i < 2; i++) g0[i][j] += dz * s0 * X[p][i];
    }
  }
  return { loss, g0, g1 };
}

/** GD's loss curve; at step t each layer's lr is multiplied by factor(t) (a schedule). */
function gdCurve(lr0: number, lr1: number, steps: number, meanField: boolean, factor = (_t: number) => 1): number[] {
  let w0 = W0.map((r) => r.slice());
  let w1 = W1.map((r) => r.slice());
  const out: number[] = [];
  for (let t = 0; t <= steps; t++) {
    const { loss, g0, g1 } = lossGrad(w0, w1, meanField);
    out.push(loss);
    const k = factor(t);
    w0 = w0.map((r, i) => r.map((v, j) => v - k * lr0 * g0[i][j]));
    w1 = w1.map((r, i) => r.map((v, j) => v - k * lr1 * g1[i][j]));
  }
  return out;
}

/** The Hessian's eigenvalue of largest magnitude at the start (central differences of the gradient, then power iteration). */
function startSharpness(meanField: boolean): number {
  const flat = (a: number[][], b: number[][]) => [...a.flat(), ...b.flat()];
  const unflat = (v: number[]): [number[][], number[][]] => [
    [v.slice(0, 3), v.slice(3, 6)],
    [[v[6]], [v[7]], [v[8]]],
  ];
  const th = flat(W0, W1);
  const grad = (v: number[]) => {
    const g = lossGrad(...unflat(v), meanField);
    return flat(g.g0, g.g1);
  };
  const eps = 1e-5;
  const H = th.map((_, k) => {
    const up = th.slice();
    const dn = th.slice();
    up[k] += eps;
    dn[k] -= eps;
    const gu = grad(up);
    const gd = grad(dn);
    return gu.map((v, q) => (v - gd[q]) / (2 * eps));
  });
  let v = th.map((_, k) => 1 + 0.1 * k);
  let lambda = 0;
  for (let it = 0; it < 2000; it++) {
    const norm = Math.hypot(...v);
    v = v.map((x) => x / norm);
    const hv = v.map((_, r) => H[r].reduce((s, h, c) => s + 0.5 * (h + H[c][r]) * v[c], 0));
    lambda = hv.reduce((s, x, k) => s + x * v[k], 0);
    v = hv;
  }
  return lambda;
}

function problemFile(extra: Record<string, unknown> = {}, parameterization = 'standard'): string {
  const file = join(tempDir(), 'problem.json');
  writeFileSync(file, JSON.stringify({ activation: 'tanh', parameterization, weights: [W0, W1], x: X, y: Y, ...extra }));
  return file;
}

describe('etascape run --model', () => {
  for (const pz of ['standard', 'mean-field']) {
    it(`${pz}: the loss curve of GD with one lr per layer = an independent float64 computation within 1e-3`, () => {
      const r = JSON.parse(ok(['run', '--model', problemFile({}, pz), '--optimizer', 'sgd', '--lr_layers', '0.5,0.3', '--steps', '60', '--json']));
      const want = gdCurve(0.5, 0.3, 60, pz === 'mean-field');
      expect(r.loss).toHaveLength(61);
      expect(r.status).toBe('running');
      expect(want[60]).toBeLessThan(0.8 * want[0]); // a real training run
      r.loss.forEach((v: number, t: number) => expect(close(v, want[t], 1e-3), `L_${t}: ${v} vs ${want[t]}`).toBe(true));
    });
  }

  it("--schedule scales every layer's lr as PyTorch's scheduler does: StepLR halves both every 15 steps", () => {
    const args = ['run', '--model', problemFile(), '--optimizer', 'sgd', '--lr_layers', '0.5,0.3', '--steps', '60', '--json'];
    const r = JSON.parse(ok([...args, '--schedule', 'StepLR(step_size=15, gamma=0.5)']));
    const want = gdCurve(0.5, 0.3, 60, false, (t) => 0.5 ** Math.floor(t / 15));
    r.loss.forEach((v: number, t: number) => expect(close(v, want[t], 1e-3), `L_${t}: ${v} vs ${want[t]}`).toBe(true));
    // Not the constant-lr curve: the schedule took effect.
    const flat = gdCurve(0.5, 0.3, 60, false);
    expect(Math.abs(r.loss[60] - flat[60])).toBeGreaterThan(1e-2 * flat[60]);
    const bad = cli([...args, '--schedule', 'StepLR(gamma=0.5)']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^etascape: --schedule: .*step_size/);
  });

  it("--lr sets every layer; --sharpness-every K adds [step, top eigenvalue] pairs, the first = the Hessian's by finite differences", () => {
    const file = problemFile();
    const r = JSON.parse(ok(['run', '--model', file, '--lr', '0.4', '--steps', '20', '--sharpness-every', '10', '--json']));
    const want = gdCurve(0.4, 0.4, 20, false);
    r.loss.forEach((v: number, t: number) => expect(close(v, want[t], 1e-3)).toBe(true));
    expect(r.sharpness.map((s: number[]) => s[0])).toEqual([0, 10, 20]);
    expect(close(r.sharpness[0][1], startSharpness(false), 1e-3)).toBe(true);
  });

  it('model writes the explicit form of a built-in problem; run on that file = run on the description', () => {
    const file = join(tempDir(), 'out', 'teacher.json');
    ok(['model', '--model', 'mlp:3,4,1:tanh:mean-field', '--data', 'teacher', '--data-seed', '3', '--out', file]);
    const p = JSON.parse(readFileSync(file, 'utf8'));
    expect(p.activation).toBe('tanh');
    expect(p.parameterization).toBe('mean-field');
    expect(p.weights.map((w: number[][]) => [w.length, w[0].length])).toEqual([
      [3, 4],
      [4, 1],
    ]);
    expect(p.x).toHaveLength(16); // teacher: as many points as parameters
    expect(p.x[0]).not.toEqual(p.weights[0][0].slice(0, 3)); // weights and inputs are separate draws
    const args = ['--optimizer', 'sgd', '--lr', '0.2', '--steps', '10', '--json'];
    const fromFile = JSON.parse(ok(['run', '--model', file, ...args]));
    const fromSpec = JSON.parse(ok(['run', '--model', 'mlp:3,4,1:tanh:mean-field', '--data', 'teacher', '--data-seed', '3', ...args]));
    expect(fromFile.loss).toEqual(fromSpec.loss);
  });
});

describe('etascape map --model', () => {
  it('the fractal setup, lr_layer0 x lr_layer1, fractal measure: CSV shape, log axes, both outcomes present; a PNG', () => {
    const dir = tempDir();
    const csv = join(dir, 'map.csv');
    const png = join(dir, 'map.png');
    ok([
      'map',
      '--model',
      'mlp:4,4,1:tanh:mean-field:gain=sqrt2',
      '--data',
      'teacher',
      '--x',
      'lr_layer0:0.3:100:log',
      '--y',
      'lr_layer1:0.3:100:log',
      '--res',
      '8',
      '--steps',
      '60',
      '--measure',
      'fractal',
      '--csv',
      csv,
      '--out',
      png,
    ]);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ix,iy,lr_layer0,lr_layer1,status,steps,event_step,loss,measure');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(64);
    expect(rows.map((r) => `${r[0]},${r[1]}`)).toEqual(Array.from({ length: 64 }, (_, i) => `${i % 8},${Math.floor(i / 8)}`));
    expect(Number(rows[0][2])).toBeCloseTo(0.3, 6);
    expect(Number(rows[7][2])).toBeCloseTo(100, 4);
    expect(Number(rows[1][2]) / Number(rows[0][2])).toBeCloseTo(Number(rows[2][2]) / Number(rows[1][2]), 5);
    const statuses = new Set(rows.map((r) => r[4]));
    expect(statuses).toEqual(new Set(['converged', 'diverged']));
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('bad network input: exit 2, one line naming what is wrong', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['shapes disagree', () => ['run', '--model', problemFile({ weights: [W0, [[0.1], [0.2]]] })], /weights\[1\] has 2 rows; it must have 3/],
    ['x and y rows differ', () => ['run', '--model', problemFile({ y: Y.slice(0, 5) })], /x has 8 rows and y 5/],
    [
      'a non-finite number',
      () => {
        const file = join(tempDir(), 'inf.json');
        writeFileSync(file, JSON.stringify({ activation: 'tanh', parameterization: 'standard', weights: [W0, W1], x: X, y: Y }).replace('0.6', '1e999'));
        return ['run', '--model', file];
      },
      /weights\[0\]\[0\]\[0\].*finite/,
    ],
    ['unknown activation (JSON)', () => ['run', '--model', problemFile({ activation: 'swish' })], /activation/],
    ['unknown activation (description)', () => ['run', '--model', 'mlp:2,3,1:swish'], /unknown field 'swish'/],
    ['too big for the device', () => ['run', '--model', 'mlp:64,64,1:tanh'], /too many parameters: 4160 > 1024/],
    [
      'an axis that is not a layer',
      () => ['map', '--model', 'mlp:2,3,1:tanh', '--x', 'lr_layer5:1:2', '--y', 'lr_layer0:1:2', '--csv', join(tempDir(), 'm.csv')],
      /lr_layer0\.\.lr_layer1/,
    ],
    ['wrong number of layer rates', () => ['run', '--model', 'mlp:2,3,1:tanh', '--lr_layers', '0.1'], /1 learning rates for 2 weight matrices/],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = cli(args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^etascape: /);
      expect(lines[0]).toMatch(message);
    });
  }
});
