// `etascape run`: trajectories against closed forms and PyTorch's update formulas.

import { describe, expect, it } from 'vitest';
import { close, ok } from './cli';

type Row = [number, number, number, number];
interface RunJson {
  trajectory: Row[];
  status: string;
  steps: number;
  minimum: string | null;
}

const BOWL = '0.5*(x^2 + 10*y^2)';
const bowlLoss = (x: number, y: number) => 0.5 * (x * x + 10 * y * y);
const bowlGrad = (x: number, y: number): [number, number] => [x, 10 * y];

function run(args: string[]): RunJson {
  return JSON.parse(ok(['run', '--json', ...args]));
}

/** Float32 results against a float64 prediction. */
function expectRow(row: Row, x: number, y: number, what: string): void {
  expect(close(row[0], x, 1e-5, 1e-7), `${what}: x ${row[0]} vs ${x}`).toBe(true);
  expect(close(row[1], y, 1e-5, 1e-7), `${what}: y ${row[1]} vs ${y}`).toBe(true);
  expect(close(row[2], bowlLoss(x, y), 1e-5, 1e-7), `${what}: loss ${row[2]} vs ${bowlLoss(x, y)}`).toBe(true);
}

describe('etascape run --json: GD on a quadratic', () => {
  for (const lr of [0.1, 0.15]) {
    it(`follows x_{t+1} = x_t (1 - lr), y_{t+1} = y_t (1 - 10 lr) for lr ${lr}`, () => {
      const N = 30;
      const r = run(['--surface', BOWL, '--optimizer', 'gd', '--lr', String(lr), '--start', '1.5,-0.8', '--steps', String(N)]);
      expect(r.trajectory).toHaveLength(N + 1);
      expect(r.status).toBe('running');
      expect(r.steps).toBe(N);
      // Row 0 is the start (numbers print as the shortest decimal of their float32).
      expect(r.trajectory[0].slice(0, 2)).toEqual([1.5, -0.8]);
      expect(close(r.trajectory[0][2], bowlLoss(1.5, -0.8), 1e-6)).toBe(true);
      expect(r.trajectory[0][3]).toBe(lr);
      let x = 1.5;
      let y = -0.8;
      r.trajectory.forEach((row, t) => {
        expectRow(row, x, y, `row ${t}`);
        expect(row[3]).toBe(lr);
        x *= 1 - lr;
        y *= 1 - 10 * lr;
      });
    });
  }

  it('gives the same trajectory on the GPU engine (1e-5 relative)', () => {
    const args = ['--surface', BOWL, '--optimizer', 'SGD', '--lr', '0.05', '--momentum', '0.5', '--start', '1.5,-0.8', '--steps', '40'];
    const cpu = run(args);
    const gpu = run([...args, '--engine', 'gpu']);
    expect(gpu.trajectory).toHaveLength(cpu.trajectory.length);
    expect(gpu.status).toBe(cpu.status);
    cpu.trajectory.forEach((row, t) =>
      row.forEach((v, j) => expect(close(gpu.trajectory[t][j], v, 1e-5, 1e-12), `row ${t} col ${j}: gpu ${gpu.trajectory[t][j]} cpu ${v}`).toBe(true)),
    );
  });

  it('stops early with status "converged" and the minimum, rows = steps + 1', () => {
    for (const engine of ['cpu', 'gpu']) {
      const r = run(['--surface', 'quadratic', '--optimizer', 'gd', '--lr', '0.1', '--start', '1.5,1.5', '--steps', '500', '--engine', engine]);
      expect(r.status).toBe('converged');
      expect(r.minimum).toBe('origin');
      expect(r.steps).toBeGreaterThan(10);
      expect(r.steps).toBeLessThan(500);
      expect(r.trajectory).toHaveLength(r.steps + 1);
      const last = r.trajectory[r.steps];
      expect(Math.hypot(last[0], last[1])).toBeLessThan(1e-3);
    }
  });

  it('stops early with status "diverged" past lr = 2/lambda_max', () => {
    const r = run(['--surface', 'quadratic', '--optimizer', 'gd', '--lr', '0.25', '--start', '1.5,1.5', '--steps', '500']);
    expect(r.status).toBe('diverged');
    expect(r.minimum).toBeNull();
    expect(r.trajectory).toHaveLength(r.steps + 1);
    expect(Math.abs(r.trajectory[r.steps][1])).toBeGreaterThan(1e4);
    expect(Math.abs(r.trajectory[r.steps - 1][1])).toBeLessThanOrEqual(1e4);
  });

  it('takes --surface-param and --bound', () => {
    // lambda2 = 20: lr 0.15 > 2/20 diverges; with --bound 10 it stops sooner.
    const a = run(['--surface', 'quadratic', '--surface-param', 'lambda2=20', '--optimizer', 'gd', '--lr', '0.15', '--steps', '500']);
    const b = run(['--surface', 'quadratic', '--surface-param', 'lambda2=20', '--optimizer', 'gd', '--lr', '0.15', '--steps', '500', '--bound', '10']);
    expect(a.status).toBe('diverged');
    expect(b.status).toBe('diverged');
    expect(b.steps).toBeLessThan(a.steps);
  });
});

describe('etascape run --json: PyTorch update formulas, first two steps', () => {
  const lr = 0.01;
  const start: [number, number] = [1, 1];

  /** torch.optim.SGD (single tensor): buf = g at t = 0, then momentum*buf + (1 - dampening)*g. */
  function sgd(momentum: number, nesterov: boolean, steps: number): [number, number][] {
    let p = [...start];
    let buf = [0, 0];
    const out: [number, number][] = [[p[0], p[1]]];
    for (let t = 0; t < steps; t++) {
      const g = bowlGrad(p[0], p[1]);
      buf = t === 0 ? [...g] : buf.map((b, c) => momentum * b + g[c]);
      const d = momentum === 0 ? g : nesterov ? g.map((gc, c) => gc + momentum * buf[c]) : buf;
      p = p.map((pc, c) => pc - lr * d[c]);
      out.push([p[0], p[1]]);
    }
    return out;
  }

  /** torch.optim.Adam (single tensor, amsgrad off). */
  function adam(b1: number, b2: number, eps: number, steps: number): [number, number][] {
    let p = [...start];
    const m = [0, 0];
    const v = [0, 0];
    const out: [number, number][] = [[p[0], p[1]]];
    for (let t = 1; t <= steps; t++) {
      const g = bowlGrad(p[0], p[1]);
      p = p.map((pc, c) => {
        m[c] = b1 * m[c] + (1 - b1) * g[c];
        v[c] = b2 * v[c] + (1 - b2) * g[c] * g[c];
        const bc1 = 1 - b1 ** t;
        const bc2 = 1 - b2 ** t;
        return pc - (lr / bc1) * (m[c] / (Math.sqrt(v[c]) / Math.sqrt(bc2) + eps));
      });
      out.push([p[0], p[1]]);
    }
    return out;
  }

  const check = (r: RunJson, expected: [number, number][]) => {
    expect(r.trajectory).toHaveLength(expected.length);
    expected.forEach(([x, y], t) => expectRow(r.trajectory[t], x, y, `step ${t}`));
  };

  it('SGD --momentum 0.9 (heavy ball)', () => {
    const r = run(['--surface', BOWL, '--optimizer', 'sgd', '--lr', String(lr), '--momentum', '0.9', '--start', '1,1', '--steps', '2']);
    // By hand: g0 = (1, 10), p1 = (0.99, 0.9); g1 = (0.99, 9), buf1 = 0.9 g0 + g1 = (1.89, 18), p2 = (0.9711, 0.72).
    check(r, [
      [1, 1],
      [0.99, 0.9],
      [0.9711, 0.72],
    ]);
    check(r, sgd(0.9, false, 2));
  });

  it('SGD --momentum 0.9 --nesterov', () => {
    const r = run(['--surface', BOWL, '--optimizer', 'SGD', '--lr', String(lr), '--momentum', '0.9', '--nesterov', '--start', '1,1', '--steps', '2']);
    // By hand: d0 = g0 + 0.9 g0 = (1.9, 19), p1 = (0.981, 0.81); g1 = (0.981, 8.1), buf1 = (1.881, 17.1),
    // d1 = g1 + 0.9 buf1 = (2.6739, 23.49), p2 = (0.954261, 0.5751).
    check(r, [
      [1, 1],
      [0.981, 0.81],
      [0.954261, 0.5751],
    ]);
    check(r, sgd(0.9, true, 2));
    // --nesterov=true and --nesterov true are the same flag.
    expect(run(['--surface', BOWL, '--optimizer', 'sgd', '--lr', String(lr), '--momentum=0.9', '--nesterov=true', '--start', '1,1', '--steps', '2'])).toEqual(
      r,
    );
    expect(
      run(['--surface', BOWL, '--optimizer', 'sgd', '--lr', String(lr), '--momentum', '0.9', '--nesterov', 'true', '--start', '1,1', '--steps', '2']),
    ).toEqual(r);
  });

  it('Adam --betas 0.9,0.99', () => {
    const r = run(['--surface', BOWL, '--optimizer', 'adam', '--lr', String(lr), '--betas', '0.9,0.99', '--start', '1,1', '--steps', '2']);
    // By hand, step 1: m = 0.1 g, v = 0.01 g^2, bias corrections 0.1 and 0.01: p1 = p0 - lr sign(g) = (0.99, 0.99).
    expectRow(r.trajectory[1], 0.99, 0.99, 'step 1 by hand');
    check(r, adam(0.9, 0.99, 1e-8, 2));
    // The default betas (0.9, 0.999) give different numbers; --beta2 alone is the same as --betas.
    const d = run(['--surface', BOWL, '--optimizer', 'adam', '--lr', String(lr), '--start', '1,1', '--steps', '2']);
    check(d, adam(0.9, 0.999, 1e-8, 2));
    expect(run(['--surface', BOWL, '--optimizer', 'Adam', '--lr', String(lr), '--beta2', '0.99', '--start', '1,1', '--steps', '2'])).toEqual(r);
  });

  it('--weight_decay and --dampening enter as in PyTorch', () => {
    const r = run([
      '--surface',
      BOWL,
      '--optimizer',
      'sgd',
      '--lr',
      '0.01',
      '--momentum',
      '0.9',
      '--dampening',
      '0.5',
      '--weight-decay',
      '0.1',
      '--start',
      '1,1',
      '--steps',
      '2',
    ]);
    // g = grad + 0.1 p; buf0 = g0; buf1 = 0.9 buf0 + 0.5 g1.
    const g0 = [1 + 0.1, 10 + 0.1];
    const p1 = [1 - 0.01 * g0[0], 1 - 0.01 * g0[1]];
    const g1 = [p1[0] + 0.1 * p1[0], 10 * p1[1] + 0.1 * p1[1]];
    const buf1 = [0.9 * g0[0] + 0.5 * g1[0], 0.9 * g0[1] + 0.5 * g1[1]];
    const p2 = [p1[0] - 0.01 * buf1[0], p1[1] - 0.01 * buf1[1]];
    expectRow(r.trajectory[1], p1[0], p1[1], 'step 1');
    expectRow(r.trajectory[2], p2[0], p2[1], 'step 2');
  });
});

describe('etascape run: the summary', () => {
  it('prints the final point, status, minimum, known minima with 2/lambda_max, and rows', () => {
    const out = ok(['run', '--surface', 'quadratic', '--optimizer', 'gd', '--lr', '0.1', '--start', '1.5,1.5', '--steps', '500']);
    expect(out).toMatch(/^final\s+x=/m);
    expect(out).toMatch(/^status\s+converged after \d+ steps/m);
    expect(out).toMatch(/^minimum\s+origin/m);
    expect(out).toContain('2/lambda_max');
    expect(out).toMatch(/^\s+origin\s+0\s+0\s+0\s+1, 10\s+0\.2\s+global/m);
    expect(out).toMatch(/trajectory \(\d+ rows/);
    expect(out).toMatch(/^\s+0\s+1\.5\s+1\.5\s+12\.375\s+0\.1$/m);
  });

  it('reports the surface default start and defaults when flags are left out', () => {
    const r = run(['--surface', 'rosenbrock', '--steps', '3']);
    expect(r.trajectory[0].slice(0, 2)).toEqual([-1.5, 2]);
    expect(r.trajectory[0][3]).toBe(0.001); // SGD's default lr
  });
});

describe('gradient clipping flags', () => {
  it('--clip_norm: from a symmetric start, GD on a quadratic with lr*lambda > 2 jumps by lr*C', () => {
    const rows = JSON.parse(
      ok(['run', '--surface', '5*(x^2+y^2)', '--optimizer', 'gd', '--lr', '0.3', '--start', '0.15,0', '--steps', '6', '--clip_norm', '1', '--json']),
    ).trajectory as number[][];
    expect(rows).toHaveLength(7);
    for (let t = 1; t < rows.length; t++) expect(Math.abs(rows[t][0] - rows[t - 1][0])).toBeCloseTo(0.3, 5);
  });
});
