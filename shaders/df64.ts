// WGSL twin of src/core/df64.ts: the same routines traced into WGSL functions (df_add,
// df_sub, df_mul, df_div, df_neg, df_sqrt on vec2<f32> = (hi, lo)), one `let` per
// float32 operation in the order the CPU reference performs them.
//
// A kernel that includes DF64_WGSL must set `df_one = <a 1 read from a buffer>` before
// its first df_ call: `fence` multiplies by it, and a 1 known only at run time is what
// keeps a reassociating compiler from folding the error-free transformations away.

import { DF_BINARY, DF_UNARY, type DF, type F32Ops } from '../src/core/df64';
import { f32Literal } from './codegen';

class Tracer implements F32Ops<string> {
  readonly lines: string[] = [];
  private next = 0;
  private bind(e: string): string {
    const v = `t${this.next++}`;
    this.lines.push(`  let ${v} = ${e};`);
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
}

/** A df64 routine traced into `fn df_<name>(params: vec2<f32>...) -> vec2<f32>`. */
export function wgslFunction(name: string, params: string[], body: (o: F32Ops<string>, args: DF<string>[]) => DF<string>): string {
  const o = new Tracer();
  const [hi, lo] = body(
    o,
    params.map((p) => [`${p}.x`, `${p}.y`]),
  );
  const sig = params.map((p) => `${p}: vec2<f32>`).join(', ');
  return `fn df_${name}(${sig}) -> vec2<f32> {\n${o.lines.join('\n')}\n  return vec2<f32>(${hi}, ${lo});\n}`;
}

export const DF64_WGSL = [
  '// Double-float arithmetic (printed from src/core/df64.ts). Set df_one before use.',
  'var<private> df_one: f32;',
  ...Object.entries(DF_BINARY).map(([name, fn]) => wgslFunction(name, ['a', 'b'], (o, [a, b]) => fn(o, a, b))),
  ...Object.entries(DF_UNARY).map(([name, fn]) => wgslFunction(name, ['a'], (o, [a]) => fn(o, a))),
].join('\n\n');
