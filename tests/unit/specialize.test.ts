// Hyperparameters shared by every particle are compiled in as constants: the program
// gets shorter and computes exactly the same numbers.

import { describe, expect, test } from 'vitest';
import { Evaluator, instructionCount } from '../../src/core/expr/program';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer, specializeFor } from '../../src/core/optimizers';
import { uniform01 } from '../../src/core/random';

describe('optimizer specialization', () => {
  test('plain GD: momentum, dampening, weight decay and nesterov fold away', () => {
    const generic = getOptimizer('SGD');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 1e-3, lrMax: 1e-1, n: 50 }, generic);
    const special = specializeFor(generic, particles.hyper, particles.n);
    expect(special.fixed).toEqual({ momentum: 0, dampening: 0, weight_decay: 0, nesterov: 0 });
    // p - lr * g: a multiply and a subtract.
    expect(instructionCount(special.program)).toBe(2);
    expect(instructionCount(generic.program)).toBeGreaterThan(8);
  });

  test('a swept hyperparameter stays an input', () => {
    const generic = getOptimizer('SGD');
    const particles = buildParticles(
      { kind: 'product', start: [1, 1], x: { param: 'lr', min: 1e-3, max: 1e-1, n: 4, scale: 'log' }, y: { param: 'momentum', min: 0, max: 0.9, n: 4 } },
      generic,
    );
    expect(Object.keys(specializeFor(generic, particles.hyper, particles.n).fixed).sort()).toEqual(['dampening', 'nesterov', 'weight_decay']);
  });

  for (const [name, hyper] of [
    ['SGD', { momentum: 0.9, nesterov: true }],
    ['SGD', { momentum: 0.5, dampening: 0.3, weight_decay: 0.01 }],
    ['Adam', {}],
    ['Adam', { amsgrad: true, weight_decay: 0.1 }],
  ] as const) {
    test(`${name} ${JSON.stringify(hyper)}: specialized and generic programs agree bit for bit`, () => {
      const generic = getOptimizer(name);
      const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 0.01, n: 3 }, generic, hyper);
      const special = specializeFor(generic, particles.hyper, particles.n);
      expect(Object.keys(special.fixed).length).toBe(generic.def.hyper.length);
      const a = new Evaluator(generic.program);
      const b = new Evaluator(special.program);
      const H = generic.hyperStride;
      for (let k = 0; k < 200; k++) {
        const r = (c: number) => Math.fround(uniform01(7, k, c) * 4 - 2);
        const inputs = [
          r(0),
          r(1),
          k % 10,
          0,
          r(5),
          Math.abs(r(6)),
          0,
          0,
          0,
          ...Array.from(particles.hyper.subarray(0, H)),
          ...generic.def.state.map((_, s) => Math.abs(r(2 + s))),
        ];
        a.run(...inputs);
        b.run(...inputs);
        for (const out of Object.keys(generic.program.outputs)) expect(b.out(out), out).toBe(a.out(out));
      }
      expect(instructionCount(special.program)).toBeLessThan(instructionCount(generic.program));
    });
  }
});
