// Surfaces by name: presets (with their parameters) or a typed expression, resolved to a Surface.

import { PRESETS, PRESET_NAMES } from './presets';
import { Surface } from './surface';

export * from './surface';
export { PRESETS, PRESET_NAMES, PRESET_PARAMETERS } from './presets';

/** A preset's name (with optional parameters) or an expression in x and y. */
export function resolveSurface(nameOrExpression: string, params?: Record<string, number>): Surface {
  const key = nameOrExpression.trim();
  const preset = PRESETS[key.toLowerCase()];
  if (preset) return new Surface(preset(params));
  return Surface.fromExpression(key);
}

export function isPresetName(name: string): boolean {
  return PRESET_NAMES.includes(name.trim().toLowerCase());
}
