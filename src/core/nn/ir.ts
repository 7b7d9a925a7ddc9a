// A small loop-level program: the one definition of a network's forward pass,
// backpropagation and Hessian-vector product. The CPU reference (nn/interp.ts)
// interprets it with float32 rounding after every operation, in the order written;
// shaders/network.ts prints the same tree as WGSL loops. Loop bounds are constants (the
// architecture is fixed when the kernel is built), and every summation is an explicit
// loop, so both engines add the same terms in the same order.

import type { Program } from '../expr/program';

/** An integer index: c + sum(coef * loop variable). */
export interface Index {
  c: number;
  terms: [string, number][];
}

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'local'; name: string }
  | { k: 'load'; arr: string; idx: Index }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | 'max' | 'min'; a: Expr; b: Expr }
  /** exp and log: the project's float32 libm on both engines; sqrt: correctly rounded. */
  | { k: 'fn'; fn: 'exp' | 'log' | 'sqrt'; a: Expr }
  /** An output of a scalar program (the activation: a, d1, d2) at one input. */
  | { k: 'call'; prog: 'act'; out: string; a: Expr }
  /**
   * A uniform draw of the counter-based PRNG (core/random.ts) keyed by the run's seed
   * (xor salt), the network and the counter step * stride + idx: 24 random bits, in
   * (0, 1] when open (the Box-Muller u1), else in [0, 1). Exact in float32.
   */
  | { k: 'rand'; salt: number; stride: number; idx: Index; open: boolean };

export type Stmt =
  | { k: 'for'; v: string; n: number; body: Stmt[] }
  | { k: 'set'; name: string; e: Expr }
  | { k: 'store'; arr: string; idx: Index; e: Expr }
  /**
   * A minibatch loop: n iterations, the variable v taking the point index
   * minibatchIndex(seed, network, step, k, n, m) at iteration k (with replacement,
   * the draws the dataset surfaces make).
   */
  | { k: 'draw'; v: string; n: number; m: number; body: Stmt[] }
  /**
   * Runs a scalar program (an optimizer's per-coordinate update) once: inputs by name,
   * outputs stored. Every output is computed before any is stored.
   */
  | { k: 'program'; prog: Program; inputs: Record<string, Expr>; outputs: Record<string, { arr: string; idx: Index }> };

/** A routine: its float32 locals (zero at the start) and its statements. */
export interface Routine {
  locals: string[];
  body: Stmt[];
}

// Builders: short names keep the network definitions readable.
export const num = (v: number): Expr => ({ k: 'num', v: Math.fround(v) });
export const local = (name: string): Expr => ({ k: 'local', name });
export const ix = (c: number, ...terms: [string, number][]): Index => ({ c, terms: terms.filter(([, m]) => m !== 0) });
export const load = (arr: string, idx: Index): Expr => ({ k: 'load', arr, idx });
export const add = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: '+', a, b });
export const sub = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: '-', a, b });
export const mul = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: '*', a, b });
export const div = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: '/', a, b });
export const max = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: 'max', a, b });
export const min = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: 'min', a, b });
export const rand = (salt: number, stride: number, idx: Index, open: boolean): Expr => ({ k: 'rand', salt: salt >>> 0, stride, idx, open });
export const draw = (v: string, n: number, m: number, body: Stmt[]): Stmt => ({ k: 'draw', v, n, m, body });
export const fn = (f: 'exp' | 'log' | 'sqrt', a: Expr): Expr => ({ k: 'fn', fn: f, a });
export const act = (out: 'a' | 'd1' | 'd2', a: Expr): Expr => ({ k: 'call', prog: 'act', out, a });
export const loop = (v: string, n: number, body: Stmt[]): Stmt => ({ k: 'for', v, n, body });
export const set = (name: string, e: Expr): Stmt => ({ k: 'set', name, e });
export const store = (arr: string, idx: Index, e: Expr): Stmt => ({ k: 'store', arr, idx, e });

/** Largest index each array is accessed at, plus one (sizes for declarations and checks). */
export function arrayExtents(r: Routine): Map<string, number> {
  const ext = new Map<string, number>();
  const bounds = new Map<string, number>();
  const see = (arr: string, idx: Index) => {
    let hi = idx.c;
    for (const [v, m] of idx.terms) hi += m * ((bounds.get(v) ?? 1) - 1);
    ext.set(arr, Math.max(ext.get(arr) ?? 0, hi + 1));
  };
  const expr = (e: Expr): void => {
    if (e.k === 'load') see(e.arr, e.idx);
    else if (e.k === 'rand') return;
    else if (e.k === 'bin') {
      expr(e.a);
      expr(e.b);
    } else if (e.k === 'fn' || e.k === 'call') expr(e.a);
  };
  const stmts = (ss: Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'for' || s.k === 'draw') {
        bounds.set(s.v, s.k === 'for' ? s.n : s.m);
        stmts(s.body);
        bounds.delete(s.v);
      } else if (s.k === 'set') expr(s.e);
      else if (s.k === 'store') {
        see(s.arr, s.idx);
        expr(s.e);
      } else {
        Object.values(s.inputs).forEach(expr);
        Object.values(s.outputs).forEach((o) => see(o.arr, o.idx));
      }
    }
  };
  stmts(r.body);
  return ext;
}
