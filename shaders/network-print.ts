// Prints a network loop program (src/core/nn/ir.ts) as WGSL statements, in the order
// written, so the GPU adds the same terms in the same order as the CPU reference.
//
// Two options make the thread-per-network kernel fast without changing one rounding:
// - unroll: the point loop's body, when it stays within a statement budget, is printed
//   with every inner loop unrolled and its variables folded into constant indexes (a
//   software GPU such as SwiftShader then addresses the private arrays directly instead
//   of per lane);
// - inside every printed loop body, each read-only data element (xs, ys) is loaded once
//   into a let, and each activation call once per argument value (the forward pass asks
//   act_eval for the value and the derivative of the same pre-activation).

import { MINIBATCH_SALT } from '../src/core/surfaces/dataset';
import { emitWGSL, f32Literal } from './codegen';
import type { Expr, Index, Stmt } from '../src/core/nn/ir';

/** How each array of a routine is reached from WGSL: given the printed index, the element. */
export type ArrayAccess = Record<string, (idx: string) => string>;

/** Arrays no routine writes: their loads may be hoisted to the top of a loop body. */
const READ_ONLY = new Set(['xs', 'ys']);

export interface PrintOptions {
  /**
   * Unroll the point loop's body (the loop over data points, run points x steps times)
   * in full when it unrolls to at most this many statements; else print it as written
   * (0: never). Loops elsewhere run once per step: unrolling them only costs compile
   * time. All or nothing: a software GPU's compile time grows faster than the body (the
   * fractal setup's 16 x 16 body of ~700 statements compiles in seconds, a 2-128-1 body
   * of ~1,300 took minutes on SwiftShader), and a partly unrolled 2-128-1 body measured
   * no faster than the loops.
   */
  unroll?: number;
}

/** The point loop's variable (core/nn/routines.ts). */
const POINT = 'p';

interface Ctx {
  access: ArrayAccess;
  counter: { n: number };
  /** Unroll loops (true inside a point loop whose body fits the budget). */
  unroll: boolean;
  /** The budget (PrintOptions.unroll). */
  budget: number;
  /** Loop variables of unrolled loops: their value in the copy being printed. */
  env: Map<string, number>;
  /** Lets printed before the statement being printed (activation calls). */
  pre: string[];
  /** Activation call text -> the let holding it, until a local it reads is set. */
  calls: Map<string, string>;
  /** Hoisted read-only loads of the current loop body: access text -> let name. */
  loads: Map<string, string>;
}

function printIndex(idx: Index, env: Map<string, number>): string {
  let c = idx.c;
  const parts: string[] = [];
  for (const [v, m] of idx.terms) {
    const k = env.get(v);
    if (k !== undefined) c += k * m;
    else parts.push(m === 1 ? `v_${v}` : `v_${v} * ${m}u`);
  }
  if (c !== 0 || parts.length === 0) parts.unshift(`${c}u`);
  return parts.join(' + ');
}

const INFIX = { '+': '+', '-': '-', '*': '*', '/': '/' } as const;

function printExpr(e: Expr, x: Ctx): string {
  switch (e.k) {
    case 'num':
      return f32Literal(e.v);
    case 'local':
      return `l_${e.name}`;
    case 'load': {
      const text = x.access[e.arr](printIndex(e.idx, x.env));
      if (!READ_ONLY.has(e.arr)) return text;
      let name = x.loads.get(text);
      if (!name) x.loads.set(text, (name = `ld${x.counter.n++}`));
      return name;
    }
    case 'bin': {
      const a = printExpr(e.a, x);
      const b = printExpr(e.b, x);
      return e.op === 'max' || e.op === 'min' ? `${e.op}(${a}, ${b})` : `(${a} ${INFIX[e.op]} ${b})`;
    }
    case 'fn':
      return e.fn === 'sqrt' ? `sqrt(${printExpr(e.a, x)})` : `es_${e.fn}(${printExpr(e.a, x)})`;
    case 'rand': {
      // The same counter and 24-bit uniform as RoutineRunner's (rng_*: set by the kernel's main).
      const h = `(hash3(rng_seed ^ ${e.salt}u, rng_net, rng_step * ${e.stride}u + ${printIndex(e.idx, x.env)}) >> 8u)`;
      return `(f32(${e.open ? `${h} + 1u` : h}) / 16777216.0f)`;
    }
    case 'call': {
      const field = { a: 'x', d1: 'y', d2: 'z' }[e.out as 'a' | 'd1' | 'd2'];
      const call = `${e.prog}_eval(${printExpr(e.a, x)})`;
      // Only a call on a local is shared: a set of that local ends its let's validity.
      if (e.a.k !== 'local') return `${call}.${field}`;
      let name = x.calls.get(call);
      if (!name) {
        name = `av${x.counter.n++}`;
        x.pre.push(`let ${name} = ${call};`);
        x.calls.set(call, name);
      }
      return `${name}.${field}`;
    }
  }
}

/** Statements a list prints as with every loop unrolled. */
function unrolledSize(ss: Stmt[]): number {
  let n = 0;
  for (const s of ss) {
    if (s.k === 'for') n += s.n * unrolledSize(s.body);
    else if (s.k === 'draw') n += Infinity;
    else if (s.k === 'program') n += s.prog.values.length;
    else n += 1;
  }
  return n;
}

/** A loop body in its own WGSL block: fresh call and load scopes, the hoisted loads on top. */
function printBlock(ss: Stmt[], x: Ctx, pad: string, head: string[]): string[] {
  const inner: Ctx = { ...x, pre: [], calls: new Map(), loads: new Map() };
  const body = printList(ss, inner, pad);
  const lets = [...inner.loads].map(([text, name]) => `${pad}let ${name} = ${text};`);
  return [...head, ...lets, ...body];
}

function printList(ss: Stmt[], x: Ctx, pad: string): string[] {
  const out: string[] = [];
  for (const s of ss) {
    x.pre = [];
    const lines = printStmt(s, x, pad);
    out.push(...x.pre.map((l) => pad + l), ...lines);
    x.pre = [];
  }
  return out;
}

/** The context of a printed loop's body: entering the point loop decides whether to unroll. */
function enter(x: Ctx, s: Stmt & { k: 'for' | 'draw' }): Ctx {
  if (s.v !== POINT || x.budget <= 0) return x;
  return { ...x, unroll: unrolledSize(s.body) <= x.budget };
}

function printStmt(s: Stmt, x: Ctx, pad: string): string[] {
  switch (s.k) {
    case 'for': {
      if (x.unroll) {
        const out: string[] = [];
        for (let k = 0; k < s.n; k++) {
          x.env.set(s.v, k);
          out.push(...printList(s.body, x, pad));
        }
        x.env.delete(s.v);
        return out;
      }
      const body = printBlock(s.body, enter(x, s), pad + '  ', []);
      x.calls.clear(); // the loop may have set a local a call before it read
      return [`${pad}for (var v_${s.v} = 0u; v_${s.v} < ${s.n}u; v_${s.v}++) {`, ...body, `${pad}}`];
    }
    case 'draw': {
      const head = [`${pad}  let v_${s.v} = hash3(rng_seed ^ ${MINIBATCH_SALT}u, rng_net, rng_step * ${s.n}u + d_${s.v}) % ${s.m}u;`];
      const body = printBlock(s.body, enter(x, s), pad + '  ', head);
      x.calls.clear();
      return [`${pad}for (var d_${s.v} = 0u; d_${s.v} < ${s.n}u; d_${s.v}++) {`, ...body, `${pad}}`];
    }
    case 'set': {
      const line = `${pad}l_${s.name} = ${printExpr(s.e, x)};`;
      for (const call of [...x.calls.keys()]) if (new RegExp(`\\bl_${s.name}\\b`).test(call)) x.calls.delete(call);
      return [line];
    }
    case 'store':
      return [`${pad}${x.access[s.arr](printIndex(s.idx, x.env))} = ${printExpr(s.e, x)};`];
    case 'program': {
      // A block of its own: its inputs' lets and any activation lets stay inside it.
      const inner: Ctx = { ...x, pre: [], calls: new Map() };
      const inputs: Record<string, string> = {};
      for (const [k, e] of Object.entries(s.inputs)) inputs[k] = printExpr(e, inner);
      const id = x.counter.n++;
      // Inputs first into lets: the program reads each several times.
      const lets = s.prog.inputs.map((k) => `${pad}  let pi${id}_${k} = ${inputs[k]};`);
      const em = emitWGSL(s.prog, { inputs: Object.fromEntries(s.prog.inputs.map((k) => [k, `pi${id}_${k}`])), prefix: `pv${id}_` });
      const outs = Object.entries(s.outputs);
      return [
        `${pad}{`,
        ...inner.pre.map((l) => `${pad}  ${l}`),
        ...lets,
        ...em.code
          .split('\n')
          .filter(Boolean)
          .map((l) => `${pad}  ${l}`),
        // Every output captured before any store: an output may read a stored array.
        ...outs.map(([name], k) => `${pad}  let po${id}_${k} = ${em.outputs[name]};`),
        ...outs.map(([, o], k) => `${pad}  ${x.access[o.arr](printIndex(o.idx, x.env))} = po${id}_${k};`),
        `${pad}}`,
      ];
    }
  }
}

/** WGSL statements for a routine's body; its locals are `l_<name>`, declared by the caller. */
export function printStmts(ss: Stmt[], access: ArrayAccess, pad = '  ', counter = { n: 0 }, opts: PrintOptions = {}): string {
  const x: Ctx = { access, counter, unroll: false, budget: opts.unroll ?? 0, env: new Map(), pre: [], calls: new Map(), loads: new Map() };
  return printBlock(ss, x, pad, []).join('\n');
}
