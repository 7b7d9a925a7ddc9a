// An optimizer is one small definition: its hyperparameters (PyTorch's names) and its
// per-coordinate update written as assignments in the expression language. The same
// compiled program runs in WGSL and in the CPU reference.

import { Graph, type Node } from '../expr/graph';
import { parseAssignments } from '../expr/parse';
import { compileProgram, type Program } from '../expr/program';
import { scheduleCode, scheduleText, type ResolvedSchedule } from '../schedules';

export interface HyperParam {
  name: string;
  default: number;
  /** Valid range; `open` ends are exclusive. */
  min?: number;
  max?: number;
  openMin?: boolean;
  openMax?: boolean;
  bool?: boolean;
  /** Defaults to another parameter's value (lr_y to lr). */
  defaultFrom?: string;
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
   * done before this one, 0-based), the hyperparameters and the state (and the rest of
   * PROGRAM_INPUTS, for schedules). Must assign p.
   */
  update: string;
  /** Set on the per-coordinate variant (PyTorch parameter groups: lr for x, lr_y for y). */
  perCoordinateLr?: boolean;
  /** Cross-parameter rules PyTorch enforces (e.g. nesterov needs momentum > 0). */
  check?: (h: Record<string, number>) => string | null;
}

/**
 * The inputs every optimizer program takes first, in this order: parameter, gradient,
 * step, coordinate (0 for x, 1 for y), and for schedules the loss, the gradient norm and
 * the Hessian at the current point. Then come the hyperparameters and the state slots.
 */
export const PROGRAM_INPUTS = ['p', 'g', 't', 'coord', 'loss', 'gnorm', 'hxx', 'hxy', 'hyy'] as const;

export interface CompiledOptimizer {
  def: OptimizerDef;
  /** Hyperparameters compiled in as constants. */
  fixed: Record<string, number>;
  /** The lr schedule compiled into the program, if any. */
  schedule?: ResolvedSchedule;
  program: Program;
  /** Per-coordinate state slots: the optimizer's, then the schedule's. */
  state: string[];
  /** The program reads the Hessian (hxx, hxy, hyy): the kernel must compute it. */
  needsHessian: boolean;
  /** Hyperparameters per particle (stride of the hyper buffer). */
  hyperStride: number;
  /** State floats per particle: 2 coordinates x slots (stride of the state buffer). */
  stateStride: number;
}

/** The optimizer's momentum-like hyperparameter, which CyclicLR and OneCycleLR cycle (as PyTorch does). */
function momentumName(def: OptimizerDef): string | null {
  if (def.hyper.some((h) => h.name === 'momentum')) return 'momentum';
  if (def.hyper.some((h) => h.name === 'beta1')) return 'beta1';
  return null;
}

/**
 * `fixed` hyperparameters (the same for every particle) become constants, so the
 * graph folds away the work they make dead (e.g. the momentum buffer when momentum is
 * 0). The program's inputs stay the same; fixed ones are simply unused. A schedule's
 * code runs before the update (it sets lr from the base lr) and after it (its state).
 */
export function compileOptimizer(def: OptimizerDef, fixed: Record<string, number> = {}, schedule?: ResolvedSchedule): CompiledOptimizer {
  const g = new Graph();
  const sched = schedule ? scheduleCode(schedule, momentumName(def)) : undefined;
  const state = [...def.state, ...(sched?.state ?? [])];
  const inputs = [...PROGRAM_INPUTS, ...def.hyper.map((h) => h.name), ...state];
  const bound = new Map(inputs.map((name) => [name, name in fixed ? g.num(fixed[name]) : g.variable(name)]));
  // Per coordinate, the base lr is that coordinate's group's; the schedule starts from it.
  const groups = def.perCoordinateLr ? 'lr = coord == 0 ? lr : lr_y' : '';
  const source = [groups, sched?.before ?? '', def.update, sched?.after ?? ''].join('\n');
  const env = parseAssignments(g, source, bound);
  const outputs: Record<string, Node> = { p: env.get('p')! };
  for (const s of state) outputs[s] = env.get(s)!;
  const program = compileProgram(inputs, outputs);
  const hessian = ['hxx', 'hxy', 'hyy'].map((name) => inputs.indexOf(name));
  return {
    def,
    fixed,
    schedule,
    program,
    state,
    needsHessian: program.values.some((v) => v.kind === 'instr' && v.instr.args.some((a) => hessian.includes(a))),
    hyperStride: def.hyper.length,
    stateStride: 2 * state.length,
  };
}

/** Cache key of a compiled optimizer's variant. */
export function variantKey(fixed: Record<string, number>, schedule?: ResolvedSchedule): string {
  return `${JSON.stringify(fixed)}|${schedule ? scheduleText(schedule) : ''}`;
}

/** The learning rate of y when lr_y is given (lr is then x's). */
const LR_Y: HyperParam = { name: 'lr_y', default: 0, defaultFrom: 'lr', min: 0, openMin: true, doc: 'learning rate of y (eta_y); lr is then eta_x' };

const perCoordinate = new WeakMap<OptimizerDef, OptimizerDef>();

/** PyTorch's parameter groups on our two coordinates: lr for x, lr_y for y (the schedule applies to each). */
export function withPerCoordinateLr(def: OptimizerDef): OptimizerDef {
  if (def.perCoordinateLr) return def;
  let d = perCoordinate.get(def);
  if (!d) {
    d = { ...def, hyper: [...def.hyper, LR_Y], perCoordinateLr: true };
    perCoordinate.set(def, d);
  }
  return d;
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
    const dflt = h.defaultFrom ? out[h.defaultFrom] : h.default;
    const v = raw === undefined ? dflt : typeof raw === 'boolean' ? Number(raw) : raw;
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
