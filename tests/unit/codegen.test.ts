// The WGSL printer: values both coordinates share are printed once, and the step kernel
// unrolls only short steps.

import { describe, expect, test } from 'vitest';
import { Graph } from '../../src/core/expr/graph';
import { parseAssignments, parseExpression } from '../../src/core/expr/parse';
import { compileProgram } from '../../src/core/expr/program';
import { emitPerCoordinate, emitWGSL } from '../../shaders/codegen';
import { getOptimizer, specializeFor } from '../../src/core/optimizers';
import { buildParticles } from '../../src/core/layouts';
import { resolveSurface } from '../../src/core/surfaces';
import { unrollFor } from '../../shaders/update';

const count = (code: string, s: string) => code.split(s).length - 1;

describe('emitPerCoordinate', () => {
  const g = new Graph();
  const vars = parseAssignments(g, 'c = lr / (1 - 0.9^(t + 1))\np2 = p - c * g * sqrt(t)', ['p', 'g', 't', 'lr']);
  const program = compileProgram(['p', 'g', 't', 'lr'], { p: vars.get('p2')! });
  const coord = (c: string) => ({ inputs: { p: c, g: `g${c}`, t: 't', lr: 'h_lr' }, prefix: `o${c}` });
  const { shared, each } = emitPerCoordinate(program, [coord('x'), coord('y')], 'oc');

  test('prints what depends only on shared inputs once', () => {
    expect(count(shared, 'es_pow')).toBe(1);
    expect(count(shared, 'sqrt(t)')).toBe(1);
    for (const e of each) {
      expect(e.code).not.toContain('es_pow');
      expect(e.code).not.toContain('sqrt');
      expect(e.code).toMatch(/oc\d+/);
    }
    expect(each[0].code).toContain('gx');
    expect(each[0].code).not.toContain('gy');
    expect(each[1].code).toContain('gy');
    expect(each[0].outputs.p).toMatch(/^ox/);
    expect(each[1].outputs.p).toMatch(/^oy/);
  });

  test('nothing is shared where an input differs', () => {
    const r = emitPerCoordinate(program, [coord('x'), { ...coord('y'), inputs: { ...coord('y').inputs, t: 'ty' } }], 'oc');
    expect(r.shared).toBe('');
    expect(count(r.each[1].code, 'es_pow')).toBe(1);
  });
});

describe('sin and cos of one argument', () => {
  test('print one es_sincos; other arguments keep their own calls', () => {
    const g = new Graph();
    const e = (src: string) => parseExpression(g, src, { variables: ['x', 'y'] });
    const program = compileProgram(['x', 'y'], { a: e('cos(2*x) + sin(y)'), b: e('3*sin(2*x)') });
    const em = emitWGSL(program, { inputs: { x: 'x', y: 'y' }, prefix: 's' });
    expect(count(em.code, 'es_sincos(')).toBe(1);
    expect(count(em.code, 'es_sin(')).toBe(1);
    expect(count(em.code, 'es_cos(')).toBe(0);
  });
});

describe('unrollFor', () => {
  const optimizer = (name: string, hyper: Record<string, number> = {}) => {
    const o = getOptimizer(name);
    const p = buildParticles({ kind: 'sweep', start: [-1.5, 2], lrMin: 1e-4, lrMax: 1e-2, n: 8 }, o, hyper);
    return specializeFor(o, p.hyper, p.n);
  };
  test('short steps unroll, long ones stay rolled', () => {
    expect(unrollFor(resolveSurface('rosenbrock'), optimizer('SGD'))).toBe(5);
    expect(unrollFor(resolveSurface('quadratic'), optimizer('SGD', { momentum: 0.9 }))).toBe(5);
    // an elementary function in the surface or in the optimizer
    expect(unrollFor(resolveSurface('rastrigin'), optimizer('SGD'))).toBe(1);
    expect(unrollFor(resolveSurface('quadratic'), optimizer('Adam'))).toBe(1);
  });
});
