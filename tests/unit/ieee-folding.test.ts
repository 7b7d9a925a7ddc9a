// Constant folding follows IEEE 754: what the constants evaluate to (NaN, infinities) is
// what the folded graph holds, and shortcuts such as 0·a = 0 never drop a non-finite one.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { Graph } from '../../src/core/expr/graph';
import { parseExpression } from '../../src/core/expr/parse';
import { compileProgram, Evaluator } from '../../src/core/expr/program';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, particleAt } from '../../src/core/particles';
import { Surface } from '../../src/core/surfaces';

function evalAt(src: string, x: number, y: number): number {
  const g = new Graph();
  const root = parseExpression(g, src, { variables: ['x', 'y'] });
  return new Evaluator(compileProgram(['x', 'y'], { v: root }), false).run(x, y).out('v');
}

describe('constant folding follows IEEE 754', () => {
  it.each([
    ['0/0 + x^2', NaN],
    ['0*(1/0)', NaN],
    ['(1/0)-(1/0)', NaN],
    ['0*log(-1)', NaN],
    ['0*(x + log(-1))', NaN],
    ['(x + 1/0) - (x + 1/0)', NaN],
    ['(x*0 + 0/0) / (x*0 + 0/0)', NaN],
    ['1/0 + y', Infinity],
    ['-1/0', -Infinity],
    ['0*x + y', 2],
    ['x - x + y', 2],
    ['x/x * y', 2],
  ])('%s at (1, 2) is %d', (src, want) => {
    expect(evalAt(src, 1, 2)).toBe(want);
  });

  it('a surface whose loss is NaN everywhere marks its particles non-finite at step 1', async () => {
    const surface = Surface.fromExpression('0/0 + x^2');
    const opt = getOptimizer('SGD');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 0.1, n: 4 }, opt, {});
    const engine = new CpuEngine({ surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG });
    engine.step(10);
    const p = await engine.read();
    for (let i = 0; i < p.n; i++) {
      const v = particleAt(p, i);
      expect(v.status).toBe('nonfinite');
      expect(v.eventStep).toBeLessThanOrEqual(1);
    }
  });
});
