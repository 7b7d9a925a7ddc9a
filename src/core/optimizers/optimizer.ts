// An optimizer is one small definition: its hyperparameters (PyTorch's names) and its
// per-coordinate update written as assignments in the expression language. The same
// compiled program runs in WGSL and in the CPU reference.

import { Graph } from '../expr/graph';
import { parseAssignments } from '../expr/parse';
import { compileProgram, type Program } from '../expr/program';

export interface HyperParam {
  name: string;
  default: number;
  /** Valid range; `open` ends are exclusive. */
  min?: number;
  max?: number;
  openMin?: boolean;
  openMax?: boolean;
  bool?: boolean;
  doc: string;
}

export interface OptimizerDef {
  /** PyTorch's class name. */
  name: string;
  aliases?: string[];
  doc: string;
  /** lr first; every one is per particle, so any can be swept. */
  hyper: HyperParam[];
  /** Per-coordinate state slots (momentum buffers, moments), zero at the start. */
  state: string[];
  /**
   * Assignments run per coordinate. Inputs: p (parameter), g (gradient), t (updates
   * done before this one, 0-based), the hyperparameters and the state. Must assign p.
   */
  update: string;
  /** Cross-parameter rules PyTorch enforces (e.g. nesterov needs momentum > 0). */
  check?: (h: Record<string, number>) => string | null;
}

export interface CompiledOptimizer {
  def: OptimizerDef;
  /** Hyperparameters compiled in as constants. */
  fixed: Record<string, number>;
  program: Program;
  /** Hyperparameters per particle (stride of the hyper buffer). */
  hyperStride: number;
  /** State floats per particle: 2 coordinates x slots (stride of the state buffer). */
  stateStride: number;
}

/**
 * `fixed` hyperparameters (the same for every particle) become constants, so the
 * graph folds away the work they make dead (e.g. the momentum buffer when momentum is
 * 0). The program's inputs stay the same; fixed ones are simply unused.
 */
export function compileOptimizer(def: OptimizerDef, fixed: Record<string, number> = {}): CompiledOptimizer {
  const g = new Graph();
  const inputs = ['p', 'g', 't', ...def.hyper.map((h) => h.name), ...def.state];
  const bound = new Map(inputs.map((name) => [name, name in fixed ? g.num(fixed[name]) : g.variable(name)]));
  const env = parseAssignments(g, def.update, bound);
  const outputs: Record<string, ReturnType<Graph['num']> | any> = { p: env.get('p')! };
  for (const s of def.state) outputs[s] = env.get(s)!;
  return {
    def,
    fixed,
    program: compileProgram(inputs, outputs),
    hyperStride: def.hyper.length,
    stateStride: 2 * def.state.length,
  };
}

export class HyperParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HyperParamError';
  }
}

/** Fills defaults and checks ranges; throws HyperParamError naming the parameter. */
export function resolveHyper(def: OptimizerDef, given: Record<string, number | boolean | undefined>): Record<string, number> {
  const names = new Set(def.hyper.map((h) => h.name));
  for (const k of Object.keys(given)) {
    if (given[k] !== undefined && !names.has(k)) {
      throw new HyperParamError(`${def.name} has no parameter '${k}' (it takes ${[...names].join(', ')})`);
    }
  }
  const out: Record<string, number> = {};
  for (const h of def.hyper) {
    const raw = given[h.name];
    const v = raw === undefined ? h.default : typeof raw === 'boolean' ? Number(raw) : raw;
    checkHyper(def, h, v);
    out[h.name] = v;
  }
  const problem = def.check?.(out);
  if (problem) throw new HyperParamError(`${def.name}: ${problem}`);
  return out;
}

export function checkHyper(def: OptimizerDef, h: HyperParam, v: number): void {
  if (!Number.isFinite(v)) throw new HyperParamError(`${h.name} must be a finite number, got ${v}`);
  if (h.bool && v !== 0 && v !== 1) throw new HyperParamError(`${h.name} is a flag: true or false`);
  const lowOk = h.min === undefined || (h.openMin ? v > h.min : v >= h.min);
  const highOk = h.max === undefined || (h.openMax ? v < h.max : v <= h.max);
  if (!lowOk || !highOk) {
    const lo = h.min === undefined ? '' : `${h.min} ${h.openMin ? '<' : '<='} `;
    const hi = h.max === undefined ? '' : ` ${h.openMax ? '<' : '<='} ${h.max}`;
    const extra = h.name === 'lr' && v <= 0 ? ' (a learning rate must be positive)' : '';
    throw new HyperParamError(`${def.name}: ${h.name} must satisfy ${lo}${h.name}${hi}, got ${v}${extra}`);
  }
}
