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

/** One instruction as a closure over the registers: r[d] = op(r[a], r[b], r[c]). */
function compileInstr(r: Float64Array, op: Op, d: number, a: number, b: number, c: number, n: number, float32: boolean): () => void {
  // The four arithmetic ops are most of every program: no dispatch for them.
  switch (op) {
    case 'add':
      return float32 ? () => void (r[d] = f32(r[a] + r[b])) : () => void (r[d] = r[a] + r[b]);
    case 'sub':
      return float32 ? () => void (r[d] = f32(r[a] - r[b])) : () => void (r[d] = r[a] - r[b]);
    case 'mul':
      return float32 ? () => void (r[d] = f32(r[a] * r[b])) : () => void (r[d] = r[a] * r[b]);
    case 'div':
      return float32 ? () => void (r[d] = f32(r[a] / r[b])) : () => void (r[d] = r[a] / r[b]);
  }
  const lib = float32 ? LIBM[op] : undefined;
  if (lib) return () => void (r[d] = lib(r[a], r[b]));
  return float32 ? () => void (r[d] = evalF32(op, r[a], r[b], r[c], n)) : () => void (r[d] = applyOp(op, r[a], r[b], r[c], n));
}

/**
 * An interpreter for a Program, compiled once into one closure per instruction.
 * `float32` rounds after every operation (the CPU reference); without it, float64 (for
 * analysis). Dispatching on the op's name at every step instead took three times as long.
 */
export class Evaluator {
  readonly regs: Float64Array;
  private readonly code: (() => void)[] = [];
  readonly outputIndex: Record<string, number>;

  constructor(
    readonly program: Program,
    readonly float32 = true,
  ) {
    const vals = program.values;
    const r = (this.regs = new Float64Array(vals.length));
    vals.forEach((v, i) => {
      if (v.kind === 'const') r[i] = float32 ? f32(v.value) : v.value;
      if (v.kind === 'instr') {
        const { op, args, n } = v.instr;
        this.code.push(compileInstr(r, op, i, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, n ?? 0, float32));
      }
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
    const code = this.code;
    for (let k = 0; k < code.length; k++) code[k]();
    return this;
  }

  out(name: string): number {
    return this.regs[this.outputIndex[name]];
  }
}
