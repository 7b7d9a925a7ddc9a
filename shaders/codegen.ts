// Prints a core Program as WGSL statements. Each op is written so that its float32
// rounding steps are the ones the CPU reference (core/expr/program.ts) performs;
// elementary functions call shaders/mathlib.ts (es_*), which the kernel includes.

import type { Program } from '../src/core/expr/program';

/** A WGSL f32 literal that round-trips the float32 value exactly. */
export function f32Literal(v: number): string {
  const x = Math.fround(v);
  // Functions from shaders/mathlib.ts: WGSL has no non-finite constants.
  if (Number.isNaN(x)) return 'es_nan()';
  if (x === Infinity) return 'es_inf()';
  if (x === -Infinity) return 'es_ninf()';
  let s = x.toPrecision(9);
  if (s.includes('e')) s = s.replace(/\.?0+e/, 'e');
  else if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  if (!/[.e]/.test(s)) s += '.0';
  return x < 0 ? `(${s}f)` : `${s}f`;
}

/** The index of the cos of value i's argument where i is its sin (or the reverse), else -1. */
function partner(p: Program, i: number): number {
  const v = p.values[i];
  if (v.kind !== 'instr') return -1;
  const other = v.instr.op === 'sin' ? 'cos' : 'sin';
  return p.values.findIndex((w) => w.kind === 'instr' && w.instr.op === other && w.instr.args[0] === v.instr.args[0]);
}

function powiExpr(x: string, n: number): string {
  let r = '';
  let base = x;
  let e = Math.abs(n);
  while (e > 0) {
    if (e & 1) r = r ? `(${r} * ${base})` : base;
    e >>= 1;
    if (e > 0) base = `(${base} * ${base})`;
  }
  return n < 0 ? `(1.0f / ${r})` : r;
}

const INFIX: Record<string, string> = {
  // Non-short-circuit & and |: both operands are already computed, and branches cost.
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  eq: '==',
  ne: '!=',
  and: '&',
  or: '|',
};
/** Exact in WGSL on every implementation we know of (sqrt and division: correctly rounded on SwiftShader). */
const BUILTIN = new Set(['sqrt', 'abs', 'sign', 'floor', 'min', 'max']);
/** Computed by shaders/mathlib.ts, whose twin the CPU reference runs. */
const LIBM = new Set(['exp', 'log', 'log2', 'log10', 'sin', 'cos', 'tan', 'atan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'softplus', 'pow']);

/** Whether p calls an elementary function of shaders/mathlib.ts (tens of operations each). */
export function callsLibm(p: Program): boolean {
  return p.values.some((v) => v.kind === 'instr' && LIBM.has(v.instr.op));
}

export interface EmitOptions {
  /** WGSL expression for each program input. */
  inputs: Record<string, string>;
  /** Prefix for the temporaries, unique within the function. */
  prefix: string;
}

export interface Emitted {
  code: string;
  /** WGSL expression of each output (a temporary, an input or a literal). */
  outputs: Record<string, string>;
}

/** Names value i of p in names[i] and returns its statement, if it needs one. */
function emitValue(p: Program, i: number, names: string[], opts: EmitOptions): string | null {
  const v = p.values[i];
  if (v.kind === 'input') {
    const src = opts.inputs[v.name];
    if (src === undefined) throw new Error(`no WGSL source for input '${v.name}'`);
    names[i] = src;
    return null;
  }
  if (v.kind === 'const') {
    names[i] = f32Literal(v.value);
    return null;
  }
  const { op, args, n } = v.instr;
  const [a, b, c] = args.map((k) => names[k]);
  let e: string;
  if (op in INFIX) e = `${a} ${INFIX[op]} ${b}`;
  else if (op === 'neg') e = `-${a}`;
  else if (op === 'not') e = `!${a}`;
  else if (op === 'powi') e = powiExpr(a, n!);
  else if (op === 'select') e = `select(${c}, ${b}, ${a})`;
  else if ((op === 'sin' || op === 'cos') && partner(p, i) >= 0) {
    // sin and cos of one argument: one es_sincos, printed with the first of the two.
    const j = partner(p, i);
    const pair = `${i < j ? `${opts.prefix}${i}` : names[j]}_sc`;
    names[i] = `${opts.prefix}${i}`;
    const line = `let ${names[i]}: f32 = ${pair}.${op === 'sin' ? 'x' : 'y'};`;
    return i < j ? `let ${pair} = es_sincos(${a});\n${line}` : line;
  } else if (LIBM.has(op)) e = `es_${op}(${args.map((k) => names[k]).join(', ')})`;
  else if (BUILTIN.has(op)) e = `${op}(${args.map((k) => names[k]).join(', ')})`;
  else throw new Error(`no WGSL for op '${op}'`);
  names[i] = `${opts.prefix}${i}`;
  return `let ${names[i]}${v.instr.bool ? ': bool' : ': f32'} = ${e};`;
}

/** shared: names of values computed before (emitPerCoordinate), not emitted again. */
export function emitWGSL(p: Program, opts: EmitOptions, shared: (string | undefined)[] = []): Emitted {
  const names: string[] = [];
  const lines: string[] = [];
  p.values.forEach((_, i) => {
    const known = shared[i];
    if (known !== undefined) names[i] = known;
    else {
      const line = emitValue(p, i, names, opts);
      if (line) lines.push(line);
    }
  });
  const outputs: Record<string, string> = {};
  for (const [k, idx] of Object.entries(p.outputs)) outputs[k] = names[idx];
  return { code: lines.join('\n'), outputs };
}

/**
 * Emits one program per coordinate (the optimizer's update of x and of y). The values that
 * depend only on inputs every coordinate gives the same source (the step count, the
 * hyperparameters, the loss: Adam's bias corrections) are computed once, with
 * sharedPrefix: the same operations on the same operands, so the same float32 values as
 * computing them per coordinate, at a fraction of the cost.
 */
export function emitPerCoordinate(p: Program, coords: EmitOptions[], sharedPrefix: string): { shared: string; each: Emitted[] } {
  const same = (name: string) => coords.every((c) => c.inputs[name] !== undefined && c.inputs[name] === coords[0].inputs[name]);
  const common: boolean[] = [];
  const names: string[] = [];
  const shared: (string | undefined)[] = [];
  const lines: string[] = [];
  p.values.forEach((v, i) => {
    if (v.kind === 'input') common[i] = same(v.name);
    else common[i] = v.kind === 'const' || v.instr.args.every((k) => common[k]);
    if (!common[i]) return;
    const line = emitValue(p, i, names, { inputs: coords[0].inputs, prefix: sharedPrefix });
    if (line) lines.push(line);
    // Inputs and constants each emission names itself; computed values it takes from here.
    if (v.kind === 'instr') shared[i] = names[i];
  });
  return { shared: lines.join('\n'), each: coords.map((c) => emitWGSL(p, c, shared)) };
}
