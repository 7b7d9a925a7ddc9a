import { describe, expect, it } from 'vitest';
import { differentiate, Graph, type Node } from '../../src/core/expr/graph';
import { parseExpression } from '../../src/core/expr/parse';
import { compileProgram, Evaluator, instructionCount, type Program } from '../../src/core/expr/program';
import { uniform01 } from '../../src/core/random';
import { Surface } from '../../src/core/surfaces';
import { randomExpression } from '../helpers/random-expr';

const f = Math.fround;

function build(src: string, withGradient = true, internal = false): { g: Graph; p: Program; L: Node } {
  const g = new Graph();
  const L = parseExpression(g, src, { variables: ['x', 'y'], internal });
  const outputs: Record<string, Node> = { loss: L };
  if (withGradient) {
    outputs.gx = differentiate(g, L, 'x');
    outputs.gy = differentiate(g, L, 'y');
  }
  return { g, p: compileProgram(['x', 'y'], outputs), L };
}

function ops(p: Program): string[] {
  return p.values.flatMap((v) => (v.kind === 'instr' ? [v.instr.op] : []));
}

describe('float32 evaluator is faithful to step-by-step Math.fround', () => {
  it('Rosenbrock at (-1.5, 2): loss 12.5, gradient (-155, -50), exactly', () => {
    const { p } = build('(1-x)^2 + 100*(y-x^2)^2');
    for (const float32 of [true, false]) {
      const e = new Evaluator(p, float32).run(-1.5, 2);
      expect(e.out('loss')).toBe(12.5);
      expect(e.out('gx')).toBe(-155);
      expect(e.out('gy')).toBe(-50);
    }
  });

  it('arithmetic and sqrt round after every operation', () => {
    const { p } = build('(x*y - 1/3)/(x + 0.1) + sqrt(x*x + y)', false);
    const e = new Evaluator(p, true);
    for (const [x0, y0] of [
      [0.7, 0.3],
      [1.9, 0.11],
      [-0.35, 2.2],
    ]) {
      const x = f(x0);
      const y = f(y0);
      const lhs = f(f(f(x * y) - f(1 / 3)) / f(x + f(0.1)));
      const rhs = f(Math.sqrt(f(f(x * x) + y)));
      const want = f(lhs + rhs);
      expect(e.run(x0, y0).out('loss')).toBe(want);
      // ... and the float64 value differs, so the rounding is really there.
      const exact = (x0 * y0 - 1 / 3) / (x0 + 0.1) + Math.sqrt(x0 * x0 + y0);
      expect(want).not.toBe(exact);
      expect(want).toBeCloseTo(exact, 5);
    }
  });

  it('a gradient built by the rules rounds the same way: d/dx (x*y + y/x) = y - y/x^2', () => {
    const { p } = build('x*y + y/x');
    const e = new Evaluator(p, true);
    for (const [x0, y0] of [
      [0.7, 0.3],
      [1.3, -2.9],
    ]) {
      const x = f(x0);
      const y = f(y0);
      e.run(x0, y0);
      expect(e.out('gx')).toBe(f(y - f(y / f(x * x))));
      expect(e.out('gy')).toBe(f(x + f(1 / x)));
      expect(e.out('loss')).toBe(f(f(x * y) + f(y / x)));
    }
  });

  it('inputs are rounded to float32 (and not in float64 mode)', () => {
    const { p } = build('x + 0*y', false);
    expect(new Evaluator(p, true).run(0.1, 0).out('loss')).toBe(f(0.1));
    expect(new Evaluator(p, false).run(0.1, 0).out('loss')).toBe(0.1);
  });

  it('constants are rounded to float32 when loaded', () => {
    const { p } = build('x * 0.1', false);
    expect(new Evaluator(p, true).run(3, 0).out('loss')).toBe(f(3 * f(0.1)));
    expect(new Evaluator(p, false).run(3, 0).out('loss')).toBe(3 * 0.1);
  });

  it('powi is binary powering by repeated multiplication, rounded each time', () => {
    const { p } = build('x^5 + 0*y', false);
    const p7 = build('x^7 + 0*y', false).p;
    const pm3 = build('x^-3 + 0*y', false).p;
    // powi, not pow: the exponent is expanded.
    expect(ops(p)).toEqual(['powi']);
    expect(ops(pm3)).toEqual(['powi']);
    const e5 = new Evaluator(p, true);
    const e7 = new Evaluator(p7, true);
    const em3 = new Evaluator(pm3, true);
    let differsFromPow = 0;
    for (const x0 of [1.1, 1.3, 1.7, 2.3, 0.9, -1.7]) {
      const x = f(x0);
      const x2 = f(x * x);
      const x4 = f(x2 * x2);
      const want5 = f(x * x4);
      const want7 = f(f(x * x2) * x4);
      const wantm3 = f(1 / f(x * x2));
      expect(e5.run(x0, 0).out('loss')).toBe(want5);
      expect(e7.run(x0, 0).out('loss')).toBe(want7);
      expect(em3.run(x0, 0).out('loss')).toBe(wantm3);
      if (want5 !== f(x ** 5) || want7 !== f(x ** 7) || wantm3 !== f(x ** -3)) differsFromPow++;
    }
    // These inputs were chosen so that a correctly rounded pow would give other bits.
    expect(differsFromPow).toBeGreaterThanOrEqual(4);
  });

  it('pow with a non-integer or non-constant exponent is NaN for a negative base (WGSL)', () => {
    const { p } = build('x^y', false);
    const q = build('x^0.3 + 0*y', false).p;
    const s = build('x^0.5 + 0*y', false).p;
    for (const float32 of [true, false]) {
      expect(new Evaluator(p, float32).run(-2, 2).out('loss')).toBeNaN();
      expect(new Evaluator(p, float32).run(2, 2).out('loss')).toBeCloseTo(4, 5);
      expect(new Evaluator(q, float32).run(-1, 0).out('loss')).toBeNaN();
      expect(new Evaluator(s, float32).run(-1, 0).out('loss')).toBeNaN();
    }
    // An integer constant exponent is powi, defined for negative bases.
    expect(new Evaluator(build('x^3 + 0*y', false).p, true).run(-2, 0).out('loss')).toBe(-8);
    // Constant folding uses the same semantics.
    const g = new Graph();
    const folded = parseExpression(g, '(-8)^(1/3)', { variables: ['x', 'y'] });
    expect(folded.kind).toBe('num');
    expect(folded.kind === 'num' && folded.value).toBeNaN();
  });

  it('every float32 result is a float32 value, and close to float64 on tame inputs', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = Surface.fromExpression(randomExpression(seed));
      const e32 = new Evaluator(s.step, true);
      const e64 = new Evaluator(s.step, false);
      for (let i = 0; i < 10; i++) {
        const x = f(-2 + 4 * uniform01(seed, i, 0));
        const y = f(-2 + 4 * uniform01(seed, i, 1));
        e32.run(x, y);
        e64.run(x, y);
        for (const k of ['loss', 'gx', 'gy']) {
          const v = e32.out(k);
          expect(f(v)).toBe(v);
        }
        const l64 = e64.out('loss');
        expect(Math.abs(e32.out('loss') - l64)).toBeLessThan(1e-4 * (1 + Math.abs(l64)));
      }
    }
  });

  it('select evaluates the comparison and picks a branch', () => {
    const { p } = build('x < y ? x*2 : y - 1', false, true);
    const e = new Evaluator(p, true);
    expect(e.run(1, 5).out('loss')).toBe(2);
    expect(e.run(5, 1).out('loss')).toBe(0);
    const lt = p.values.find((v) => v.kind === 'instr' && v.instr.op === 'lt');
    expect(lt && lt.kind === 'instr' && lt.instr.bool).toBe(true);
    const sel = p.values.find((v) => v.kind === 'instr' && v.instr.op === 'select');
    expect(sel && sel.kind === 'instr' && sel.instr.bool).toBe(false);
  });
});

describe('graph building: sharing and folding', () => {
  it('identical subexpressions exist once: sin(x)*sin(x)+sin(x) has one sin', () => {
    const { p } = build('sin(x)*sin(x)+sin(x)');
    const o = ops(p);
    expect(o.filter((op) => op === 'sin')).toHaveLength(1);
    // The gradient 2 sin cos + cos reuses sin and has a single cos.
    expect(o.filter((op) => op === 'cos')).toHaveLength(1);
    // In the loss alone, sin(x)*sin(x) became a square of the one sin.
    expect(ops(build('sin(x)*sin(x)+sin(x)', false).p)).toEqual(['sin', 'powi', 'add']);
    const e = new Evaluator(p, false).run(0.4, 0);
    expect(e.out('loss')).toBeCloseTo(Math.sin(0.4) ** 2 + Math.sin(0.4), 14);
    expect(e.out('gx')).toBeCloseTo(2 * Math.sin(0.4) * Math.cos(0.4) + Math.cos(0.4), 14);
  });

  it('each value is computed once even when used by several outputs', () => {
    const { p } = build('exp(x*y) + exp(x*y)^2');
    const o = ops(p);
    expect(o.filter((op) => op === 'exp')).toHaveLength(1);
    expect(ops(build('exp(x*y) + exp(x*y)^2', false).p)).toEqual(['mul', 'exp', 'powi', 'add']);
    // Operands always refer to earlier values (post-order).
    p.values.forEach((v, i) => {
      if (v.kind === 'instr') for (const a of v.instr.args) expect(a).toBeLessThan(i);
    });
  });

  it('constants fold: 2*3+x is one add of 6', () => {
    const { p } = build('2*3+x', false);
    expect(instructionCount(p)).toBe(1);
    expect(ops(p)).toEqual(['add']);
    const consts = p.values.flatMap((v) => (v.kind === 'const' ? [v.value] : []));
    expect(consts).toEqual([6]);
    expect(new Evaluator(p, true).run(1, 0).out('loss')).toBe(7);
  });

  it('algebraic identities simplify', () => {
    const cases: [string, number][] = [
      ['x + 0', 0],
      ['0 + x', 0],
      ['x * 1', 0],
      ['1 * x', 0],
      ['x - x', 0],
      ['x / x', 0],
      ['0 * sin(x)', 0],
      ['x^1', 0],
      ['x^0', 0],
      ['-(-x)', 0],
      ['sqrt(4) * x', 1],
      ['(x^2)^3', 1],
      ['x - -y', 1],
      ['-x + y', 1],
    ];
    for (const [src, n] of cases) expect(instructionCount(build(src, false).p), src).toBe(n);
    expect(ops(build('(x^2)^3', false).p)).toEqual(['powi']);
    expect(build('(x^2)^3', false).p.values.find((v) => v.kind === 'instr')).toMatchObject({ instr: { n: 6 } });
    expect(ops(build('x^0.5', false).p)).toEqual(['sqrt']);
    expect(ops(build('-x + y', false).p)).toEqual(['sub']);
  });

  it('the graph refuses to grow past its node limit', () => {
    const g = new Graph(5);
    const x = g.variable('x');
    let node: Node = x;
    expect(() => {
      for (let i = 0; i < 10; i++) node = g.call('sin', node);
    }).toThrow(RangeError);
    expect(g.size).toBe(5);
  });

  it('compileProgram rejects a variable that is not an input', () => {
    const g = new Graph();
    const L = parseExpression(g, 'x + y', { variables: ['x', 'y'] });
    expect(() => compileProgram(['x'], { loss: L })).toThrow(/unknown variable 'y'/);
  });
});
