// The CPU reference for network routines: interprets a loop program (nn/ir.ts) in the
// order written, rounding to float32 after every operation (or in float64, for
// analysis and finite-difference checks). Compiled once into closures; no eval.

import { Evaluator, type Program } from '../expr/program';
import { exp32, log32 } from '../expr/mathlib';
import { hash3 } from '../random';
import { minibatchIndex } from '../surfaces/dataset';
import { arrayExtents, type Expr, type Index, type Routine, type Stmt } from './ir';

export type FloatArray = Float32Array | Float64Array;

type Num = () => number;
type Run = () => void;

export class RoutineRunner {
  /** Array name -> storage; callers bind their own (parameters, data) with bind(). */
  readonly arrays = new Map<string, FloatArray>();
  /** One cell per array that the compiled closures read through, so bind() can swap arrays. */
  private readonly cells = new Map<string, { a: FloatArray }>();
  readonly locals: Float64Array;
  private readonly localIndex = new Map<string, number>();
  private readonly vars = new Int32Array(32);
  private readonly varIndex = new Map<string, number>();
  private readonly run: Run;
  readonly extents: Map<string, number>;
  /** What the PRNG draws (rand, draw) are keyed by: the run's seed, the network, the step. */
  readonly rng = { seed: 0, net: 0, step: 0 };

  constructor(
    readonly routine: Routine,
    private readonly programs: { act: Program },
    readonly float32 = true,
  ) {
    routine.locals.forEach((n, i) => this.localIndex.set(n, i));
    this.locals = new Float64Array(routine.locals.length);
    this.extents = arrayExtents(routine);
    const F = float32 ? Float32Array : Float64Array;
    for (const [name, size] of this.extents) this.arrays.set(name, new F(size));
    this.run = this.stmts(routine.body);
  }

  /** Uses `data` for an array from now on (it must be at least as long as the routine reads). */
  bind(name: string, data: FloatArray): this {
    const need = this.extents.get(name) ?? 0;
    if (data.length < need) throw new Error(`array '${name}' holds ${data.length} values, the routine reads ${need}`);
    this.arrays.set(name, data);
    const cell = this.cells.get(name);
    if (cell) cell.a = data;
    return this;
  }

  /** Runs the routine; locals start at zero, or at the values given. */
  exec(init: Record<string, number> = {}): this {
    this.locals.fill(0);
    for (const name in init) this.locals[this.localIndex.get(name)!] = this.rnd(init[name]);
    this.run();
    return this;
  }

  local(name: string): number {
    return this.locals[this.localIndex.get(name)!];
  }

  private rnd(x: number): number {
    return this.float32 ? Math.fround(x) : x;
  }

  private index(idx: Index): () => number {
    const vars = this.vars;
    const terms = idx.terms.map(([v, m]) => [this.varIndex.get(v)!, m] as const);
    for (const [k] of terms) if (k === undefined) throw new Error('index uses a variable outside its loop');
    const c = idx.c;
    if (terms.length === 0) return () => c;
    if (terms.length === 1) {
      const [[a, m]] = terms;
      return () => c + m * vars[a];
    }
    return () => {
      let s = c;
      for (const [k, m] of terms) s += m * vars[k];
      return s;
    };
  }

  private cell(name: string): { a: FloatArray } {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = { a: this.arrays.get(name)! }));
    return c;
  }

  private expr(e: Expr): Num {
    const f32 = this.float32;
    const fr = Math.fround;
    switch (e.k) {
      case 'num': {
        const v = this.rnd(e.v);
        return () => v;
      }
      case 'local': {
        const k = this.localIndex.get(e.name);
        if (k === undefined) throw new Error(`unknown local '${e.name}'`);
        const L = this.locals;
        return () => L[k];
      }
      case 'load': {
        const arr = this.cell(e.arr);
        const i = this.index(e.idx);
        return () => arr.a[i()];
      }
      case 'bin':
        return this.binary(e.op, this.expr(e.a), this.expr(e.b));
      case 'fn': {
        const a = this.expr(e.a);
        if (e.fn === 'sqrt') return f32 ? () => fr(Math.sqrt(a())) : () => Math.sqrt(a());
        const g = f32 ? (e.fn === 'exp' ? exp32 : log32) : e.fn === 'exp' ? Math.exp : Math.log;
        return () => g(a());
      }
      case 'rand': {
        const rng = this.rng;
        const i = this.index(e.idx);
        const { salt, stride, open } = e;
        return () => {
          const h = hash3((rng.seed ^ salt) >>> 0, rng.net, (Math.imul(rng.step, stride) + i()) >>> 0) >>> 8;
          return (open ? h + 1 : h) / 16777216;
        };
      }
      case 'call': {
        const ev = new Evaluator(this.programs[e.prog], f32);
        const a = this.expr(e.a);
        const out = ev.outputIndex[e.out];
        const regs = ev.regs;
        const fr = f32 ? Math.fround : (x: number) => x;
        return () => {
          regs[0] = fr(a());
          ev.exec();
          return regs[out];
        };
      }
    }
  }

  private binary(op: '+' | '-' | '*' | '/' | 'max' | 'min', a: Num, b: Num): Num {
    const fr = Math.fround;
    const f32 = this.float32;
    switch (op) {
      case '+':
        return f32 ? () => fr(a() + b()) : () => a() + b();
      case '-':
        return f32 ? () => fr(a() - b()) : () => a() - b();
      case '*':
        return f32 ? () => fr(a() * b()) : () => a() * b();
      case '/':
        return f32 ? () => fr(a() / b()) : () => a() / b();
      case 'max':
        return () => Math.max(a(), b());
      case 'min':
        return () => Math.min(a(), b());
    }
  }

  private stmts(ss: Stmt[]): Run {
    const runs = ss.map((s) => this.stmt(s));
    return () => {
      for (const r of runs) r();
    };
  }

  private stmt(s: Stmt): Run {
    switch (s.k) {
      case 'for': {
        if (this.varIndex.has(s.v)) throw new Error(`loop variable '${s.v}' shadows an outer one`);
        const k = this.varIndex.size;
        this.varIndex.set(s.v, k);
        const body = this.stmts(s.body);
        this.varIndex.delete(s.v);
        const vars = this.vars;
        const n = s.n;
        return () => {
          for (let i = 0; i < n; i++) {
            vars[k] = i;
            body();
          }
        };
      }
      case 'draw': {
        if (this.varIndex.has(s.v)) throw new Error(`loop variable '${s.v}' shadows an outer one`);
        const k = this.varIndex.size;
        this.varIndex.set(s.v, k);
        const body = this.stmts(s.body);
        this.varIndex.delete(s.v);
        const vars = this.vars;
        const { n, m } = s;
        const rng = this.rng;
        return () => {
          for (let b = 0; b < n; b++) {
            vars[k] = minibatchIndex(rng.seed, rng.net, rng.step, b, n, m);
            body();
          }
        };
      }
      case 'set': {
        const k = this.localIndex.get(s.name);
        if (k === undefined) throw new Error(`unknown local '${s.name}'`);
        const e = this.expr(s.e);
        const L = this.locals;
        return () => {
          L[k] = e();
        };
      }
      case 'store': {
        const arr = this.cell(s.arr);
        const i = this.index(s.idx);
        const e = this.expr(s.e);
        return () => {
          arr.a[i()] = e();
        };
      }
      case 'program': {
        const ev = new Evaluator(s.prog, this.float32);
        const names = s.prog.inputs;
        const inputs = names.map((n) => {
          const e = s.inputs[n];
          if (!e) throw new Error(`no value for the program's input '${n}'`);
          return this.expr(e);
        });
        const outs = Object.entries(s.outputs).map(([name, o]) => ({ reg: ev.outputIndex[name], arr: this.cell(o.arr), i: this.index(o.idx) }));
        const vals = new Float64Array(outs.length);
        const f32 = this.float32;
        return () => {
          const r = ev.regs;
          for (let k = 0; k < inputs.length; k++) r[k] = f32 ? Math.fround(inputs[k]()) : inputs[k]();
          ev.exec();
          for (let k = 0; k < outs.length; k++) vals[k] = r[outs[k].reg];
          for (let k = 0; k < outs.length; k++) outs[k].arr.a[outs[k].i()] = vals[k];
        };
      }
    }
  }
}
