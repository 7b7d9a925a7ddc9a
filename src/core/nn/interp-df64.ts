// The loop program (nn/ir.ts) in double-float (core/df64.ts): every value is a pair
// [hi, lo] of float32 and every operation one of the df64 routines, run through DF_CPU,
// the float32-exact CPU reference of the WGSL that shaders/network-df64.ts prints from
// the same tree. Arrays are interleaved pairs (hi0, lo0, hi1, lo1, ...), the layout of a
// WGSL array<vec2<f32>>. The subset the trainability maps need is supported (full-batch
// MSE or plain gradient steps: + - * /, sqrt, exp, tanh or linear activations, an
// optimizer program of arithmetic); anything else is refused when the routine is compiled.

import { DF_CPU, dfAdd, dfDiv, dfExp, dfMul, dfSqrt, dfSub, dfTanh, toDF, type DF, type F32Ops } from '../df64';
import type { Program } from '../expr/program';
import { arrayExtents, type Expr, type Index, type Routine, type Stmt } from './ir';
import type { Model } from './model';

export class DF64Error extends Error {
  constructor(message: string) {
    super(`df64: ${message}`);
    this.name = 'DF64Error';
  }
}

/** The activations df64 has, and an activation's value, first and second derivative (one definition, both engines). */
export function dfActivation<T>(o: F32Ops<T>, activation: string, out: string, u: DF<T>): DF<T> {
  const zero: DF<T> = [o.lit(0), o.lit(0)];
  const one: DF<T> = [o.lit(1), o.lit(0)];
  if (activation === 'linear') return out === 'a' ? u : out === 'd1' ? one : zero;
  // 'tanh-of': the derivatives given t = tanh(u) itself (the CPU reference reuses a tanh it just computed).
  if (activation !== 'tanh' && activation !== 'tanh-of') throw new DF64Error(`the ${activation} activation is not supported (tanh or linear)`);
  const t = activation === 'tanh' ? dfTanh(o, u) : u;
  if (out === 'a') return t;
  const d1 = dfSub(o, one, dfMul(o, t, t));
  return out === 'd1' ? d1 : dfMul(o, [o.lit(-2), o.lit(0)], dfMul(o, t, d1));
}

/** An optimizer program's ops in df64 (constants and inputs aside). */
const DF_PROGRAM_OPS = ['add', 'sub', 'mul', 'div', 'neg', 'sqrt', 'exp', 'tanh'] as const;

/** The program's instructions as df64 ops, or a DF64Error naming the first it cannot do. */
export function dfProgramOps(p: Program, what: string): void {
  for (const v of p.values)
    if (v.kind === 'instr' && !(DF_PROGRAM_OPS as readonly string[]).includes(v.instr.op))
      throw new DF64Error(`${what} uses '${v.instr.op}'; df64 programs have ${DF_PROGRAM_OPS.join(', ')} (plain SGD, for instance)`);
}

/** One df64 program op through any F32Ops (the interpreter and the WGSL tracer share it). */
function dfProgramOp<T>(o: F32Ops<T>, op: string, a: DF<T>, b: DF<T>): DF<T> {
  switch (op) {
    case 'add':
      return dfAdd(o, a, b);
    case 'sub':
      return dfSub(o, a, b);
    case 'mul':
      return dfMul(o, a, b);
    case 'div':
      return dfDiv(o, a, b);
    case 'neg':
      return [o.sub(o.lit(0), a[0]), o.sub(o.lit(0), a[1])];
    case 'sqrt':
      return dfSqrt(o, a);
    case 'exp':
      return dfExp(o, a);
    case 'tanh':
      return dfTanh(o, a);
  }
  throw new DF64Error(`no df64 op '${op}'`);
}

/** The expression or statement kinds df64 refuses, with the reason. */
export function dfUnsupported(e: Expr | Stmt): string | null {
  if (e.k === 'bin' && (e.op === 'max' || e.op === 'min')) return `'${e.op}' (softmax cross-entropy, clipping) is not supported`;
  if (e.k === 'fn' && e.fn === 'log') return "'log' (softmax cross-entropy) is not supported";
  if (e.k === 'rand' || e.k === 'draw') return 'minibatches and gradient noise are not supported (full batch only)';
  return null;
}

type Val = () => DF<number>;
type Run = () => void;
const o = DF_CPU;

export class DFRoutineRunner {
  /** Array name -> interleaved (hi, lo) pairs. */
  readonly arrays = new Map<string, Float32Array>();
  private readonly cells = new Map<string, { a: Float32Array }>();
  /** Locals as pairs: locals[2k], locals[2k + 1]. */
  readonly locals: Float64Array;
  private readonly localIndex = new Map<string, number>();
  private readonly vars = new Int32Array(32);
  private readonly varIndex = new Map<string, number>();
  private readonly run: Run;
  readonly extents: Map<string, number>;
  private readonly tanhMemo: { u: DF<number>; t: DF<number> } = { u: [NaN, NaN], t: [NaN, NaN] };

  constructor(
    readonly routine: Routine,
    readonly model: Model,
  ) {
    routine.locals.forEach((n, i) => this.localIndex.set(n, i));
    this.locals = new Float64Array(2 * routine.locals.length);
    this.extents = arrayExtents(routine);
    for (const [name, size] of this.extents) this.arrays.set(name, new Float32Array(2 * size));
    this.run = this.stmts(routine.body);
  }

  /** Uses `data` (pairs) for an array from now on. */
  bind(name: string, data: Float32Array): this {
    const need = 2 * (this.extents.get(name) ?? 0);
    if (data.length < need) throw new Error(`array '${name}' holds ${data.length / 2} pairs, the routine reads ${need / 2}`);
    this.arrays.set(name, data);
    const cell = this.cells.get(name);
    if (cell) cell.a = data;
    return this;
  }

  exec(init: Record<string, DF<number>> = {}): this {
    this.locals.fill(0);
    for (const [name, v] of Object.entries(init)) {
      const k = this.localIndex.get(name)!;
      this.locals[2 * k] = v[0];
      this.locals[2 * k + 1] = v[1];
    }
    this.run();
    return this;
  }

  local(name: string): DF<number> {
    const k = this.localIndex.get(name)!;
    return [this.locals[2 * k], this.locals[2 * k + 1]];
  }

  private index(idx: Index): () => number {
    const vars = this.vars;
    const terms = idx.terms.map(([v, m]) => {
      const k = this.varIndex.get(v);
      if (k === undefined) throw new Error('index uses a variable outside its loop');
      return [k, m] as const;
    });
    const c = idx.c;
    return () => {
      let s = c;
      for (const [k, m] of terms) s += m * vars[k];
      return s;
    };
  }

  private cell(name: string): { a: Float32Array } {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = { a: this.arrays.get(name)! }));
    return c;
  }

  private localSlot(name: string): number {
    const k = this.localIndex.get(name);
    if (k === undefined) throw new Error(`unknown local '${name}'`);
    return 2 * k;
  }

  private expr(e: Expr): Val {
    const bad = dfUnsupported(e);
    if (bad) throw new DF64Error(bad);
    switch (e.k) {
      case 'num': {
        const v: DF<number> = [Math.fround(e.v), 0];
        return () => v;
      }
      case 'local': {
        const k = this.localSlot(e.name);
        const L = this.locals;
        return () => [L[k], L[k + 1]];
      }
      case 'load': {
        const arr = this.cell(e.arr);
        const i = this.index(e.idx);
        return () => {
          const j = 2 * i();
          return [arr.a[j], arr.a[j + 1]];
        };
      }
      case 'bin': {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        const op = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[e.op as '+'];
        return () => dfProgramOp(o, op, a(), b());
      }
      case 'fn': {
        const a = this.expr(e.a);
        const op = e.fn;
        return () => dfProgramOp(o, op, a(), a());
      }
      case 'call': {
        const a = this.expr(e.a);
        const act = this.model.spec.activation;
        const out = e.out;
        dfActivation(o, act, out, [0, 0]); // refuses an unsupported activation now
        const memo = this.tanhMemo;
        return () => {
          const u = a();
          // a and d1 of the same u in a row: tanh(u) once (the same bits either way).
          if (act === 'tanh' && out !== 'a' && memo.u[0] === u[0] && memo.u[1] === u[1]) return dfActivation(o, 'tanh-of', out, memo.t);
          const v = dfActivation(o, act, out, u);
          if (act === 'tanh' && out === 'a') Object.assign(memo, { u, t: v });
          return v;
        };
      }
      default:
        throw new DF64Error(`expression '${e.k}' is not supported`);
    }
  }

  private stmts(ss: Stmt[]): Run {
    const runs = ss.map((s) => this.stmt(s));
    return () => {
      for (const r of runs) r();
    };
  }

  private stmt(s: Stmt): Run {
    const bad = dfUnsupported(s);
    if (bad) throw new DF64Error(bad);
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
      case 'set': {
        const k = this.localSlot(s.name);
        const e = this.expr(s.e);
        const L = this.locals;
        return () => {
          const v = e();
          L[k] = v[0];
          L[k + 1] = v[1];
        };
      }
      case 'store': {
        const arr = this.cell(s.arr);
        const i = this.index(s.idx);
        const e = this.expr(s.e);
        return () => {
          const v = e();
          const j = 2 * i();
          arr.a[j] = v[0];
          arr.a[j + 1] = v[1];
        };
      }
      case 'program': {
        const p = s.prog;
        dfProgramOps(p, 'the optimizer');
        const inputs = p.inputs.map((n) => {
          const e = s.inputs[n];
          if (!e) throw new Error(`no value for the program's input '${n}'`);
          return this.expr(e);
        });
        const outs = Object.entries(s.outputs).map(([name, out]) => ({ reg: p.outputs[name], arr: this.cell(out.arr), i: this.index(out.idx) }));
        const regs: DF<number>[] = p.values.map((v) => (v.kind === 'const' ? [Math.fround(v.value), 0] : [0, 0]));
        return () => {
          for (let k = 0; k < inputs.length; k++) regs[k] = inputs[k]();
          p.values.forEach((v, k) => {
            if (v.kind === 'instr') regs[k] = dfProgramOp(o, v.instr.op, regs[v.instr.args[0]], regs[v.instr.args[1] ?? v.instr.args[0]]);
          });
          const vals = outs.map((out) => regs[out.reg]);
          outs.forEach((out, k) => {
            const j = 2 * out.i();
            out.arr.a[j] = vals[k][0];
            out.arr.a[j + 1] = vals[k][1];
          });
        };
      }
      default:
        throw new DF64Error(`statement '${s.k}' is not supported`);
    }
  }
}

/** Interleaved pairs of a float64 array (each value its nearest double-float). */
export function toPairs(x: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * x.length);
  for (let i = 0; i < x.length; i++) out.set(toDF(x[i]), 2 * i);
  return out;
}

/** The float64 values of interleaved pairs. */
export function fromPairs(p: Float32Array): Float64Array {
  const out = new Float64Array(p.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = p[2 * i] + p[2 * i + 1];
  return out;
}
