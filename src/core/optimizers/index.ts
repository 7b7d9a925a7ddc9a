import { compileOptimizer, HyperParamError, type CompiledOptimizer, type OptimizerDef } from './optimizer';
import { OPTIMIZER_DEFS } from './definitions';

export * from './optimizer';
export { OPTIMIZER_DEFS } from './definitions';

/** Compiled programs per definition and set of fixed hyperparameters. */
const compiled = new WeakMap<OptimizerDef, Map<string, CompiledOptimizer>>();

function compiledFor(def: OptimizerDef, fixed: Record<string, number>): CompiledOptimizer {
  let byFixed = compiled.get(def);
  if (!byFixed) compiled.set(def, (byFixed = new Map()));
  const key = JSON.stringify(fixed);
  let c = byFixed.get(key);
  if (!c) byFixed.set(key, (c = compileOptimizer(def, fixed)));
  return c;
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

/** The compiled optimizer; `fixed` hyperparameters are compiled in as constants. */
export function getOptimizer(name: string, fixed: Record<string, number> = {}): CompiledOptimizer {
  return compiledFor(findOptimizer(name), fixed);
}

/** The optimizer specialized to `particles`: every hyperparameter they all share is a constant. */
export function specializeFor(opt: CompiledOptimizer, hyper: Float32Array, n: number): CompiledOptimizer {
  const H = opt.hyperStride;
  const fixed: Record<string, number> = {};
  opt.def.hyper.forEach((h, k) => {
    const v = hyper[k];
    for (let i = 1; i < n; i++) if (!Object.is(hyper[i * H + k], v)) return;
    if (n > 0) fixed[h.name] = v;
  });
  return compiledFor(opt.def, fixed);
}
