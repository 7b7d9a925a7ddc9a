// Schedules, parameter groups, gradient noise and SAM on the GPU: agreement with the CPU
// reference, and the theory the lecture scenes rely on (the brake and the
// curvature-adaptive rate converge where GD diverges; rho_t finds lambda_max; the noise
// has variance sigma^2/B; per-axis stability limits).

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer, type OptimizerOptions } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, type ParticleState, type RunConfig, particleStatus } from '../../src/core/particles';
import { resolveSchedule, SCHEDULE_DEFS } from '../../src/core/schedules';
import { resolveSurface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { gpuDevice, maxRelativeDiff, runBoth } from '../helpers/gpu';

/** One configuration of every schedule. */
const SCHEDULES: string[] = [
  'StepLR(step_size=7, gamma=0.5)',
  'MultiStepLR(milestones=[5, 20, 20])',
  'ExponentialLR(gamma=0.98)',
  'CosineAnnealingLR(T_max=30, eta_min=1e-4)',
  'CosineAnnealingWarmRestarts(T_0=4, T_mult=2)',
  'CyclicLR(max_lr=0.02, step_size_up=6, mode=triangular2)',
  'OneCycleLR(total_steps=60, three_phase=True)',
  'LinearLR(start_factor=0.2, total_iters=10)',
  'ConstantLR(factor=0.5, total_iters=8)',
  'PolynomialLR(total_iters=80, power=2)',
  'SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=50)], milestones=[5])',
  'ReduceLROnPlateau(patience=3, factor=0.5, cooldown=2)',
  'InverseTimeDecay(decay_rate=0.05)',
  'SineLR(max_lr=0.02, period=9)',
  'LRRangeTest(start_lr=1e-5, end_lr=1, num_it=100)',
  'GradNormBrake(window=4)',
  'CurvatureAdaptive(s=0.4, iters=3)',
];

const sweep = (n: number, lrMin: number, lrMax: number, start: [number, number] = [-1.2, 1.1]): Layout => ({ kind: 'sweep', start, lrMin, lrMax, n });

function expectAgree(r: { cpu: ParticleState; gpu: ParticleState }, tol = 1e-5) {
  expect(Array.from(r.gpu.info)).toEqual(Array.from(r.cpu.info));
  expect(maxRelativeDiff(r.gpu, r.cpu).diff).toBeLessThan(tol);
  const d = r.cpu.state.reduce((m, v, k) => Math.max(m, Math.abs(v - r.gpu.state[k]) / Math.max(Math.abs(v), 1e-3)), 0);
  expect(d).toBeLessThan(tol);
}

describe('every schedule: GPU equals the CPU reference', () => {
  test('the list covers every schedule', () => {
    const names = new Set(SCHEDULES.map((s) => resolveSchedule(s).def.name));
    expect(SCHEDULE_DEFS.map((d) => d.name).filter((n) => !names.has(n))).toEqual([]);
  });

  for (const schedule of SCHEDULES) {
    test(`${schedule} with SGD (momentum 0.9) and Adam on Rosenbrock`, async () => {
      const rosen = resolveSurface('rosenbrock');
      expectAgree(await runBoth(rosen, 'SGD', sweep(48, 1e-5, 1.5e-3), { hyper: { momentum: 0.9 }, steps: 120, perDispatch: 40, schedule }));
      expectAgree(await runBoth(rosen, 'Adam', sweep(48, 1e-3, 0.05), { steps: 120, perDispatch: 40, schedule }));
    });
  }
});

/** One particle per lr, stepped on the GPU and the CPU; the CPU state after `steps`. */
async function both(
  surface: string | ReturnType<typeof resolveSurface>,
  optimizer: string,
  opts: OptimizerOptions,
  layout: Layout,
  steps: number,
  config: Partial<RunConfig> = {},
  hyper = {},
) {
  const opt = getOptimizer(optimizer, opts);
  const surf = typeof surface === 'string' ? resolveSurface(surface) : surface;
  const particles = buildParticles(layout, opt, hyper);
  const setup = { surface: surf, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, ...config } };
  const cpu = new CpuEngine(setup);
  const gpu = await GpuEngine.create(await gpuDevice(), setup);
  cpu.step(steps);
  gpu.step(steps);
  const out = { cpu: await cpu.read(), gpu: await gpu.read(), opt };
  gpu.destroy();
  return out;
}

const bowl = (l1: number, l2: number, angle = 0) => resolveSurface('quadratic', { lambda1: l1, lambda2: l2, angle });
const statuses = (p: ParticleState) => Array.from({ length: p.n }, (_, i) => particleStatus(p.info, i));

describe('the gradient-norm brake and the curvature-adaptive rate (scenes 5 and 6)', () => {
  // lambda_max = 10: plain GD diverges for every lr here (eta*lambda from 2.5 to 8).
  const layout = sweep(16, 0.25, 0.8, [1, 1]);

  test('plain GD diverges for every lr of the sweep', async () => {
    const r = await both(bowl(1, 10), 'SGD', {}, layout, 400);
    expect(statuses(r.gpu).every((s) => s === Status.Diverged)).toBe(true);
  });

  test('with the brake, the same runs converge (GPU and CPU alike)', async () => {
    const r = await both(bowl(1, 10), 'SGD', { schedule: resolveSchedule('GradNormBrake') }, layout, 400);
    expectAgree(r);
    expect(statuses(r.gpu).every((s) => s === Status.Converged)).toBe(true);
    // Every braked lr ends below the stability limit 2/lambda_max.
    const slot = r.opt.state.indexOf('sch_lr');
    for (let i = 0; i < r.gpu.n; i++) expect(r.gpu.state[i * r.opt.stateStride + 2 * slot]).toBeLessThan(0.2);
  });

  test('curvature-adaptive: converges without tuning; rho_t within 1% of lambda_max', async () => {
    for (const [l1, l2, angle] of [
      [1, 10, 0],
      [3, 40, 0.7],
      [0.5, 2, 2],
    ]) {
      const r = await both(bowl(l1, l2, angle), 'SGD', { schedule: resolveSchedule('CurvatureAdaptive') }, sweep(8, 0.5, 50, [1, -1]), 2000);
      expectAgree(r);
      expect(statuses(r.gpu).every((s) => s === Status.Converged)).toBe(true);
      const slot = r.opt.state.indexOf('sch_rho');
      for (let i = 0; i < r.gpu.n; i++) expect(Math.abs(r.gpu.state[i * r.opt.stateStride + 2 * slot] / l2 - 1)).toBeLessThan(0.01);
    }
  });

  test('curvature-adaptive on Rosenbrock: rho_t tracks the top Hessian eigenvalue along the path', async () => {
    const rosen = resolveSurface('rosenbrock');
    const opt = getOptimizer('SGD', { schedule: resolveSchedule('CurvatureAdaptive(iters=3)') });
    const particles = buildParticles(sweep(1, 1, 1), opt);
    const cpu = new CpuEngine({ surface: rosen, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG });
    const slot = opt.state.indexOf('sch_rho');
    for (let t = 0; t < 50; t++) {
      const [x, y] = [cpu.state.pos[0], cpu.state.pos[1]];
      cpu.step(1);
      // Rosenbrock's Hessian at (x, y): [[1200x^2 - 400y + 2, -400x], [-400x, 200]].
      const a = 1200 * x * x - 400 * y + 2;
      const b = -400 * x;
      const c = 200;
      const lmax = Math.max(Math.abs((a + c) / 2 + Math.hypot((a - c) / 2, b)), Math.abs((a + c) / 2 - Math.hypot((a - c) / 2, b)));
      if (t >= 3) expect(Math.abs(cpu.state.state[2 * slot] / lmax - 1)).toBeLessThan(0.01);
    }
  });
});

describe('per-coordinate learning rates (parameter groups; scene 16)', () => {
  test('lr_y defaults to lr; a product layout over (lr, lr_y) maps the per-axis limits 2/lambda_x, 2/lambda_y', async () => {
    const opt = getOptimizer('SGD', { perCoordinateLr: true });
    expect(opt.def.hyper.map((h) => h.name)).toEqual(['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'lr_y']);
    const p = buildParticles(sweep(2, 0.1, 0.2), opt);
    expect(p.hyper[opt.hyperStride - 1]).toBeCloseTo(0.1, 7); // lr_y follows the particle's base lr default

    const layout: Layout = { kind: 'product', start: [1, 1], x: { param: 'lr', min: 1.5, max: 2.5, n: 21 }, y: { param: 'lr_y', min: 0.15, max: 0.25, n: 21 } };
    const r = await both(bowl(1, 10), 'SGD', { perCoordinateLr: true }, layout, 3000);
    expectAgree(r);
    for (let i = 0; i < r.gpu.n; i++) {
      const lx = r.gpu.hyper[i * opt.hyperStride];
      const ly = r.gpu.hyper[i * opt.hyperStride + opt.hyperStride - 1];
      if (Math.abs(lx - 2) < 0.01 || Math.abs(ly - 0.2) < 0.001) continue; // on the boundary itself
      const stable = lx < 2 && ly < 0.2;
      expect(particleStatus(r.gpu.info, i), `lr ${lx}, lr_y ${ly}`).toBe(stable ? Status.Converged : Status.Diverged);
    }
  });

  test('with a schedule, each group decays from its own lr (PyTorch base_lrs per group)', async () => {
    const r = await both(
      bowl(1, 10),
      'SGD',
      { perCoordinateLr: true, schedule: resolveSchedule('StepLR(step_size=2, gamma=0.5)') },
      sweep(1, 0.4, 0.4),
      5,
      { gtol: 0 },
      { lr_y: 0.04 },
    );
    expectAgree(r);
    const used = r.opt.state.indexOf('sch_lr_used');
    // After 5 steps the last lr used (step 4) is lr * 0.25 per group.
    expect(r.cpu.state[2 * used]).toBeCloseTo(0.1, 7);
    expect(r.cpu.state[2 * used + 1]).toBeCloseTo(0.01, 7);
  });
});

describe('gradient noise sigma/sqrt(B) from the counter-based PRNG', () => {
  // A gentle slope, so particles never converge: x_k = x_0 - k lr slope - lr (sum of k noise draws).
  const slope = () => resolveSurface('0.001 * (x + y)');
  const cfg = (noise: number, batchSize: number, seed: number): Partial<RunConfig> => ({ noise, batchSize, seed, gtol: 0 });

  test('empirical variance of the noise matches sigma^2 / B; mean 0; x and y independent', async () => {
    const n = 40000;
    for (const [sigma, B, k] of [
      [0.3, 4, 1],
      [1, 16, 8],
    ]) {
      const r = await both(slope(), 'SGD', {}, sweep(n, 1, 1, [0, 0]), k, cfg(sigma, B, 7));
      const dx = Array.from({ length: n }, (_, i) => r.gpu.pos[4 * i] + k * 0.001);
      const dy = Array.from({ length: n }, (_, i) => r.gpu.pos[4 * i + 1] + k * 0.001);
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      const v = (sigma * sigma * k) / B;
      const mx = mean(dx);
      const my = mean(dy);
      expect(Math.abs(mx)).toBeLessThan(4 * Math.sqrt(v / n));
      expect(Math.abs(mean(dx.map((u) => (u - mx) ** 2)) / v - 1)).toBeLessThan(0.04);
      expect(Math.abs(mean(dy.map((u) => (u - my) ** 2)) / v - 1)).toBeLessThan(0.04);
      expect(Math.abs(mean(dx.map((u, i) => (u - mx) * (dy[i] - my))) / v)).toBeLessThan(0.03);
      // Gaussian tails: about 4.55% beyond 2 sigma.
      const beyond = dx.filter((u) => Math.abs(u - mx) > 2 * Math.sqrt(v)).length / n;
      expect(Math.abs(beyond - 0.0455)).toBeLessThan(0.006);
    }
  });

  test('the same seed gives the same stream on CPU and GPU; another seed another stream', async () => {
    const a = await both(slope(), 'SGD', {}, sweep(512, 0.5, 0.5, [0, 0]), 5, cfg(0.5, 2, 11));
    expect(Array.from(a.gpu.pos)).toEqual(Array.from(a.cpu.pos));
    const b = await both(slope(), 'SGD', {}, sweep(512, 0.5, 0.5, [0, 0]), 5, cfg(0.5, 2, 11));
    expect(Array.from(b.gpu.pos)).toEqual(Array.from(a.gpu.pos));
    const c = await both(slope(), 'SGD', {}, sweep(512, 0.5, 0.5, [0, 0]), 5, cfg(0.5, 2, 12));
    expect(Array.from(c.gpu.pos)).not.toEqual(Array.from(a.gpu.pos));
  });

  test('noisy Adam and momentum SGD on the double well: GPU equals CPU', async () => {
    const dw = resolveSurface('double-well');
    expectAgree(
      await runBoth(dw, 'SGD', sweep(256, 1e-3, 0.3, [0.3, 0.2]), {
        hyper: { momentum: 0.8 },
        steps: 150,
        perDispatch: 50,
        config: { noise: 0.5, batchSize: 8, seed: 3 },
      }),
    );
    expectAgree(await runBoth(dw, 'Adam', sweep(256, 1e-3, 0.3, [0.3, 0.2]), { steps: 150, perDispatch: 50, config: { noise: 0.5, batchSize: 8, seed: 3 } }));
  });
});

describe('SAM (sharpness-aware minimization) around any optimizer', () => {
  test('one GD step on a quadratic equals the float64 SAM step', async () => {
    const rho = 0.05;
    const lr = 0.05;
    const r = await both(bowl(1, 10), 'SGD', {}, sweep(1, lr, lr, [1, 1]), 1, { samRho: rho });
    const g = [1, 10];
    const nrm = Math.hypot(g[0], g[1]);
    const e = [(rho * g[0]) / nrm, (rho * g[1]) / nrm];
    const want = [1 - lr * 1 * (1 + e[0]), 1 - lr * 10 * (1 + e[1])];
    expect(r.gpu.pos[0]).toBeCloseTo(want[0], 6);
    expect(r.gpu.pos[1]).toBeCloseTo(want[1], 6);
    expect(Array.from(r.gpu.pos)).toEqual(Array.from(r.cpu.pos));
  });

  test('SAM with SGD, Adam and a schedule: GPU equals CPU over many steps', async () => {
    const dw = resolveSurface('double-well');
    expectAgree(
      await runBoth(dw, 'SGD', sweep(128, 1e-3, 0.3, [0.3, 0.2]), { hyper: { momentum: 0.5 }, steps: 150, perDispatch: 50, config: { samRho: 0.05 } }),
    );
    expectAgree(
      await runBoth(dw, 'Adam', sweep(128, 1e-3, 0.3, [0.3, 0.2]), {
        steps: 150,
        perDispatch: 50,
        config: { samRho: 0.1, clipNorm: 1 },
        schedule: 'CosineAnnealingLR(T_max=100)',
      }),
    );
  });
});
