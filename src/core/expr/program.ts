// A straight-line program (SSA) compiled from graph nodes. It is the single definition
// that both engines run: the WGSL emitter prints it as `let` statements, and the CPU
// reference interprets it with float32 rounding after every operation.

import { applyOp, isBool, type Node, type Op } from './graph';
import * as m from './mathlib';

interface Instr {
  op: Op;
  /** Argument operands: indexes into `values`. */
  args: number[];
  n?: number;
  bool: boolean;
}

/** A value is an input, a constant, or the result of an instruction. */
type Value = { kind: 'input'; name: string } | { kind: 'const'; value: number } | { kind: 'instr'; instr: Instr };

export interface Program {
  inputs: string[];
  values: Value[];
  /** Output name -> value index. */
  outputs: Record<string, number>;
}

export function compileProgram(inputs: string[], outputs: Record<string, Node>): Program {
  const values: Value[] = inputs.map((name) => ({ kind: 'input', name }));
  const index = new Map<number, number>();
  const visit = (node: Node): number => {
    const hit = index.get(node.id);
    if (hit !== undefined) return hit;
    let v: Value;
    if (node.kind === 'num') v = { kind: 'const', value: node.value };
    else if (node.kind === 'var') {
      const i = inputs.indexOf(node.name);
      if (i < 0) throw new Error(`unknown variable '${node.name}'`);
      index.set(node.id, i);
      return i;
    } else {
      const args = node.args.map(visit); // post-order: arguments first
      v = { kind: 'instr', instr: { op: node.op, args, n: node.n, bool: isBool(node) } };
    }
    values.push(v);
    index.set(node.id, values.length - 1);
    return values.length - 1;
  };
  const out: Record<string, number> = {};
  for (const [name, node] of Object.entries(outputs)) out[name] = visit(node);
  return { inputs, values, outputs: out };
}

/** Number of operations a program executes (for FLOP estimates). */
export function instructionCount(p: Program): number {
  return p.values.filter((v) => v.kind === 'instr').length;
}

const f32 = Math.fround;

/** Ops computed by our float32 libm (the same algorithms as shaders/mathlib.ts). */
const LIBM: Partial<Record<Op, (a: number, b: number) => number>> = {
  exp: m.exp32,
  log: m.log32,
  log2: m.log2_32,
  log10: m.log10_32,
  sin: m.sin32,
  cos: m.cos32,
  tan: m.tan32,
  atan: m.atan32,
  sinh: m.sinh32,
  cosh: m.cosh32,
  tanh: m.tanh32,
  sigmoid: m.sigmoid32,
  softplus: m.softplus32,
  pow: m.pow32,
};

/** One op in float32, rounded exactly where the WGSL emitter's code rounds. */
function evalF32(op: Op, a: number, b: number, c: number, n: number): number {
  const lib = LIBM[op];
  if (lib) return lib(a, b);
  if (op === 'powi') {
    // Binary powering, in the order the WGSL emitter writes the products.
    let r = 1;
    let base = a;
    let e = Math.abs(n);
    let first = true;
    while (e > 0) {
      if (e & 1) {
        r = first ? base : f32(r * base);
        first = false;
      }
      e >>= 1;
      if (e > 0) base = f32(base * base);
    }
    return n < 0 ? f32(1 / r) : r;
  }
  return f32(applyOp(op, a, b, c, n));
}

/**
 * An interpreter for a Program, compiled once into flat arrays. `float32` rounds
 * after every operation (the CPU reference); without it, float64 (for analysis).
 */
export class Evaluator {
  readonly regs: Float64Array;
  private readonly code: Op[] = [];
  private readonly dst: Int32Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly c: Int32Array;
  private readonly n: Int32Array;
  readonly outputIndex: Record<string, number>;

  constructor(
    readonly program: Program,
    readonly float32 = true,
  ) {
    const vals = program.values;
    this.regs = new Float64Array(vals.length);
    const instrs: { i: number; instr: Instr }[] = [];
    vals.forEach((v, i) => {
      if (v.kind === 'const') this.regs[i] = float32 ? f32(v.value) : v.value;
      if (v.kind === 'instr') instrs.push({ i, instr: v.instr });
    });
    const m = instrs.length;
    this.dst = new Int32Array(m);
    this.a = new Int32Array(m);
    this.b = new Int32Array(m);
    this.c = new Int32Array(m);
    this.n = new Int32Array(m);
    instrs.forEach(({ i, instr }, k) => {
      this.code.push(instr.op);
      this.dst[k] = i;
      this.a[k] = instr.args[0] ?? 0;
      this.b[k] = instr.args[1] ?? 0;
      this.c[k] = instr.args[2] ?? 0;
      this.n[k] = instr.n ?? 0;
    });
    this.outputIndex = program.outputs;
  }

  /** Sets the inputs (in program order) and runs; read results with out(). */
  run(...inputs: number[]): this {
    const r = this.regs;
    const rnd = this.float32;
    for (let i = 0; i < inputs.length; i++) r[i] = rnd ? f32(inputs[i]) : inputs[i];
    return this.exec();
  }

  /** Runs on inputs already written to regs[0 .. inputs) (float32 values in float32 mode). */
  exec(): this {
    const r = this.regs;
    const rnd = this.float32;
    const { code, dst, a, b, c, n } = this;
    for (let k = 0; k < code.length; k++) {
      r[dst[k]] = rnd ? evalF32(code[k], r[a[k]], r[b[k]], r[c[k]], n[k]) : applyOp(code[k], r[a[k]], r[b[k]], r[c[k]], n[k]);
    }
    return this;
  }

  out(name: string): number {
    return this.regs[this.outputIndex[name]];
  }
}
