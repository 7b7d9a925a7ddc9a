// The axes of `etascape map --model`: what each axis name sets per network (its learning
// rates, its initial weights, one of the optimizer's hyperparameters, a gradient
// setting) and the per-network values a map's pixels hand to buildNetSetup. A per-network
// value is one more entry of the network's hyper row, read by both engines from the same
// definition (core/nn/setup.ts).

import { axisValue, type Scale } from '../core/layouts';
import { GRADIENT_AXES, type GradientKey } from '../core/nn/gradient';
import { perNetworkNames } from '../core/nn/setup';
import { checkHyper, HyperParamError, type OptimizerDef } from '../core/optimizers';
import { parseFloat32, UsageError } from './args';

type NetAxisKind =
  /** lr_layerK (layer K) or lr (every layer: layer -1). */
  | { k: 'lr'; layer: number }
  | { k: 'init'; which: 'scale' | 'offset' }
  /** One of the optimizer's hyperparameters, or a gradient setting (clip_norm, ...): a per-network value. */
  | { k: 'hyper' };

export interface NetAxis {
  param: string;
  kind: NetAxisKind;
  min: number;
  max: number;
  scale: Scale;
}

/** The flag that gives a gradient setting for every network (left out when it is an axis). */
const GRADIENT_FLAGS: Record<string, GradientKey> = GRADIENT_AXES;

/** Why a name is not an axis, in one line, or null. */
function refusal(param: string): string | null {
  if (param === 'batch_size')
    return 'batch_size cannot be a network map axis: the minibatch size is compiled into the training kernel (give --batch_size for the whole map)';
  if (param === 'seed' || param === 'data-seed' || param === 'init-seed')
    return `${param} cannot be a network map axis (the draws are keyed by the network's index already)`;
  return null;
}

/** The axis names of a map of `layers`-layer networks trained by `def` (the layers' as a range). */
function netAxisNames(def: OptimizerDef, layers: number): string[] {
  return ['lr', layers > 1 ? `lr_layer0..lr_layer${layers - 1}` : 'lr_layer0', 'init_scale', 'init_offset', ...perNetworkNames(def)];
}

/** `PARAM:MIN:MAX[:log|lin]` checked against the optimizer and the model. */
export function parseNetAxis(text: string, flag: string, def: OptimizerDef, layers: number): NetAxis {
  const [param, lo, hi, sc, ...rest] = text.split(':').map((s) => s.trim());
  if (hi === undefined || rest.length) throw new UsageError(`${flag}: expected PARAM:MIN:MAX[:log|lin], got '${text}'`);
  const bad = refusal(param);
  if (bad) throw new UsageError(`${flag}: ${bad}`);
  const m = /^lr_layer(\d+)$/.exec(param);
  const h = def.hyper.find((x) => x.name === param);
  let kind: NetAxisKind;
  if (param === 'lr') kind = { k: 'lr', layer: -1 };
  else if (m && Number(m[1]) < layers) kind = { k: 'lr', layer: Number(m[1]) };
  else if (param === 'init_scale' || param === 'init_offset') kind = { k: 'init', which: param === 'init_scale' ? 'scale' : 'offset' };
  else if ((h && !h.bool) || param in GRADIENT_AXES) kind = { k: 'hyper' };
  else if (h?.bool) throw new UsageError(`${flag}: ${param} is a flag (true or false), not an axis`);
  else throw new UsageError(`${flag}: '${param}' is not an axis of a network map with ${def.name} (axes: ${netAxisNames(def, layers).join(', ')})`);
  const min = parseFloat32(lo, `${flag} minimum`);
  const max = parseFloat32(hi, `${flag} maximum`);
  const scale = sc === undefined || sc === 'lin' ? 'linear' : sc === 'log' ? 'log' : null;
  if (!scale) throw new UsageError(`${flag}: the scale must be log or lin, got '${sc}'`);
  if (!(min < max)) throw new UsageError(`${flag}: need MIN < MAX, got ${lo} and ${hi}`);
  if (scale === 'log' && !(min > 0)) throw new UsageError(`${flag}: a log axis needs MIN > 0, got ${lo}`);
  // A learning rate or a scale must be positive; a clip of 0 would mean "off" for one network only.
  if ((kind.k === 'lr' || (kind.k === 'init' && kind.which === 'scale')) && !(min > 0)) throw new UsageError(`${flag}: ${param} needs MIN > 0, got ${lo}`);
  if ((param === 'clip_norm' || param === 'clip_value') && !(min > 0))
    throw new UsageError(`${flag}: ${param} needs MIN > 0 (0 turns clipping off), got ${lo}`);
  if ((param === 'noise' || param === 'sam_rho') && !(min >= 0)) throw new UsageError(`${flag}: ${param} needs MIN >= 0, got ${lo}`);
  if (h) {
    try {
      checkHyper(def, h, min);
      checkHyper(def, h, max);
    } catch (e) {
      if (e instanceof HyperParamError) throw new UsageError(`${flag}: ${e.message}`);
      throw e;
    }
  }
  return { param, kind, min, max, scale };
}

/**
 * Refuses an axis whose quantity a flag also sets (one line naming it); `given` holds the
 * optimizer's hyperparameters as given, `gradient` the gradient flags.
 */
export function checkAxisFlags(a: NetAxis, flag: string, given: Record<string, unknown>, gradient: Partial<Record<GradientKey, number>>): void {
  const set = a.kind.k === 'hyper' && (given[a.param] !== undefined || (a.param in GRADIENT_FLAGS && gradient[GRADIENT_FLAGS[a.param]] !== undefined));
  const what = flag === '--sweep' ? 'swept quantity' : `map's ${flag.slice(2)} axis`;
  if (set) throw new UsageError(`--${a.param}: ${a.param} is the ${what}; leave the flag out`);
}

/** The values of an axis over `res` pixels (rounded to float32 unless `exact`). */
export function axisValues(a: NetAxis, res: number, exact = false): number[] {
  return Array.from({ length: res }, (_, i) => {
    const v = axisValue(a.min, a.max, res, i, a.scale);
    return exact ? v : Math.fround(v);
  });
}

/** The networks' settings an axis sets, built up network by network. */
export interface AxisNetworks {
  lrLayers: number[][];
  init: { scale?: number[]; offset?: number[] };
  perNetwork: Record<string, number[]>;
}

/** Appends one network: the base learning rates, then each axis's value (later ones last). */
function pushNetwork(out: AxisNetworks, baseLr: number[], values: [NetAxis, number][]): void {
  const lrs = baseLr.slice();
  for (const [a, v] of values) {
    const kind = a.kind;
    if (kind.k === 'lr') {
      if (kind.layer < 0) lrs.fill(v);
      else lrs[kind.layer] = v;
    } else if (kind.k === 'init') (out.init[kind.which] ??= []).push(v);
    else (out.perNetwork[a.param] ??= []).push(v);
  }
  out.lrLayers.push(lrs);
}

/** Per network of rows from..to-1 (row-major): its learning rates, init scale/offset and per-network hyperparameters. */
export function mapNetworks(axes: { x: NetAxis; xv: number[]; y: NetAxis; yv: number[] }, rows: [number, number], baseLr: number[]): AxisNetworks {
  const out: AxisNetworks = { lrLayers: [], init: {}, perNetwork: {} };
  for (let iy = rows[0]; iy < rows[1]; iy++)
    for (let ix = 0; ix < axes.xv.length; ix++)
      pushNetwork(out, baseLr, [
        [axes.y, axes.yv[iy]],
        [axes.x, axes.xv[ix]],
      ]);
  return out;
}

/** One network per value of a sweep's axis. */
export function sweepNetworks(axis: NetAxis, values: number[], baseLr: number[]): AxisNetworks {
  const out: AxisNetworks = { lrLayers: [], init: {}, perNetwork: {} };
  for (const v of values) pushNetwork(out, baseLr, [[axis, v]]);
  return out;
}
