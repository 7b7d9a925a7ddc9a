import { describe, expect, it } from 'vitest';
import { Graph, type Node } from '../../src/core/expr/graph';
import {
  ExpressionError,
  FUNCTIONS,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING,
  MAX_OPERATORS,
  MAX_POWERS,
  parseAssignments,
  parseExpression,
} from '../../src/core/expr/parse';
import { Surface } from '../../src/core/surfaces';
import { compileProgram, Evaluator } from '../../src/core/expr/program';
import { uniform01 } from '../../src/core/random';

/** Parses `src` in x, y and evaluates it in float64 at (x, y). */
function evalAt(src: string, x: number, y: number): number {
  const g = new Graph();
  const root = parseExpression(g, src, { variables: ['x', 'y'] });
  return new Evaluator(compileProgram(['x', 'y'], { v: root }), false).run(x, y).out('v');
}

/** The ExpressionError `src` throws (fails the test if it parses or throws anything else). */
function parseError(src: string): ExpressionError {
  try {
    parseExpression(new Graph(), src, { variables: ['x', 'y'] });
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw new Error(`${JSON.stringify(src)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}, not ExpressionError`, { cause: err });
  }
  throw new Error(`${JSON.stringify(src)} parsed without error`);
}

describe('parseExpression: valid input', () => {
  const x = 0.7;
  const y = -1.3;
  const cases: [string, number][] = [
    ['2x', 2 * x],
    ['2x y', 2 * x * y],
    ['3(x + 1)', 3 * (x + 1)],
    ['-x^2', -(x * x)],
    ['(-x)^2', x * x],
    ['-x - -y', -x + y],
    ['+x', x],
    ['2^3^2', 512], // right-associative: 2^(3^2)
    ['x^2^2', x ** 4],
    ['2^-1', 0.5],
    ['pi', Math.PI],
    ['e', Math.E],
    ['2pi x', 2 * Math.PI * x],
    ['1e-3 * x', 1e-3 * x],
    ['1.5e2', 150],
    ['x / 2 / 4', x / 8],
    ['x - y - 1', x - y - 1],
    ['min(x, y, -3)', -3],
    ['max(x, y, 0.5)', x],
    ['min(3, x, y)', y],
    ['max(x, y)', x],
    ['log(8, 2)', 3],
    ['log(x + 2, 2)', Math.log(x + 2) / Math.log(2)],
    ['ln(e^2)', 2],
    ['pow(x, 3)', x ** 3],
    ['pow(2, 0.5)', Math.SQRT2],
    ['square(y)', y * y],
    ['x*y - y*x', 0],
  ];
  for (const [src, want] of cases) {
    it(`${src} = ${want}`, () => {
      expect(evalAt(src, x, y)).toBeCloseTo(want, 12);
    });
  }

  it('implicit multiplication binds like *', () => {
    expect(evalAt('2x^2', 3, 0)).toBe(18);
    expect(evalAt('x y + 1', 2, 3)).toBe(7);
  });

  it('accepts every whitelisted function with its arity and matches Math', () => {
    const v = 0.37;
    const reference: Record<string, (a: number) => number> = {
      exp: Math.exp,
      log: Math.log,
      ln: Math.log,
      log2: Math.log2,
      log10: Math.log10,
      sqrt: Math.sqrt,
      abs: Math.abs,
      sign: Math.sign,
      sin: Math.sin,
      cos: Math.cos,
      tan: Math.tan,
      atan: Math.atan,
      sinh: Math.sinh,
      cosh: Math.cosh,
      tanh: Math.tanh,
      sigmoid: (a) => 1 / (1 + Math.exp(-a)),
      softplus: (a) => Math.log1p(Math.exp(a)),
      square: (a) => a * a,
      floor: Math.floor,
    };
    const seen = new Set<string>();
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const [lo, hi] = spec.arity;
      expect(lo).toBeGreaterThanOrEqual(1);
      expect(hi).toBeGreaterThanOrEqual(lo);
      // The smallest and largest arity both parse; one fewer and one more are rejected.
      for (const k of [lo, hi]) {
        const args = Array.from({ length: k }, (_, i) => (i === 0 ? 'x' : `${i + 1.5}`)).join(', ');
        const val = evalAt(`${name}(${args})`, v, 0);
        expect(Number.isNaN(val), `${name}(${args})`).toBe(false);
      }
      const tooFew = Array.from({ length: lo - 1 }, () => 'x').join(', ');
      const tooMany = Array.from({ length: hi + 1 }, () => 'x').join(', ');
      expect(parseError(`${name}(${tooFew})`).reason).toMatch(new RegExp(`${name} takes`));
      expect(parseError(`${name}(${tooMany})`).reason).toMatch(new RegExp(`got ${hi + 1}`));
      if (reference[name]) {
        for (const a of [v, -v, 2.5]) {
          const want = reference[name](a);
          const got = evalAt(`${name}(x)`, a, 0);
          if (Number.isNaN(want)) expect(got, `${name}(${a})`).toBeNaN();
          else expect(got, `${name}(${a})`).toBeCloseTo(want, 13);
        }
        seen.add(name);
      }
    }
    // Every unary function was checked numerically; the multi-argument ones are above.
    expect([...seen].sort()).toEqual(Object.keys(reference).sort());
    expect(Object.keys(FUNCTIONS).sort()).toEqual([...Object.keys(reference), 'pow', 'min', 'max'].sort());
  });

  it('hash-conses equal subexpressions and puts commutative arguments in one order', () => {
    const g = new Graph();
    const a = parseExpression(g, 'sin(x) * y', { variables: ['x', 'y'] });
    const b = parseExpression(g, 'y * sin(x)', { variables: ['x', 'y'] });
    expect(a).toBe(b);
    const c = parseExpression(g, 'sin(x) - sin(x)', { variables: ['x', 'y'] });
    expect(c.kind).toBe('num');
  });

  it('uses the variables it is given (a map of existing nodes)', () => {
    const g = new Graph();
    const u = g.variable('u');
    const node = parseExpression(g, 'a + 1', { variables: new Map<string, Node>([['a', u]]) });
    expect(node.kind).toBe('call');
    expect(parseExpression(g, 'a', { variables: new Map<string, Node>([['a', u]]) })).toBe(u);
    expect(() => parseExpression(g, 'x', { variables: new Map<string, Node>([['a', u]]) })).toThrow(ExpressionError);
  });
});

describe('parseExpression: malformed input', () => {
  const cases: [string, number | null, RegExp][] = [
    ['x + * 2', 5, /value expected/],
    ['sin(x', 6, /parenthesis/],
    ['(x + 1', 7, /parenthesis/],
    ['foo(x)', 1, /unknown function 'foo'/],
    ['x + z', 5, /unknown name 'z'/],
    ['x = 3', 3, /assignment/],
    ['x > 2', 3, /'>' is not allowed/],
    ['x == y', 3, /'==' is not allowed/],
    ['[1,2]', 1, /matrices/],
    ['x % 2', 3, /'%' is not allowed/],
    ['x mod 2', 3, /'mod' is not allowed/],
    ['"a"', null, /only numbers/],
    ['true', 1, /only numbers/],
    ['min(x)', 1, /min takes 2 to 16 arguments, got 1/],
    ['sin(x, y)', 1, /sin takes 1 argument, got 2/],
    ['sin', 1, /'sin' is a function/],
    ['', 1, /empty/],
    ['   ', 1, /empty/],
    ['x ? 1 : 2', 3, /conditional/],
    ['f(x) = x', null, /function definitions/],
    ['x[1]', 2, /indexing/],
    ['{a: 1}', 1, /objects/],
    ['1:3', 2, /ranges/],
    ['x!', 2, /'!' is not allowed/],
    ["x'", 2, /is not allowed/],
    ['x; y', 2, /one expression/],
    ['x and y', 3, /'and' is not allowed/],
    ['not x', 1, /'not' is not allowed/],
    ['x & y', 3, /'&' is not allowed/],
    ['5 cm', 3, /unknown name 'cm'/],
    ['2 + xy', 5, /unknown name 'xy'/],
    ['@', 1, /syntax error/],
  ];
  for (const [src, column, reason] of cases) {
    it(`${JSON.stringify(src)} -> ${reason}${column === null ? '' : ` at column ${column}`}`, () => {
      const err = parseError(src);
      expect(err.reason).toMatch(reason);
      expect(err.message).toContain(err.reason);
      expect(err.column).toBeGreaterThanOrEqual(1);
      if (column !== null) expect(err.column).toBe(column);
      expect(err.column).toBeLessThanOrEqual(Math.max(1, src.length + 1));
    });
  }

  it('reports the column of the first unknown name, not an earlier substring', () => {
    // 'z' occurs inside no other token; 'yy' must not be located at the 'y' of 'y'.
    expect(parseError('y + yy').column).toBe(5);
    expect(parseError('sin(x) + q').column).toBe(10);
  });

  it('rejects an expression longer than the limit before parsing it', () => {
    const long = 'x + '.repeat(1250) + 'x'; // 5001 characters, otherwise valid
    expect(long.length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    const err = parseError(long);
    expect(err.reason).toMatch(/longer than 4000 characters/);
    expect(err.source.length).toBeLessThanOrEqual(80);
    // Just under the limit parses.
    const ok = 'x + '.repeat(900) + 'x';
    expect(ok.length).toBeLessThanOrEqual(MAX_EXPRESSION_LENGTH);
    expect(() => parseExpression(new Graph(), ok, { variables: ['x', 'y'] })).not.toThrow();
  });

  it('refuses towers past the shape bounds, with the column where the bound is crossed, and builds every stage at the bounds', () => {
    // These overflowed the call stack before the bounds (650 powers, 1850 terms).
    expect(parseError(Array(650).fill('x').join('^')).reason).toBe(`more than ${MAX_POWERS} powers (^)`);
    expect(parseError(Array(650).fill('x').join('^')).column).toBe(2 * MAX_POWERS + 2);
    expect(parseError(Array(1850).fill('x').join('+')).reason).toBe(`more than ${MAX_OPERATORS} operators`);
    expect(parseError('('.repeat(MAX_NESTING + 1) + 'x' + ')'.repeat(MAX_NESTING + 1)).reason).toBe(`nested more than ${MAX_NESTING} parentheses deep`);
    expect(parseError('sin('.repeat(MAX_NESTING + 1) + 'x' + ')'.repeat(MAX_NESTING + 1)).column).toBe(4 * (MAX_NESTING + 1));
    // At each bound: parsed, differentiated twice and compiled without trouble.
    for (const src of [
      Array(MAX_POWERS + 1)
        .fill('x')
        .join('^'),
      Array(MAX_OPERATORS + 1)
        .fill('x')
        .join('+'),
      '-'.repeat(MAX_OPERATORS) + 'x',
      '('.repeat(MAX_NESTING) + 'x' + ')'.repeat(MAX_NESTING) + '+y',
      'sin('.repeat(MAX_NESTING) + 'x' + ')'.repeat(MAX_NESTING) + '+y^2',
    ]) {
      expect(() => Surface.fromExpression(src), src.slice(0, 20)).not.toThrow();
    }
  });

  it('pointer() puts a caret under the column', () => {
    const err = parseError('x + * 2');
    expect(err.pointer()).toBe('x + * 2\n    ^');
  });

  it('does not allow comparisons, logic or conditionals unless internal', () => {
    const g = new Graph();
    for (const src of ['x < y', 'x <= y', 'x >= y', 'x != y', 'x or y'])
      expect(() => parseExpression(g, src, { variables: ['x', 'y'] })).toThrow(ExpressionError);
    const cond = parseExpression(g, 'x < y ? x : y', { variables: ['x', 'y'], internal: true });
    const ev = new Evaluator(compileProgram(['x', 'y'], { v: cond }), false);
    expect(ev.run(1, 2).out('v')).toBe(1);
    expect(ev.run(3, 2).out('v')).toBe(2);
  });
});

describe('parseExpression: hostile input never evaluates', () => {
  const hostile = [
    'constructor',
    '__proto__',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'constructor(1)',
    'toString()',
    'hasOwnProperty(x)',
    '__proto__(x)',
    'valueOf(x)',
    'import("fs")',
    'eval("1")',
    'require("fs")',
    'process.exit()',
    'process.exit(1)',
    'x.constructor',
    'x.constructor(1)',
    'x["constructor"]',
    'globalThis',
    'this',
    'Function("return 1")()',
    'x.sin(y)',
    'q.sin(y)',
    '"s".exp(x)',
    '[1].min(x, y)',
    'cos.constructor("return 1")()',
    'evaluate("1+1")',
    'parse("x")',
    'createUnit("foo")',
    'simplify("x")',
    'import({}, {})',
  ];
  for (const src of hostile) {
    it(`rejects ${JSON.stringify(src)} with ExpressionError`, () => {
      const before = process.exitCode;
      const err = parseError(src);
      expect(err.reason.length).toBeGreaterThan(0);
      expect(process.exitCode).toBe(before);
    });
  }

  it('leaves Object.prototype untouched', () => {
    for (const src of ['__proto__ = 1', 'constructor = 2', 'x.__proto__.polluted = 1']) parseError(src);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fuzz: random strings only ever throw ExpressionError (or the size guard)', () => {
    const charset = '0123456789xyxyxy  +-*/^^^().,,()()[]{}"\'eEabcdgimnopqrstuvwz_:;?!=<>%&|~$#@\\`';
    const words = ['sin', 'min(', 'max(', 'log(', 'exp', 'pi', 'e', 'sqrt(', 'pow(', 'constructor', '__proto__', 'toString', '.', 'x'];
    let parsed = 0;
    let rejected = 0;
    for (let s = 0; s < 2000; s++) {
      let k = 0;
      const r = () => uniform01(20250101, s, k++);
      const len = 1 + Math.floor(r() * 30);
      let src = '';
      for (let i = 0; i < len; i++) src += r() < 0.15 ? words[Math.floor(r() * words.length)] : charset[Math.floor(r() * charset.length)];
      try {
        const g = new Graph(2000);
        const node = parseExpression(g, src, { variables: ['x', 'y'] });
        // Whatever parses is a graph node over x and y, and compiles.
        expect(['num', 'var', 'call']).toContain(node.kind);
        const program = compileProgram(['x', 'y'], { v: node });
        for (const v of program.values) if (v.kind === 'const') expect(typeof v.value).toBe('number');
        parsed++;
      } catch (err) {
        const ok = err instanceof ExpressionError || (err instanceof RangeError && /expression too large/.test(err.message));
        if (!ok) throw new Error(`${JSON.stringify(src)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
        if (err instanceof ExpressionError) {
          expect(err.column).toBeGreaterThanOrEqual(1);
          expect(err.reason).not.toBe('');
        }
        rejected++;
      }
    }
    // The generator produces both outcomes (otherwise the loop tests little).
    expect(parsed).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('a graph over its size limit throws RangeError("expression too large")', () => {
    const g = new Graph(10);
    expect(() => parseExpression(g, 'sin(x) + cos(y) + exp(x*y) + tan(x - y) + sqrt(x + y)', { variables: ['x', 'y'] })).toThrow(/expression too large/);
  });
});

describe('parseAssignments', () => {
  it('each line sees the inputs and earlier names; later assignments replace earlier ones', () => {
    const g = new Graph();
    const env = parseAssignments(g, 'a = p + 1\n# a comment\n\nb = a * 2  # trailing comment\na = b - p', ['p']);
    const ev = new Evaluator(compileProgram(['p'], { a: env.get('a')!, b: env.get('b')! }), false);
    ev.run(3);
    expect(ev.out('b')).toBe(8);
    expect(ev.out('a')).toBe(5);
  });

  it('allows the internal operators', () => {
    const g = new Graph();
    const env = parseAssignments(g, 'r = t == 0 ? 10 : (p > 1 and p < 3 ? 20 : 30)', ['p', 't']);
    const ev = new Evaluator(compileProgram(['p', 't'], { r: env.get('r')! }), false);
    expect(ev.run(5, 0).out('r')).toBe(10);
    expect(ev.run(2, 1).out('r')).toBe(20);
    expect(ev.run(5, 1).out('r')).toBe(30);
  });

  it('rejects a line that is not an assignment, naming the line', () => {
    const g = new Graph();
    expect(() => parseAssignments(g, 'a = p\np + 1', ['p'])).toThrow(/line 2: expected 'name = expression'/);
    expect(() => parseAssignments(g, 'a = q', ['p'])).toThrow(ExpressionError);
  });
});
