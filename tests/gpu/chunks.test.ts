// Particles that stop at every position of the step kernel's chunk (its first step, its
// middle, its last), for every stop reason, stop with the CPU reference's status and
// event step exactly: the kernel runs a dispatch's steps (at most STEP_CHUNK; GpuEngine
// splits longer runs) with one cheap test and replays them with every check where the
// test failed, so a stop must fall on its step.

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { provenLoss } from '../../src/core/engine/engine';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, eventStep, particleStatus, type RunConfig, Status } from '../../src/core/particles';
import { resolveSurface, Surface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { gpuDevice, maxRelativeDiff, runBoth } from '../helpers/gpu';
import { STEP_CHUNK } from '../../shaders/step';

const C = STEP_CHUNK;
const N = 2048;

/** GD on 0.5*(x^2 + 10 y^2) from (1, 1): lr sets how fast y shrinks or grows, so when each particle stops. */
const CASES: { reason: string; status: number; lr: [number, number]; steps: number; config: Partial<RunConfig> }[] = [
  // |1 - 10 lr| < 1: the gradient shrinks below gtol, at a step that falls with lr.
  { reason: 'converged', status: Status.Converged, lr: [0.04, 0.19], steps: 3 * C, config: {} },
  // |1 - 10 lr| > 1: y grows past the position bound...
  { reason: 'diverged by bound', status: Status.Diverged, lr: [0.204, 0.215], steps: 3 * C, config: { posBound: 1e4 } },
  // ... or the loss past the loss bound ...
  { reason: 'diverged by loss', status: Status.Diverged, lr: [0.203, 0.213], steps: 3 * C, config: { posBound: 1e30, lossBound: 1e8 } },
  // ... or, with no bounds, the loss overflows to Infinity.
  { reason: 'non-finite', status: Status.NonFinite, lr: [0.22, 0.27], steps: 3 * C, config: { posBound: Infinity, lossBound: Infinity } },
];

describe(`particles stop at every position of a chunk of ${C} steps: the same status and event step on both engines`, () => {
  const surface = resolveSurface('quadratic');
  for (const c of CASES) {
    test(c.reason, async () => {
      const layout = { kind: 'sweep' as const, start: [1, 1] as [number, number], lrMin: c.lr[0], lrMax: c.lr[1], n: N };
      // One dispatch, then dispatches of 37 steps (a stop at any step of a dispatch).
      for (const perDispatch of [c.steps, 37]) {
        const { cpu, gpu } = await runBoth(surface, 'SGD', layout, { steps: c.steps, perDispatch, config: c.config });
        const positions = new Set<number>();
        for (let i = 0; i < N; i++) {
          const where = `particle ${i}, ${perDispatch} steps per dispatch`;
          expect(particleStatus(gpu.info, i), where).toBe(particleStatus(cpu.info, i));
          expect(eventStep(gpu.info, i), where).toBe(eventStep(cpu.info, i));
          if (particleStatus(cpu.info, i) === c.status && eventStep(cpu.info, i) >= C) positions.add(eventStep(cpu.info, i) % Math.min(perDispatch, C));
        }
        expect(maxRelativeDiff(cpu, gpu).diff).toBeLessThan(1e-5);
        // The workload reaches every position, past the first block: first, middle and last step.
        if (perDispatch === c.steps) expect([0, 1, C / 2, C - 1].filter((p) => !positions.has(p))).toEqual([]);
        // At 37 steps the unrolled fast pass (blocks of unrollFor's steps) leaves the last
        // steps to the checked loop: stops there too, and at either side of the seam.
        else expect([0, 34, 35, 36].filter((p) => !positions.has(p))).toEqual([]);
      }
    });
  }
});

// Chunks whose fast test fails with no stop in them: particles leave the hilltop of a
// double well, where the gradient is under gtol but the loss keeps changing (ftol 0), so
// their first chunks replay, then speed up past gtol and settle in a well. Results stay
// the reference's.
test('chunks flagged without a stop: the same results', async () => {
  const surface = Surface.fromExpression('0.25*x^4 - 0.5*x^2 + 0.5*y^2');
  const layout = { kind: 'sweep' as const, start: [1e-3, 0] as [number, number], lrMin: 0.05, lrMax: 0.3, n: N };
  const config = { gtol: 0.01, ftol: 0 };
  for (const perDispatch of [4 * C, 37, 10]) {
    const { cpu, gpu } = await runBoth(surface, 'SGD', layout, { steps: 4 * C, perDispatch, config });
    for (let i = 0; i < N; i++) {
      expect(particleStatus(gpu.info, i)).toBe(particleStatus(cpu.info, i));
      expect(eventStep(gpu.info, i)).toBe(eventStep(cpu.info, i));
    }
    expect(maxRelativeDiff(cpu, gpu).diff).toBeLessThan(1e-5);
  }
});

// The loss-free fast pass (the quadratic's loss proven at most 5.5e8 over |x|, |y| <= 1e4,
// provenLoss) tests only the position and the gradient. Its kernel keeps the reference's
// results when the bounds move past what it was compiled for: a lossBound below the
// proven bound, a position bound past the box (every dispatch replays checked).
test('loss-free fast pass: the same results when the bounds change after compile', async () => {
  const surface = resolveSurface('quadratic');
  const optimizer = getOptimizer('SGD');
  const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.203, lrMax: 0.27, n: N }, optimizer, {});
  const moves: [string, Partial<RunConfig>, number][] = [
    ['lossBound below the proven bound: diverged by loss', { lossBound: 1e8 }, Status.Diverged],
    ['no bounds: past the box, the loss overflows', { posBound: Infinity, lossBound: Infinity }, Status.NonFinite],
  ];
  for (const [what, move, status] of moves) {
    const config = { ...DEFAULT_RUN_CONFIG };
    const gpu = await GpuEngine.create(await gpuDevice(), { surface, optimizer, particles, config, stepsPerDispatch: C });
    expect(provenLoss(surface, config.posBound)?.lossMax).toBeLessThan(6e8);
    expect(gpu.kernel).toContain('Loss-free: inside the proven box');
    Object.assign(config, move);
    const cpu = new CpuEngine({ surface, optimizer, particles, config: { ...DEFAULT_RUN_CONFIG, ...move } });
    cpu.step(3 * C);
    gpu.step(3 * C);
    const [c, g] = [await cpu.read(), await gpu.read()];
    gpu.destroy();
    let stopped = 0;
    for (let i = 0; i < N; i++) {
      expect(particleStatus(g.info, i), `${what}: particle ${i}`).toBe(particleStatus(c.info, i));
      expect(eventStep(g.info, i), `${what}: particle ${i}`).toBe(eventStep(c.info, i));
      if (particleStatus(c.info, i) === status) stopped++;
    }
    expect(stopped, what).toBeGreaterThan(N / 4);
    expect(maxRelativeDiff(c, g).diff).toBeLessThan(1e-5);
  }
});
