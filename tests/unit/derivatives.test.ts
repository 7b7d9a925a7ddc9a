import { describe, expect, it } from 'vitest';
import { applyOp, differentiate, Graph } from '../../src/core/expr/graph';
import { parseExpression } from '../../src/core/expr/parse';
import { compileProgram, Evaluator } from '../../src/core/expr/program';
import { uniform01 } from '../../src/core/random';
import { PRESET_NAMES, resolveSurface, Surface } from '../../src/core/surfaces';
import { randomExpression } from '../helpers/random-expr';

const REL = 1e-5;
const POINTS = 20;

type Fn = (x: number, y: number) => number;

/**
 * Central difference of f along one axis at (x, y), or null when f is not smooth
 * within the stencil (an abs/min/max kink): the one-sided second differences at steps
 * h and 2h disagree, which a C^3 function cannot do beyond rounding.
 */
function centralDiff(f: Fn, x: number, y: number, axis: 0 | 1, h: number): number | null {
  const at = (t: number) => (axis === 0 ? f(x + t, y) : f(x, y + t));
  const f0 = at(0);
  const p1 = at(h);
  const m1 = at(-h);
  const p2 = at(2 * h);
  const m2 = at(-2 * h);
  const vals = [f0, p1, m1, p2, m2];
  if (!vals.every(Number.isFinite)) return null;
  const right = (p1 - f0) / h;
  const left = (f0 - m1) / h;
  const right2 = (p2 - f0) / (2 * h);
  const left2 = (f0 - m2) / (2 * h);
  // Smooth: right - left = h f'' + O(h^3) and right2 - left2 = 2h f'' + O(h^3).
  const bend = Math.abs(2 * (right - left) - (right2 - left2));
  const scale = Math.max(...vals.map(Math.abs));
  if (bend > 1e-6 * (1 + Math.abs(right) + Math.abs(left)) + (1e-9 * scale) / h) return null;
  return (p1 - m1) / (2 * h);
}

interface Check {
  checked: number;
  skipped: number;
}

/** Compares the symbolic gradient and Hessian with central differences at seeded points. */
function checkSurface(s: Surface, domain: [number, number, number, number], seed: number): Check {
  const [x0, x1, y0, y1] = domain;
  const loss: Fn = (x, y) => s.evaluate(x, y).loss;
  const gx: Fn = (x, y) => s.evaluate(x, y).gx;
  const gy: Fn = (x, y) => s.evaluate(x, y).gy;
  let checked = 0;
  let skipped = 0;
  for (let i = 0; i < POINTS; i++) {
    const x = x0 + (x1 - x0) * uniform01(seed, i, 0);
    const y = y0 + (y1 - y0) * uniform01(seed, i, 1);
    const e = s.evaluate(x, y);
    const H = s.hessianAt(x, y);
    const hx = 1e-5 * Math.max(1, Math.abs(x));
    const hy = 1e-5 * Math.max(1, Math.abs(y));
    const gScale = Math.max(1, Math.abs(e.gx), Math.abs(e.gy));
    const hScale = Math.max(1, Math.abs(H.hxx), Math.abs(H.hxy), Math.abs(H.hyy));
    const pairs: [number | null, number, number, string][] = [
      [centralDiff(loss, x, y, 0, hx), e.gx, gScale, 'gx'],
      [centralDiff(loss, x, y, 1, hy), e.gy, gScale, 'gy'],
      [centralDiff(gx, x, y, 0, hx), H.hxx, hScale, 'hxx'],
      [centralDiff(gx, x, y, 1, hy), H.hxy, hScale, 'hxy (d gx / dy)'],
      [centralDiff(gy, x, y, 0, hx), H.hxy, hScale, 'hxy (d gy / dx)'],
      [centralDiff(gy, x, y, 1, hy), H.hyy, hScale, 'hyy'],
    ];
    for (const [fd, sym, scale, what] of pairs) {
      if (fd === null) {
        skipped++;
        continue;
      }
      expect(Number.isFinite(sym), `${what} at (${x}, ${y})`).toBe(true);
      const err = Math.abs(fd - sym);
      if (err > REL * scale) {
        throw new Error(`${s.spec.expression}: ${what} at (${x}, ${y}) symbolic ${sym}, finite difference ${fd} (scale ${scale})`);
      }
      checked++;
    }
  }
  return { checked, skipped };
}

describe('symbolic derivatives match finite differences', () => {
  const presets: [string, Record<string, number> | undefined][] = [
    ...PRESET_NAMES.map((n): [string, undefined] => [n, undefined]),
    ['quadratic', { lambda1: 2, lambda2: 50, angle: 30 }],
    ['double-well', { sharpWidth: 0.3, flatX: 1.5, flatWidth: 0.6 }],
  ];
  for (const [name, params] of presets) {
    it(`preset ${name}${params ? ` ${JSON.stringify(params)}` : ''}`, () => {
      const s = resolveSurface(name, params);
      const r = checkSurface(s, s.spec.domain, 1000 + name.length);
      // Presets are smooth everywhere in their domain (Ackley's tip is regularised).
      expect(r.skipped).toBe(0);
      expect(r.checked).toBe(6 * POINTS);
    });
  }

  it('30 random expressions (skipping kinks of abs/min/max)', () => {
    let checked = 0;
    let skipped = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const s = Surface.fromExpression(randomExpression(seed));
      const r = checkSurface(s, [-2, 2, -2, 2], 7000 + seed);
      checked += r.checked;
      skipped += r.skipped;
    }
    // Kinks are rare at random points: nearly everything was compared.
    expect(checked).toBeGreaterThan(0.9 * 30 * 6 * POINTS);
    expect(skipped).toBeLessThan(0.1 * 30 * 6 * POINTS);
  });

  it('the kink detector does skip a point next to a kink', () => {
    const f: Fn = (x) => Math.abs(x - 0.3);
    expect(centralDiff(f, 0.3 + 2e-6, 0, 0, 1e-5)).toBeNull();
    expect(centralDiff(f, 0.5, 0, 0, 1e-5)).toBeCloseTo(1, 8);
  });
});

/** Float64 evaluator of L and its first and second derivatives in x, for a 1-D expression. */
function derivs(src: string) {
  const g = new Graph();
  const L = parseExpression(g, src, { variables: ['x', 'y'] });
  const d1 = differentiate(g, L, 'x');
  const d2 = differentiate(g, d1, 'x');
  const dy = differentiate(g, L, 'y');
  const p = compileProgram(['x', 'y'], { L, d1, d2, dy });
  const e64 = new Evaluator(p, false);
  const e32 = new Evaluator(p, true);
  return (x: number, y = 0, f32 = false) => {
    const e = (f32 ? e32 : e64).run(x, y);
    return { L: e.out('L'), d1: e.out('d1'), d2: e.out('d2'), dy: e.out('dy') };
  };
}

describe('derivative rules at special points', () => {
  it('abs has derivative 0 at 0 (finite), and ±1 elsewhere', () => {
    const d = derivs('abs(x)');
    for (const f32 of [false, true]) {
      expect(d(0, 0, f32).d1).toBe(0);
      expect(d(0, 0, f32).d2).toBe(0);
      expect(d(-2, 0, f32).d1).toBe(-1);
      expect(d(3, 0, f32).d1).toBe(1);
    }
    const inner = derivs('abs(x^2 - 1)');
    expect(inner(1).d1).toBe(0);
    expect(inner(2).d1).toBe(4);
    expect(inner(0.5).d1).toBe(-1);
  });

  it('min and max follow the first argument at a tie', () => {
    const mn = derivs('min(x, y)');
    expect(mn(1, 1)).toMatchObject({ L: 1, d1: 1, dy: 0 });
    expect(mn(1, 2)).toMatchObject({ d1: 1, dy: 0 });
    expect(mn(2, 1)).toMatchObject({ d1: 0, dy: 1 });
    const mx = derivs('max(x, y)');
    expect(mx(1, 1)).toMatchObject({ L: 1, d1: 1, dy: 0 });
    expect(mx(1, 2)).toMatchObject({ d1: 0, dy: 1 });
    expect(mx(3, 2)).toMatchObject({ d1: 1, dy: 0 });
    // Argument order is canonical in the graph (min is commutative): min(y, x) is the
    // node min(x, y), so at a tie it follows x too. Either way it is one argument's slope.
    const swapped = derivs('min(y, x)')(1, 1);
    expect([swapped.d1, swapped.dy]).toEqual([mn(1, 1).d1, mn(1, 1).dy]);
    // At a tie the derivative is exactly one argument's derivative, never a blend.
    const mixed = derivs('max(x^2, 2*x)'); // tie at x = 2: derivatives 4 and 2
    expect(mixed(2).d1).toBe(4);
    expect(mixed(3).d1).toBe(6);
    expect(mixed(1).d1).toBe(2);
    const three = derivs('min(3*x, 2*x, x + 1)'); // at x = 1: 3, 2, 2 -> min is 2*x or x + 1
    expect([2, 1]).toContain(three(1).d1);
    expect(three(-1).d1).toBe(3);
    expect(three(5).d1).toBe(1);
  });

  it('sigmoid, softplus and tanh derivatives are right, with second derivatives', () => {
    const sig = (t: number) => 1 / (1 + Math.exp(-t));
    const s = derivs('sigmoid(x)');
    const sp = derivs('softplus(x)');
    const th = derivs('tanh(x)');
    for (const t of [-7, -2.5, -0.3, 0, 0.4, 1.7, 6]) {
      const st = sig(t);
      expect(s(t).L).toBeCloseTo(st, 14);
      expect(s(t).d1).toBeCloseTo(st * (1 - st), 14);
      expect(s(t).d2).toBeCloseTo(st * (1 - st) * (1 - 2 * st), 14);
      expect(sp(t).L).toBeCloseTo(Math.log1p(Math.exp(t)), 13);
      expect(sp(t).d1).toBeCloseTo(st, 14);
      expect(sp(t).d2).toBeCloseTo(st * (1 - st), 14);
      const tt = Math.tanh(t);
      expect(th(t).d1).toBeCloseTo(1 - tt * tt, 14);
      expect(th(t).d2).toBeCloseTo(-2 * tt * (1 - tt * tt), 14);
    }
    expect(s(0).d1).toBe(0.25);
    expect(sp(0).d1).toBe(0.5);
    expect(th(0).d1).toBe(1);
  });

  it('tanh, sigmoid and softplus stay finite far out, in float64 and float32', () => {
    for (const src of ['tanh(x)', 'sigmoid(x)', 'softplus(x)']) {
      const d = derivs(src);
      for (const t of [-800, -50, 50, 800]) {
        for (const f32 of [false, true]) {
          const r = d(t, 0, f32);
          for (const [k, v] of Object.entries(r)) expect(Number.isFinite(v), `${src} ${k} at ${t} (f32 ${f32})`).toBe(true);
        }
      }
    }
    const th = derivs('tanh(x)');
    expect(th(50).L).toBe(1);
    expect(th(-50).L).toBe(-1);
    expect(th(50).d1).toBe(0);
    expect(th(-50, 0, true).d1).toBe(0);
    const sp = derivs('softplus(x)');
    expect(sp(800).L).toBe(800);
    expect(sp(800).d1).toBe(1);
    expect(sp(-800).d1).toBe(0);
  });

  it('each rule against its closed form at a generic point', () => {
    const x = 0.6;
    const table: [string, number][] = [
      ['exp(2x)', 2 * Math.exp(2 * x)],
      ['log(x)', 1 / x],
      ['log2(x)', 1 / (x * Math.LN2)],
      ['log10(x)', 1 / (x * Math.LN10)],
      ['log(x, 3)', 1 / (x * Math.log(3))],
      ['sqrt(x)', 0.5 / Math.sqrt(x)],
      ['sin(x)', Math.cos(x)],
      ['cos(x)', -Math.sin(x)],
      ['tan(x)', 1 / Math.cos(x) ** 2],
      ['atan(x)', 1 / (1 + x * x)],
      ['sinh(x)', Math.cosh(x)],
      ['cosh(x)', Math.sinh(x)],
      ['sign(x)', 0],
      ['x^7', 7 * x ** 6],
      ['x^-3', -3 * x ** -4],
      ['x^2.5', 2.5 * x ** 1.5],
      ['2^x', Math.LN2 * 2 ** x],
      ['x^x', x ** x * (Math.log(x) + 1)],
      ['pow(x, y + 2)', 2 * x], // y = 0
      ['1 / x', -1 / (x * x)],
      ['x / (1 + x^2)', (1 - x * x) / (1 + x * x) ** 2],
      ['square(sin(x))', 2 * Math.sin(x) * Math.cos(x)],
    ];
    for (const [src, want] of table) expect(derivs(src)(x).d1, src).toBeCloseTo(want, 12);
  });

  it('every unary rule applies the chain rule (inner u = x^2 + 0.5x)', () => {
    const sig = (t: number) => 1 / (1 + Math.exp(-t));
    const outer: Record<string, (u: number) => number> = {
      exp: Math.exp,
      log: (u) => 1 / u,
      ln: (u) => 1 / u,
      log2: (u) => 1 / (u * Math.LN2),
      log10: (u) => 1 / (u * Math.LN10),
      sqrt: (u) => 0.5 / Math.sqrt(u),
      abs: Math.sign,
      sign: () => 0,
      sin: Math.cos,
      cos: (u) => -Math.sin(u),
      tan: (u) => 1 / Math.cos(u) ** 2,
      atan: (u) => 1 / (1 + u * u),
      sinh: Math.cosh,
      cosh: Math.sinh,
      tanh: (u) => 1 - Math.tanh(u) ** 2,
      sigmoid: (u) => sig(u) * (1 - sig(u)),
      softplus: sig,
      square: (u) => 2 * u,
    };
    for (const x of [0.35, 0.8]) {
      const u = x * x + 0.5 * x;
      const du = 2 * x + 0.5;
      for (const [name, fprime] of Object.entries(outer)) {
        expect(derivs(`${name}(x^2 + 0.5x)`)(x).d1, `${name} at ${x}`).toBeCloseTo(fprime(u) * du, 12);
      }
    }
  });
});

describe('applyOp', () => {
  it('matches WGSL-like semantics for the ops whose meaning is a choice', () => {
    expect(applyOp('pow', -2, 2)).toBeNaN();
    expect(applyOp('pow', 2, 0.5)).toBe(Math.SQRT2);
    expect(applyOp('powi', -2, 0, 0, 3)).toBe(-8);
    expect(applyOp('powi', 2, 0, 0, -2)).toBe(0.25);
    expect(applyOp('powi', 5, 0, 0, 0)).toBe(1);
    expect(applyOp('sign', 0)).toBe(0);
    expect(applyOp('sign', -0.1)).toBe(-1);
    expect(applyOp('select', 1, 2, 3)).toBe(2);
    expect(applyOp('select', 0, 2, 3)).toBe(3);
    expect(applyOp('softplus', 1000)).toBe(1000);
    expect(applyOp('softplus', 0)).toBeCloseTo(Math.LN2, 15);
    expect(applyOp('le', 1, 1)).toBe(1);
    expect(applyOp('lt', 1, 1)).toBe(0);
    expect(applyOp('and', 2, 0)).toBe(0);
    expect(applyOp('or', 0, -1)).toBe(1);
    expect(applyOp('not', 0)).toBe(1);
  });

  it('differentiating a comparison is an error', () => {
    const g = new Graph();
    const c = parseExpression(g, 'x < y', { variables: ['x', 'y'], internal: true });
    expect(() => differentiate(g, c, 'x')).toThrow(/comparison/);
  });
});
