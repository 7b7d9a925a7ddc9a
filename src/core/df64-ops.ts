// A program's ops (core/expr/graph.ts) in double-float, by name: the arithmetic and
// elementary functions come from core/df64.ts's tables (DF_BINARY, DF_UNARY), so every
// routine added there is available here as soon as it exists; the comparisons, logic,
// select and integer powers, which are compositions, are defined here once, against
// F32Ops, for both engines. An op in neither is refused (DF64Error, one line naming it).

import { DF_BINARY, DF_UNARY, dfPowi, type DF, type DFRoutine, type F32Ops } from './df64';
import type { Op } from './expr/graph';
import type { Program } from './expr/program';
import { DF64Error } from './nn/interp-df64';

type BinaryFn = <T>(o: F32Ops<T>, a: DF<T>, b: DF<T>) => DF<T>;
type UnaryFn = <T>(o: F32Ops<T>, a: DF<T>) => DF<T>;
const BINARY = DF_BINARY as unknown as Partial<Record<string, BinaryFn>>;
const UNARY = DF_UNARY as unknown as Partial<Record<string, UnaryFn>>;

/** Three-way outcomes of a comparison: the value when a > b, a < b, a = b, unordered (NaN). */
const COMPARE: Partial<Record<Op, [number, number, number, number]>> = {
  gt: [1, 0, 0, 0],
  lt: [0, 1, 0, 0],
  ge: [1, 0, 1, 0],
  le: [0, 1, 1, 0],
  eq: [0, 0, 1, 0],
  ne: [1, 1, 0, 1],
};
const LOCAL: readonly Op[] = [...(Object.keys(COMPARE) as Op[]), 'and', 'or', 'not', 'select', 'powi'];

/** Whether df64 has this op (a table routine or a composition of this module). */
function dfHasOp(op: string): boolean {
  return Object.hasOwn(BINARY, op) || Object.hasOwn(UNARY, op) || (LOCAL as readonly string[]).includes(op);
}

/** The ops df64 has now, for messages. */
function dfOpNames(): string[] {
  return [...Object.keys(BINARY), ...Object.keys(UNARY), ...LOCAL];
}

/** Throws a DF64Error naming the first op of `p` that df64 does not have. */
export function dfCheckProgram(p: Program, what: string): void {
  for (const v of p.values)
    if (v.kind === 'instr' && !dfHasOp(v.instr.op))
      throw new DF64Error(`${what} uses '${v.instr.op}', which df64 does not have (it has ${dfOpNames().join(', ')})`);
}

/** The table routine `name` through `o`: run (the CPU reference), or F32Ops.call where `o` has it (a tracer prints a call of df_<name>). */
export function tableCall<T>(o: F32Ops<T>, name: string, args: DF<T>[]): DF<T> {
  const fn = (BINARY[name] ?? UNARY[name]) as DFRoutine | undefined;
  if (!fn) throw new DF64Error(`no df64 routine '${name}'`);
  return o.call ? o.call(name, fn, args) : fn(o, ...args);
}

/** a vs b on the high words, then the low words (the pair is normalized: hi decides unless equal). */
function compare<T>(o: F32Ops<T>, a: DF<T>, b: DF<T>, [gt, lt, eq, un]: [number, number, number, number]): DF<T> {
  const dh = o.sub(a[0], b[0]);
  const dl = o.sub(a[1], b[1]);
  const L = (v: number) => o.lit(v);
  // dh + 1 > 0 at dh = 0 and false for NaN: equal or unordered.
  const same = o.ifPositive(o.add(dh, L(1)), L(eq), L(un));
  const onLow = o.ifPositive(dl, L(gt), o.ifPositive(o.sub(L(0), dl), L(lt), same));
  return [o.ifPositive(dh, L(gt), o.ifPositive(o.sub(L(0), dh), L(lt), onLow)), L(0)];
}

/** 1 where a != 0 (NaN included, as applyOp), else 0: a float32. */
function truthy<T>(o: F32Ops<T>, a: DF<T>): T {
  return compare(o, a, [o.lit(0), o.lit(0)], COMPARE.ne!)[0];
}

/** One program op in df64: a table routine (tableCall), or a composition of this module. */
export function dfProgramOp<T>(o: F32Ops<T>, op: Op, args: DF<T>[], n = 0): DF<T> {
  if (Object.hasOwn(BINARY, op) || Object.hasOwn(UNARY, op)) return tableCall(o, op, args);
  const [a, b, c] = args;
  const cmp = COMPARE[op];
  if (cmp) return compare(o, a, b, cmp);
  const one = o.lit(1);
  const zero = o.lit(0);
  switch (op) {
    case 'and':
      return [o.mul(truthy(o, a), truthy(o, b)), zero];
    case 'or':
      return [o.ifPositive(o.add(truthy(o, a), truthy(o, b)), one, zero), zero];
    case 'not':
      return [o.sub(one, truthy(o, a)), zero];
    case 'select': {
      const t = truthy(o, a);
      return [o.ifPositive(t, b[0], c[0]), o.ifPositive(t, b[1], c[1])];
    }
    case 'powi':
      return dfPowi(o, a, n);
  }
  throw new DF64Error(`'${op}' is not a df64 op yet`);
}
