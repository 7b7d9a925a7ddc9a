// Gradient clipping (clip_grad_norm_, clip_grad_value_): the clipped period-2 orbit of
// theory, and GPU vs CPU agreement.

import { describe, expect, test } from 'vitest';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, particleStatus, type RunConfig } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { CpuEngine } from '../../src/core/engine/cpu';
import { GpuEngine } from '../../src/gpu/engine';
import { gpuDevice, maxRelativeDiff, runBoth } from '../helpers/gpu';

const LAMBDA = 10;
const C = 1;
/** An isotropic bowl: with norm clipping every step stays on the ray through the start. */
const bowl = () => resolveSurface('quadratic', { lambda1: LAMBDA, lambda2: LAMBDA });

/** Positions after each of `steps` single steps, on both engines. */
async function trajectories(lr: number, start: [number, number], steps: number, config: Partial<RunConfig>) {
  const opt = getOptimizer('SGD');
  const particles = buildParticles({ kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, opt);
  const setup = { surface: bowl(), optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, ...config } };
  const gpu = await GpuEngine.create(await gpuDevice(), setup);
  const cpu = new CpuEngine(setup);
  const rows: { gpu: [number, number]; cpu: [number, number] }[] = [];
  for (let t = 0; t < steps; t++) {
    gpu.step(1);
    cpu.step(1);
    const g = await gpu.read();
    rows.push({ gpu: [g.pos[0], g.pos[1]], cpu: [cpu.state.pos[0], cpu.state.pos[1]] });
  }
  const status = { gpu: particleStatus((await gpu.read()).info, 0), cpu: particleStatus(cpu.state.info, 0) };
  gpu.destroy();
  return { rows, status };
}

const dist = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);

describe('clipping by norm on a quadratic (lambda = 10, max_norm C = 1)', () => {
  test('eta*lambda > 2, symmetric start: a period-2 orbit at +-eta*C/2 whose jump is eta*C', async () => {
    const lr = 0.3; // eta*lambda = 3
    const { rows, status } = await trajectories(lr, [(lr * C) / 2, 0], 40, { clipNorm: C, gtol: 0 });
    expect(status).toEqual({ gpu: Status.Running, cpu: Status.Running });
    rows.forEach((r, t) => {
      for (const p of [r.gpu, r.cpu]) {
        // After step t (1-based t+1): -eta*C/2 after odd counts, +eta*C/2 after even ones.
        const want = ((t % 2 === 0 ? -1 : 1) * lr * C) / 2;
        expect(p[0]).toBeCloseTo(want, 5);
        expect(p[1]).toBe(0);
      }
      if (t > 0) {
        expect(Math.abs(dist(r.gpu, rows[t - 1].gpu) / (lr * C) - 1)).toBeLessThan(1e-5);
        expect(Math.abs(dist(r.cpu, rows[t - 1].cpu) / (lr * C) - 1)).toBeLessThan(1e-5);
      }
    });
  });

  test('eta*lambda > 2, any start: the run settles into a period-2 orbit with jump eta*C', async () => {
    const lr = 0.3;
    const { rows } = await trajectories(lr, [1.3, 0.4], 200, { clipNorm: C, gtol: 0 });
    const [a, b, c] = rows.slice(-3).map((r) => r.gpu);
    expect(Math.abs(dist(a, b) / (lr * C) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(dist(b, c) / (lr * C) - 1)).toBeLessThan(1e-5);
    expect(dist(a, c)).toBeLessThan(1e-6); // period 2
    // Without clipping the same run diverges.
    const free = await trajectories(lr, [1.3, 0.4], 200, { gtol: 0 });
    expect(free.status.gpu).toBe(Status.Diverged);
  });

  test('eta*lambda < 2: the clipped run converges', async () => {
    const { status, rows } = await trajectories(0.15, [1.3, 0.4], 300, { clipNorm: C });
    expect(status).toEqual({ gpu: Status.Converged, cpu: Status.Converged });
    expect(Math.hypot(...rows.at(-1)!.gpu)).toBeLessThan(1e-4);
  });
});

describe('clipping: GPU agrees with the CPU reference', () => {
  const cases: [string, Partial<RunConfig>][] = [
    ['by norm', { clipNorm: 1 }],
    ['by value', { clipValue: 0.5 }],
    ['both', { clipNorm: 2, clipValue: 0.5 }],
  ];
  for (const surfaceName of ['rosenbrock', 'himmelblau']) {
    for (const [label, config] of cases) {
      test(`${surfaceName}, ${label}`, async () => {
        const surface = resolveSurface(surfaceName);
        const [x0, x1, y0, y1] = surface.spec.domain;
        const { cpu, gpu } = await runBoth(
          surface,
          'SGD',
          { kind: 'random', domain: [x0 / 2, x1 / 2, y0 / 2, y1 / 2], perBand: 64, bands: 4, lrMin: 1e-3, lrMax: 1e-2, seed: 11 },
          { steps: 200, perDispatch: 50, hyper: { momentum: 0.5 }, config: { ...config, gtol: 0 } },
        );
        const { diff, index } = maxRelativeDiff(cpu, gpu);
        expect(diff, `particle ${index}`).toBeLessThan(1e-5);
        expect(Array.from(gpu.info)).toEqual(Array.from(cpu.info));
      });
    }
  }

  test('clipping by value bounds every coordinate step by lr*V', () => {
    const opt = getOptimizer('SGD');
    const surface = resolveSurface('quadratic', { lambda1: 1, lambda2: 100 });
    const particles = buildParticles({ kind: 'sweep', start: [1.5, 1.5], lrMin: 0.01, lrMax: 0.01, n: 1 }, opt);
    const cpu = new CpuEngine({ surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, clipValue: 0.5 } });
    let prev = [cpu.state.pos[0], cpu.state.pos[1]];
    let clipped = 0;
    for (let t = 0; t < 50; t++) {
      cpu.step(1);
      const now = [cpu.state.pos[0], cpu.state.pos[1]];
      for (let c = 0; c < 2; c++) expect(Math.abs(now[c] - prev[c])).toBeLessThanOrEqual(0.01 * 0.5 * (1 + 1e-6));
      if (Math.abs(Math.abs(now[1] - prev[1]) - 0.005) < 1e-7) clipped++;
      prev = now;
    }
    expect(clipped).toBeGreaterThan(5); // y's gradient (100 y) was really clipped
  });
});
