// Surfaces by name: presets (with their parameters) or a typed expression, resolved to a Surface.

import { PRESET_NAMES, presetFor, presetParameters } from './presets';
import { compileCostProblem, CompileCostError } from '../expr/cost';
import { Surface } from './surface';

export * from './surface';
export { PRESETS, PRESET_NAMES, PRESET_PARAMETERS, presetParameters } from './presets';

/** A preset's name (with optional parameters) or an expression in x and y. */
export function resolveSurface(nameOrExpression: string, params?: Record<string, number>): Surface {
  const key = nameOrExpression.trim();
  const id = key.toLowerCase();
  const preset = presetFor(id);
  const known = new Set(presetParameters(id).map((p) => p.name));
  // A parameter the surface does not have would otherwise be ignored without a word.
  for (const name of Object.keys(params ?? {})) {
    if (!known.has(name))
      throw new RangeError(
        `unknown parameter '${name}' for surface '${preset ? id : key}'${known.size ? ` (it takes ${[...known].join(', ')})` : ' (it takes none)'}`,
      );
  }
  if (preset) return new Surface(preset(params));
  const surface = Surface.fromExpression(key);
  // Typed expressions only: every preset is measured well inside the limit.
  const problem = compileCostProblem(surface);
  if (problem) throw new CompileCostError(`the expression '${key}' is ${problem}`);
  return surface;
}

export function isPresetName(name: string): boolean {
  return PRESET_NAMES.includes(name.trim().toLowerCase());
}
