import { describe, expect, it } from 'vitest';
import { classify, CpuEngine } from '../../src/core/engine/cpu';
import { minimaTable, type MinimaTable } from '../../src/core/engine/engine';
import { Evaluator } from '../../src/core/expr/program';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, NO_MINIMUM, particleAt, particleSteps, type ParticleView, type RunConfig } from '../../src/core/particles';
import { resolveSurface, Surface } from '../../src/core/surfaces';

const f = Math.fround;

function engineFor(surface: Surface, layout: Layout, hyper: Record<string, number | boolean> = {}, optimizer = 'SGD', config: RunConfig = DEFAULT_RUN_CONFIG) {
  const opt = getOptimizer(optimizer);
  const particles = buildParticles(layout, opt, hyper);
  return new CpuEngine({ surface, optimizer: opt, particles, config });
}

function single(surface: Surface, start: [number, number], lr: number, hyper: Record<string, number | boolean> = {}, optimizer = 'SGD', config?: RunConfig) {
  return engineFor(surface, { kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, hyper, optimizer, config);
}

async function views(engine: CpuEngine): Promise<ParticleView[]> {
  const p = await engine.read();
  return Array.from({ length: p.n }, (_, i) => particleAt(p, i));
}

const quad = resolveSurface('quadratic'); // lambda 1 and 10: GD stable iff lr < 0.2

describe('status transitions', () => {
  it('GD with lr < 2/lambda_max converges to the origin; eventStep is the step count', async () => {
    const e = single(quad, [1.5, 1.5], 0.15);
    e.step(5000);
    const [p] = await views(e);
    expect(p.status).toBe('converged');
    expect(p.minimum).toBe(0);
    expect(quad.minima[p.minimum!].name).toBe('origin');
    expect(p.eventStep).toBe(p.steps);
    expect(p.steps).toBeGreaterThan(10);
    expect(p.steps).toBeLessThan(5000);
    expect(Math.hypot(p.x, p.y)).toBeLessThan(1e-3);
    // The convergence test: |grad| <= gtol.
    const g = quad.evaluate(p.x, p.y);
    expect(Math.hypot(g.gx, g.gy)).toBeLessThanOrEqual(1.0001 * DEFAULT_RUN_CONFIG.gtol);
  });

  it('GD with lr > 2/lambda_max diverges past the position bound', async () => {
    const e = single(quad, [1.5, 1.5], 0.25);
    e.step(5000);
    const [p] = await views(e);
    expect(p.status).toBe('diverged');
    expect(p.minimum).toBeNull();
    expect(p.eventStep).toBe(p.steps);
    expect(Math.abs(p.y)).toBeGreaterThan(DEFAULT_RUN_CONFIG.posBound);
    // y grows by |1 - 10 lr| = 1.5 per step: about log(1e4 / 1.5) / log(1.5) steps.
    expect(p.steps).toBe(Math.ceil(Math.log(1e4 / 1.5) / Math.log(1.5)));
  });

  it('an lr sweep splits exactly at 2/lambda_max (and heavy ball at 2(1+beta)/lambda_max)', async () => {
    const e = engineFor(quad, { kind: 'sweep', start: [1, 1], lrMin: 0.05, lrMax: 0.35, n: 7 });
    e.step(3000);
    for (const p of await views(e)) expect(p.status, `lr ${p.lr}`).toBe(p.lr < 0.2 ? 'converged' : 'diverged');
    // With momentum 0.9 the bound is 0.38: lr 0.3 now converges, 0.4 does not.
    const m = engineFor(quad, { kind: 'sweep', start: [1, 1], lrMin: 0.3, lrMax: 0.4, n: 2 }, { momentum: 0.9 });
    m.step(5000);
    expect((await views(m)).map((p) => p.status)).toEqual(['converged', 'diverged']);
  });

  it('the loss bound also counts as divergence', async () => {
    const e = single(quad, [20, 0], 0.01, {}, 'SGD', { ...DEFAULT_RUN_CONFIG, lossBound: 100 });
    e.step(10);
    const [p] = await views(e);
    expect(p.status).toBe('diverged');
    expect(p.steps).toBe(0);
    expect(p.x).toBe(20);
  });

  it('a NaN loss gives nonfinite: sqrt(x) + y^2 started at x = -1', async () => {
    const s = Surface.fromExpression('sqrt(x) + y^2');
    const e = single(s, [-1, 0.5], 0.1);
    e.step(10);
    const [p] = await views(e);
    expect(p.status).toBe('nonfinite');
    expect(p.steps).toBe(0);
    expect(p.eventStep).toBe(0);
    expect(p.x).toBe(-1);
    expect(p.minimum).toBeNull();
  });

  it('nonfinite mid-run: a step that jumps to x < 0 is caught on the next step', async () => {
    const s = Surface.fromExpression('sqrt(x) + y^2');
    // x = 0.5 - 1 / (2 sqrt(0.5)) < 0 after one step.
    const e = single(s, [0.5, 0], 1);
    e.step(10);
    const [p] = await views(e);
    expect(p.status).toBe('nonfinite');
    expect(p.steps).toBe(1);
    expect(p.eventStep).toBe(1);
    expect(p.x).toBeCloseTo(0.5 - 1 / (2 * Math.sqrt(0.5)), 6);
    expect(p.loss).toBeNaN();
  });

  it('particles stop stepping after a status change', async () => {
    const e = engineFor(quad, { kind: 'sweep', start: [1.5, 1.5], lrMin: 0.15, lrMax: 0.25, n: 2 });
    e.step(2000);
    const before = await views(e);
    expect(before.map((p) => p.status)).toEqual(['converged', 'diverged']);
    e.step(500);
    e.step(1);
    const after = await views(e);
    expect(after).toEqual(before);
    expect(e.stepsQueued).toBe(2501);
  });

  it('a particle already at the minimum converges after one step, not zero', async () => {
    const e = single(quad, [0, 0], 0.1);
    e.step(5);
    const [p] = await views(e);
    expect(p.status).toBe('converged');
    expect(p.steps).toBe(1);
    expect(p.minimum).toBe(0);
  });

  it('step(k) in pieces equals one step of the same total', async () => {
    const a = single(resolveSurface('rosenbrock'), [-1.5, 2], 1e-3, { momentum: 0.9 });
    const b = single(resolveSurface('rosenbrock'), [-1.5, 2], 1e-3, { momentum: 0.9 });
    a.step(300);
    for (let i = 0; i < 3; i++) b.step(100);
    expect(await b.read()).toEqual(await a.read());
    expect(particleSteps((await a.read()).info, 0)).toBe(300);
  });
});

describe('the loss column and step(0)', () => {
  it('step(0) only refreshes the loss', async () => {
    const e = single(resolveSurface('rosenbrock'), [-1.5, 2], 1e-3);
    const [before] = await views(e);
    expect(before.loss).toBe(0);
    e.step(0);
    const [p] = await views(e);
    expect(p.loss).toBe(12.5);
    expect({ ...p, loss: 0 }).toEqual(before);
    expect(e.stepsQueued).toBe(0);
  });

  it('the loss column is L(x, y) in float32 at the current position; the 4th column the previous loss', async () => {
    const s = resolveSurface('himmelblau');
    const e = engineFor(s, { kind: 'grid', x: [-4, 4], y: [-4, 4], nx: 3, ny: 3, lr: 0.005 });
    const lossF32 = new Evaluator(s.loss, true);
    for (const k of [1, 7, 40]) {
      e.step(k);
      const state = await e.read();
      for (let i = 0; i < state.n; i++) {
        const p = particleAt(state, i);
        if (p.status !== 'running') continue;
        expect(p.loss).toBe(lossF32.run(p.x, p.y).out('loss'));
        expect(p.loss).toBeCloseTo(s.evaluate(p.x, p.y).loss, 2);
      }
    }
    // The previous loss: one more step from a known state.
    const one = single(s, [1, 1], 0.005);
    one.step(0);
    const l0 = (await one.read()).pos[2];
    one.step(1);
    const st = await one.read();
    expect(st.pos[3]).toBe(l0);
    expect(st.pos[2]).toBeLessThan(l0);
  });

  it('plain GD is bit-for-bit the float32 loop p = p - lr * grad', async () => {
    const s = resolveSurface('rosenbrock');
    const lr = 1e-3;
    const e = single(s, [-1.5, 2], lr);
    e.step(50);
    const grad = new Evaluator(s.step, true);
    let [x, y] = [f(-1.5), f(2)];
    for (let k = 0; k < 50; k++) {
      grad.run(x, y);
      const gx = grad.out('gx');
      const gy = grad.out('gy');
      x = f(x - f(f(lr) * gx));
      y = f(y - f(f(lr) * gy));
    }
    const [p] = await views(e);
    expect(p.x).toBe(x);
    expect(p.y).toBe(y);
  });

  it('the engine works on a copy of the particles it was given', async () => {
    const opt = getOptimizer('SGD');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.1, lrMax: 0.1, n: 1 }, opt);
    const e = new CpuEngine({ surface: quad, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG });
    e.step(3);
    expect(particles.pos[0]).toBe(1);
    expect(particleSteps(particles.info, 0)).toBe(0);
    const copy = await e.read();
    copy.pos[0] = 123;
    expect((await e.read()).pos[0]).not.toBe(123);
  });

  it('stepRange advances only the particles in [from, to)', async () => {
    const e = engineFor(quad, { kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 0.02, n: 4 });
    e.stepRange(5, 1, 3);
    e.stepRange(2, 3, 99);
    expect((await views(e)).map((p) => p.steps)).toEqual([0, 5, 5, 2]);
  });
});

describe('classify', () => {
  const table: MinimaTable = { x: [0, 1], y: [0, 0], r2: [0.25, 0.25], lossMax: [1, 1] };

  it('picks the minimum whose radius contains the point', () => {
    expect(classify(table, 0.1, 0.1, 0)).toBe(0);
    expect(classify(table, 0.9, -0.2, 0)).toBe(1);
    expect(classify(table, 0.5, 0.6, 0)).toBe(NO_MINIMUM);
    expect(classify(table, -0.5, 0, 0)).toBe(0); // on the boundary: d^2 = r^2
    expect(classify(table, -0.51, 0, 0)).toBe(NO_MINIMUM);
  });

  it('with overlapping radii, the nearest; at a tie the first', () => {
    const wide: MinimaTable = { ...table, r2: [4, 4] };
    expect(classify(wide, 0.4, 0, 0)).toBe(0);
    expect(classify(wide, 0.6, 0, 0)).toBe(1);
    expect(classify(wide, 0.5, 0.3, 0)).toBe(0);
    expect(classify(wide, 5, 0, 0)).toBe(NO_MINIMUM);
  });

  it("a point whose loss is above the minimum's loss bound does not belong to it", () => {
    const t: MinimaTable = { ...table, lossMax: [0.5, 2] };
    expect(classify(t, 0.1, 0, 0.7)).toBe(NO_MINIMUM);
    expect(classify(t, 0.9, 0, 0.7)).toBe(1);
  });

  it('minimaTable: float32 positions, squared radii, loss tolerance, manifolds unbounded', () => {
    const s = resolveSurface('six-hump-camel');
    const t = minimaTable(s);
    s.minima.forEach((m, j) => {
      expect(t.x[j]).toBe(f(m.x));
      expect(t.y[j]).toBe(f(m.y));
      expect(t.r2[j]).toBe(f(m.radius * m.radius));
      expect(t.lossMax[j]).toBe(f(m.loss + 1e-3 * (1 + Math.abs(m.loss))));
      expect(classify(t, m.x, m.y, m.loss)).toBe(j);
    });
    const two = minimaTable(resolveSurface('two-layer'));
    expect(two.r2[0]).toBeGreaterThan(1e38);
  });
});

describe('landscape behaviour', () => {
  it('double-well from the sharp well: small lr stays sharp, lr in (2/lambda_sharp, 2/lambda_flat) lands flat', async () => {
    const s = resolveSurface('double-well');
    const sharp = s.minima.find((m) => m.name === 'sharp')!;
    const flat = s.minima.find((m) => m.name === 'flat')!;
    const small = [0.005, 0.02, 0.04];
    const large = [0.2, 0.3, 0.5];
    for (const lr of small) expect(lr).toBeLessThan(sharp.lrLimit);
    for (const lr of large) {
      expect(lr).toBeGreaterThan(sharp.lrLimit);
      expect(lr).toBeLessThan(flat.lrLimit);
    }
    for (const [lrs, want] of [
      [small, 'sharp'],
      [large, 'flat'],
    ] as const) {
      for (const lr of lrs) {
        const e = single(s, s.spec.defaultStart, lr);
        e.step(5000);
        const [p] = await views(e);
        expect(p.status, `lr ${lr}`).toBe('converged');
        expect(s.minima[p.minimum!].name, `lr ${lr}`).toBe(want);
      }
    }
  });

  it('two-layer: converged runs land on ab = 1 in the branch with the sign of x', async () => {
    const s = resolveSurface('two-layer');
    const e = engineFor(s, { kind: 'grid', x: [-2.3, 2.3], y: [-2.3, 2.3], nx: 7, ny: 7, lr: 0.05 });
    e.step(4000);
    const ps = await views(e);
    expect(ps.every((p) => p.status === 'converged')).toBe(true);
    const branches = new Set<number>();
    let saddles = 0;
    for (const p of ps) {
      if (p.x === -p.y) {
        // Starts on the anti-diagonal b = -a slide into the saddle at the origin: stationary,
        // loss 1/2, and no minimum (the manifold's radius is unbounded, its loss bound is not).
        expect(Math.hypot(p.x, p.y)).toBeLessThan(1e-3);
        expect(p.loss).toBeCloseTo(0.5, 6);
        expect(p.minimum).toBeNull();
        saddles++;
        continue;
      }
      expect(p.minimum).toBe(p.x > 0 ? 0 : 1);
      expect(p.x * p.y).toBeCloseTo(1, 3);
      branches.add(p.minimum!);
    }
    expect(saddles).toBe(7);
    expect([...branches].sort()).toEqual([0, 1]);
  });

  it('Adam on Rosenbrock makes progress and stays finite', async () => {
    const s = resolveSurface('rosenbrock');
    const e = single(s, [-1.5, 2], 0.02, {}, 'Adam');
    e.step(3000);
    const [p] = await views(e);
    expect(['running', 'converged']).toContain(p.status);
    expect(p.loss).toBeLessThan(0.1);
  });
});
