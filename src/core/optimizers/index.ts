import { compileOptimizer, HyperParamError, type CompiledOptimizer, type OptimizerDef } from './optimizer';
import { OPTIMIZER_DEFS } from './definitions';

export * from './optimizer';
export { OPTIMIZER_DEFS } from './definitions';

const compiled = new Map<string, CompiledOptimizer>();

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

export function getOptimizer(name: string): CompiledOptimizer {
  const def = findOptimizer(name);
  let c = compiled.get(def.name);
  if (!c) {
    c = compileOptimizer(def);
    compiled.set(def.name, c);
  }
  return c;
}
