// Optimizers by name: PyTorch names and aliases resolved to their definitions, compiled with a schedule.

import { compileOptimizer, HyperParamError, variantKey, withPerCoordinateLr, type CompiledOptimizer, type OptimizerDef } from './optimizer';
import type { ResolvedSchedule } from '../schedules';
import { OPTIMIZER_DEFS } from './definitions';

export * from './optimizer';
export { OPTIMIZER_DEFS } from './definitions';

/** Compiled programs per definition and set of fixed hyperparameters. */
const compiled = new WeakMap<OptimizerDef, Map<string, CompiledOptimizer>>();

function compiledFor(def: OptimizerDef, fixed: Record<string, number>, schedule?: ResolvedSchedule): CompiledOptimizer {
  let byFixed = compiled.get(def);
  if (!byFixed) compiled.set(def, (byFixed = new Map()));
  const key = variantKey(fixed, schedule);
  let c = byFixed.get(key);
  if (!c) byFixed.set(key, (c = compileOptimizer(def, fixed, schedule)));
  return c;
}

export interface OptimizerOptions {
  /** Constants compiled in. */
  fixed?: Record<string, number>;
  schedule?: ResolvedSchedule;
  /** Separate learning rates for x (lr) and y (lr_y). */
  perCoordinateLr?: boolean;
}

/** PyTorch class name or alias, case-insensitive ('sgd', 'Adam', 'gd'). */
export function findOptimizer(name: string): OptimizerDef {
  const key = name.trim().toLowerCase();
  const def = OPTIMIZER_DEFS.find((d) => d.name.toLowerCase() === key || d.aliases?.includes(key));
  if (!def) {
    const names = OPTIMIZER_DEFS.flatMap((d) => [d.name, ...(d.aliases ?? [])]).join(', ');
    throw new HyperParamError(`unknown optimizer '${name}' (known: ${names})`);
  }
  return def;
}

/** The compiled optimizer, with its schedule and parameter groups; `fixed` hyperparameters are constants. */
export function getOptimizer(name: string, opts: OptimizerOptions = {}): CompiledOptimizer {
  const def = findOptimizer(name);
  return compiledFor(opts.perCoordinateLr ? withPerCoordinateLr(def) : def, opts.fixed ?? {}, opts.schedule);
}

/**
 * The hyperparameters all n particles of `hyper` share, by name; with `within` (found for
 * other particles of the same run, a range at a time), only those shared there too.
 */
export function sharedHyper(opt: CompiledOptimizer, hyper: Float32Array, n: number, within?: Record<string, number>): Record<string, number> {
  const H = opt.hyperStride;
  const fixed: Record<string, number> = {};
  if (n === 0) return within ?? fixed;
  opt.def.hyper.forEach((h, k) => {
    const v = hyper[k];
    if (within && !(Object.hasOwn(within, h.name) && Object.is(within[h.name], v))) return;
    for (let i = 1; i < n; i++) if (!Object.is(hyper[i * H + k], v)) return;
    fixed[h.name] = v;
  });
  return fixed;
}

/** The optimizer specialized to `particles`: every hyperparameter they all share is a constant. */
export function specializeFor(opt: CompiledOptimizer, hyper: Float32Array, n: number): CompiledOptimizer {
  return specializeShared(opt, sharedHyper(opt, hyper, n));
}

/** The optimizer with the `shared` hyperparameters (sharedHyper) as constants. */
export function specializeShared(opt: CompiledOptimizer, shared: Record<string, number>): CompiledOptimizer {
  return compiledFor(opt.def, shared, opt.schedule);
}
