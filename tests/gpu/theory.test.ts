// Stability limits read off GPU eta sweeps, against theory: plain GD diverges past
// 2/lambda_max; heavy-ball momentum beta past 2(1+beta)/lambda_max.

import { describe, expect, test } from 'vitest';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, type ParticleState, particleStatus } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { gpuDevice } from '../helpers/gpu';

/** Smallest lr whose particle diverged; also checks every lr above it diverged and none below. */
function divergenceEdge(p: ParticleState): { edge: number; monotone: boolean } {
  let edge = NaN;
  let monotone = true;
  for (let i = 0; i < p.n; i++) {
    const bad = particleStatus(p.info, i) === Status.Diverged || particleStatus(p.info, i) === Status.NonFinite;
    if (bad && Number.isNaN(edge)) edge = p.hyper[i * p.hyperStride];
    if (!bad && !Number.isNaN(edge)) monotone = false;
  }
  return { edge, monotone };
}

async function sweepEdge(hyper: Record<string, number>, theory: number): Promise<{ edge: number; monotone: boolean }> {
  // A rotated bowl, so both coordinates couple: lambda = 2 and 50 at 30 degrees.
  const surface = resolveSurface('quadratic', { lambda1: 2, lambda2: 50, angle: 30 });
  expect(surface.minima[0].eigenvalues[1]).toBeCloseTo(50, 9);
  const opt = getOptimizer('SGD');
  const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: theory * 0.9, lrMax: theory * 1.1, n: 2001 }, opt, hyper);
  const engine = await GpuEngine.create(await gpuDevice(), { surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG });
  for (let k = 0; k < 8; k++) engine.step(500);
  const result = divergenceEdge(await engine.read());
  engine.destroy();
  return result;
}

describe('stability limits from GPU lr sweeps (quadratic, lambda_max = 50)', () => {
  test('plain GD: edge within 1% of 2/lambda_max', async () => {
    const theory = 2 / 50;
    const { edge, monotone } = await sweepEdge({}, theory);
    console.log(`GD edge ${edge} vs 2/lambda ${theory}`);
    expect(monotone).toBe(true);
    expect(Math.abs(edge / theory - 1)).toBeLessThan(0.01);
  });

  for (const beta of [0.5, 0.9]) {
    test(`heavy ball beta=${beta}: edge within 1% of 2(1+beta)/lambda_max`, async () => {
      const theory = (2 * (1 + beta)) / 50;
      const { edge, monotone } = await sweepEdge({ momentum: beta }, theory);
      console.log(`heavy ball ${beta}: edge ${edge} vs ${theory}`);
      expect(monotone).toBe(true);
      expect(Math.abs(edge / theory - 1)).toBeLessThan(0.01);
    });
  }
});
