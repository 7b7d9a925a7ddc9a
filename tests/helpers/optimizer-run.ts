// Fixtures for the optimizer tests: the quadratic and shifted bowls with their float64
// gradients, and single-particle runs of the CPU reference recorded step by step.

import { expect } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, particleAt } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';

/** L = 1/2 (x^2 + 10 y^2): gradient (x, 10 y). */
export const LAMBDA = [1, 10];
export const START: [number, number] = [1, 1];
export type Grad = (p: number[]) => number[];
export const QUAD: Grad = (p) => p.map((v, i) => LAMBDA[i] * v);
/** A shifted bowl, whose gradient is not proportional to p (so weight decay is not a rescaling). */
export const SHIFTED_EXPR = '0.5*((x - 2)^2 + 10*(y + 1)^2)';
export const SHIFTED: Grad = ([x, y]) => [x - 2, 10 * (y + 1)];

export type Hyper = Record<string, number | boolean>;
export type Path = [number, number][];

/** Positions after each of `steps` single steps of the CPU engine (no convergence stop), plus the final state. */
export async function runEngine(name: string, hyper: Hyper, steps = 3, expression?: string) {
  const surface = expression ? resolveSurface(expression) : resolveSurface('quadratic', { lambda1: LAMBDA[0], lambda2: LAMBDA[1] });
  const optimizer = getOptimizer(name);
  const lr = Number(hyper.lr);
  const particles = buildParticles({ kind: 'sweep', start: START, lrMin: lr, lrMax: lr, n: 1 }, optimizer, hyper);
  const engine = new CpuEngine({ surface, optimizer, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } });
  const path: Path = [];
  for (let s = 0; s < steps; s++) {
    engine.step(1);
    const p = particleAt(await engine.read(), 0);
    expect(p.status).toBe('running');
    expect(p.steps).toBe(s + 1);
    path.push([p.x, p.y]);
  }
  return { path, state: Array.from((await engine.read()).state) };
}
