// WGSL twin of src/core/df64.ts: the same routines traced into WGSL functions (df_add,
// df_sub, df_mul, df_div, df_neg, df_sqrt, ..., df_sin, df_pow on vec2<f32> = (hi, lo)),
// one `let` per float32 operation in the order the CPU reference performs them.
//
// A kernel that includes DF64_WGSL or df64Wgsl(...) must set `df_one = <a 1 read from a
// buffer>` before its first df_ call: `fence` multiplies by it, and a 1 known only at
// run time is what keeps a reassociating compiler from folding the error-free
// transformations away.
//
// The arithmetic routines inline each other (df_exp holds its additions); the elementary
// functions (core/df64-math.ts) reach theirs through F32Ops.call, printed as a call to a
// df_ function, so a kernel holds one copy of each: df_sin inlined would be ~17x longer.
// df64Wgsl prints only the routines asked for and what they call.

import { DF_BINARY, DF_UNARY, type DF, type DFRoutine, type F32Ops } from '../src/core/df64';
import { f32Literal } from './codegen';

/** Routines called by traced code, by name: what df64Wgsl must print besides the ones asked for. */
export type DFCalls = Map<string, { fn: DFRoutine; arity: number }>;

/** F32Ops printing WGSL: one `let <prefix>N` per float32 operation, in order, and df_ calls for F32Ops.call. */
export class DFTracer implements F32Ops<string> {
  readonly lines: string[] = [];
  private next = 0;
  constructor(
    private readonly calls: DFCalls,
    private readonly prefix = 't',
    private readonly pad = '  ',
  ) {}
  private bind(e: string): string {
    const v = `${this.prefix}${this.next++}`;
    this.lines.push(`${this.pad}let ${v} = ${e};`);
    return v;
  }
  lit = (v: number) => f32Literal(v);
  add = (a: string, b: string) => this.bind(`${a} + ${b}`);
  sub = (a: string, b: string) => this.bind(`${a} - ${b}`);
  mul = (a: string, b: string) => this.bind(`${a} * ${b}`);
  div = (a: string, b: string) => this.bind(`${a} / ${b}`);
  sqrt = (a: string) => this.bind(`sqrt(${a})`);
  fence = (a: string) => this.bind(`${a} * df_one`);
  ifPositive = (c: string, a: string, b: string) => this.bind(`select(${b}, ${a}, ${c} > 0.0f)`);
  floor = (a: string) => this.bind(`floor(${a})`);
  inf = () => this.bind('1.0f / (df_one - 1.0f)');
  pow2 = (k: string) => this.bind(`bitcast<f32>(u32(i32(${k}) + 127) << 23u)`);
  exponent = (a: string) => this.bind(`f32(i32((bitcast<u32>(${a}) >> 23u) & 0xffu) - 127)`);
  call = (name: string, fn: DFRoutine, args: DF<string>[]): DF<string> => {
    this.calls.set(name, { fn, arity: args.length });
    const v = this.bind(`df_${name}(${args.map(vec2).join(', ')})`);
    return [`${v}.x`, `${v}.y`];
  };
}

/** (hi, lo) as a WGSL vec2: the variable itself where it is one. */
function vec2([hi, lo]: DF<string>): string {
  const v = hi.slice(0, -2);
  return hi === `${v}.x` && lo === `${v}.y` ? v : `vec2<f32>(${hi}, ${lo})`;
}

/**
 * A df64 routine traced into `fn df_<name>(params: vec2<f32>...) -> vec2<f32>`. The
 * routines it calls (F32Ops.call) are added to `calls`: df64Wgsl([], calls) prints them.
 */
export function wgslFunction(name: string, params: string[], body: (o: F32Ops<string>, args: DF<string>[]) => DF<string>, calls: DFCalls = new Map()): string {
  const o = new DFTracer(calls);
  const [hi, lo] = body(
    o,
    params.map((p) => [`${p}.x`, `${p}.y`]),
  );
  const sig = params.map((p) => `${p}: vec2<f32>`).join(', ');
  return `fn df_${name}(${sig}) -> vec2<f32> {\n${o.lines.join('\n')}\n  return vec2<f32>(${hi}, ${lo});\n}`;
}

const PARAMS = ['a', 'b'];

/**
 * The df64 library a kernel needs: `df_one`, the named routines of DF_UNARY and
 * DF_BINARY in that order, then every routine they (or the kernel's own functions,
 * whose calls `wgslFunction` gathered in `calls`) call, each once.
 */
export function df64Wgsl(names: readonly (keyof typeof DF_UNARY | keyof typeof DF_BINARY)[], calls: DFCalls = new Map()): string {
  const tables: Record<string, DFRoutine> = { ...DF_UNARY, ...DF_BINARY };
  const todo: DFCalls = new Map(names.map((n) => [n, { fn: tables[n], arity: n in DF_BINARY ? 2 : 1 }]));
  for (const [n, c] of calls) if (!todo.has(n)) todo.set(n, c);
  const printed: string[] = [];
  // todo grows while it is walked: the routines printed call others.
  for (const [name, { fn, arity }] of todo) printed.push(wgslFunction(name, PARAMS.slice(0, arity), (o, args) => fn(o, ...args), todo));
  return ['// Double-float arithmetic (printed from src/core/df64.ts). Set df_one before use.', 'var<private> df_one: f32;', ...printed].join('\n\n');
}

/** The arithmetic the network kernels use (shaders/network-df64.ts). */
export const DF64_WGSL = df64Wgsl(['add', 'sub', 'mul', 'div', 'neg', 'sqrt', 'exp', 'tanh']);
