// The compile cost of a surface: what its generated programs ask of a shader compiler.
// The WGSL is small, but every elementary function (shaders/mathlib.ts) is inlined with
// its range reduction and branches, and SwiftShader's JIT spends its time on them: plain
// arithmetic is nearly free, a pow (exp, log and their branches) costs as much as 300
// additions, and a tower of them grows worse than linearly (x^x^...^x with 10 levels
// took 12.7 s of CPU to become a pipeline). The estimate counts the instructions of the
// loss-and-gradient and the Hessian programs, each weighted by its measured cost;
// bench/compile-cost.bench.ts measures it (README, Limits and safety).

import type { Op } from './graph';
import type { Program } from './program';

/**
 * Milliseconds of CPU time SwiftShader spends per instruction, building the step kernel
 * (loss and gradient) and the sharpness kernel (Hessian), fitted to the calibration on
 * a 2-core machine: arithmetic 0.3-1, sin 22, exp 38, pow 184 (pow and log were fitted
 * together; pow is rounded down here and log given exp's cost).
 */
const MS: Partial<Record<Op, number>> = {
  sin: 22,
  cos: 22,
  atan: 22,
  tan: 44,
  exp: 38,
  sinh: 38,
  cosh: 38,
  tanh: 38,
  sigmoid: 38,
  log: 40,
  log2: 40,
  log10: 40,
  softplus: 80,
  pow: 150,
};
const ARITHMETIC_MS = 0.5;
/** The two kernels without a surface (a quadratic's programs are a few instructions). */
const BASE_MS = 120;

/** The estimate a surface may reach: about a second of compilation on SwiftShader. */
export const COMPILE_COST_LIMIT_MS = 1000;

export interface CompileCost {
  /** Estimated milliseconds of compilation. */
  ms: number;
  /** Instructions by op over both programs (for the message). */
  ops: Map<Op, number>;
}

/** The estimated compile cost of a surface's generated programs, gradient and Hessian included. */
export function compileCost(s: { step: Program; hessian: Program }): CompileCost {
  const ops = new Map<Op, number>();
  let ms = BASE_MS;
  for (const p of [s.step, s.hessian]) {
    for (const v of p.values) {
      if (v.kind !== 'instr') continue;
      ops.set(v.instr.op, (ops.get(v.instr.op) ?? 0) + 1);
      ms += MS[v.instr.op] ?? ARITHMETIC_MS;
    }
  }
  return { ms: Math.round(ms), ops };
}

/** Why a surface is too costly to compile (null: it is not). */
export function compileCostProblem(s: { step: Program; hessian: Program }): string | null {
  const { ms, ops } = compileCost(s);
  if (ms <= COMPILE_COST_LIMIT_MS) return null;
  const costly = [...ops]
    .filter(([op]) => MS[op] !== undefined)
    .sort((a, b) => MS[b[0]]! * b[1] - MS[a[0]]! * a[1])
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  return (
    `too costly to compile: its loss, gradient and Hessian programs (${costly}) come to an estimated ${ms} ms of shader compilation, ` +
    `over the limit of ${COMPILE_COST_LIMIT_MS} ms; use fewer elementary functions (pow with a variable exponent costs the most)`
  );
}

/** Thrown for an expression over the compile-cost limit. */
export class CompileCostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileCostError';
  }
}
