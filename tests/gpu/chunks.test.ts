// Particles that stop at every position of a block of C steps (its first step, its
// middle, its last), for every stop reason, stop with the CPU reference's status and
// event step exactly: whatever the step kernel does to skip work (it once ran chunks of
// 16 steps without checks and replayed them with checks), a stop falls on its step.

import { describe, expect, test } from 'vitest';
import { eventStep, particleStatus, type RunConfig, Status } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { maxRelativeDiff, runBoth } from '../helpers/gpu';

const C = 16;
const N = 2048;

/** GD on 0.5*(x^2 + 10 y^2) from (1, 1): lr sets how fast y shrinks or grows, so when each particle stops. */
const CASES: { reason: string; status: number; lr: [number, number]; steps: number; config: Partial<RunConfig> }[] = [
  // |1 - 10 lr| < 1: the gradient shrinks below gtol, at a step that falls with lr.
  { reason: 'converged', status: Status.Converged, lr: [0.04, 0.19], steps: 8 * C, config: {} },
  // |1 - 10 lr| > 1: y grows past the position bound...
  { reason: 'diverged by bound', status: Status.Diverged, lr: [0.21, 1.2], steps: 8 * C, config: { posBound: 1e4 } },
  // ... or the loss past the loss bound ...
  { reason: 'diverged by loss', status: Status.Diverged, lr: [0.21, 1.2], steps: 8 * C, config: { posBound: 1e30, lossBound: 1e8 } },
  // ... or, with no bounds, the loss overflows to Infinity.
  { reason: 'non-finite', status: Status.NonFinite, lr: [0.3, 1.2], steps: 8 * C, config: { posBound: Infinity, lossBound: Infinity } },
];

describe(`particles stop at every position of a block of ${C} steps: the same status and event step on both engines`, () => {
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
          if (particleStatus(cpu.info, i) === c.status && eventStep(cpu.info, i) >= C) positions.add(eventStep(cpu.info, i) % C);
        }
        expect(maxRelativeDiff(cpu, gpu).diff).toBeLessThan(1e-5);
        // The workload reaches every position, past the first block: first, middle and last step.
        if (perDispatch === c.steps) expect([0, 1, C / 2, C - 1].filter((p) => !positions.has(p))).toEqual([]);
      }
    });
  }
});
