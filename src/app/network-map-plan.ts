// What the page's network map computes, from the state alone: its window (lr_layer0 x
// lr_layer1 over [lrMin, lrMax], or the dragged window), the levels it goes through
// (a coarse pass, then the full resolution: the surface maps' mapLevels) and the
// precision the window needs (df64 where float32 no longer resolves it). Pure: no DOM,
// no device.

import { axisValue, mapLevels, type ProductLayout } from '../core/layouts';
import { mapPrecision, type MapPrecision } from '../core/nn/precision';
import type { MapAxis } from '../display/map-figure';
import type { ExplorerState } from '../model/state';
import { MAP_COARSE } from './view-specs';

export type NetMapAxes = { x: Required<Omit<MapAxis, 'n'>>; y: Required<Omit<MapAxis, 'n'>> };

/** On a software GPU the map is at most this many networks a side. */
const SOFTWARE_RES = 32;

/** The map's axes: the zoomed window when it is over layer learning rates, else lr_layer0 x lr_layer1 over [lrMin, lrMax]. */
export function networkMapAxes(s: ExplorerState): NetMapAxes {
  const w = s.mapWindow;
  if (w && /^lr_layer\d+$/.test(w.x.param) && /^lr_layer\d+$/.test(w.y.param)) return w;
  return {
    x: { param: 'lr_layer0', min: s.lrMin, max: s.lrMax, scale: 'log' },
    y: { param: 'lr_layer1', min: s.lrMin, max: s.lrMax, scale: 'log' },
  };
}

export interface NetMapPlan {
  /** The full map's side. */
  res: number;
  steps: number;
  /** Coarse first (when smaller), the full map last. */
  levels: ProductLayout[];
  precision: MapPrecision;
  /** Why float32 does not resolve the window (null when it does). */
  why: string | null;
}

/**
 * A network costs far more than a surface's particle: the coarse pass is at most
 * MAP_COARSE a side and at most half the full side (a quarter of its networks), so it
 * stays a quick preview on small maps too.
 */
function netMapCoarse(res: number): number {
  return Math.min(MAP_COARSE, Math.ceil(res / 2));
}

export function netMapPlan(s: ExplorerState, software: boolean): NetMapPlan {
  const res = software ? Math.min(s.mapRes, SOFTWARE_RES) : s.mapRes;
  const a = networkMapAxes(s);
  const layout: ProductLayout = { kind: 'product', start: [0, 0], x: { ...a.x, n: res }, y: { ...a.y, n: res } };
  // One precision for every level, chosen at the full resolution: the coarse image previews the full one.
  const { precision, why } = mapPrecision(layout.x, layout.y);
  return { res, steps: s.mapSteps, levels: mapLevels(layout, netMapCoarse(res)), precision, why };
}

/**
 * Each network's learning rates at one level, row-major from the y axis' minimum: the
 * axes' layers take the pixel's values (float64 in df64, rounded to float32 otherwise,
 * as `etascape map --model` does), the other layers `fill`.
 */
export function netMapRates(level: ProductLayout, layers: number, fill: number, precision: MapPrecision): number[][] {
  const layer = (p: string) => Number(/^lr_layer(\d+)$/.exec(p)?.[1] ?? NaN);
  const [lx, ly] = [layer(level.x.param), layer(level.y.param)];
  if (!(lx < layers && ly < layers)) throw new Error(`the model has ${layers} weight matrices: the map's axes are lr_layer0..lr_layer${layers - 1}`);
  const round = precision === 'df64' ? (v: number) => v : Math.fround;
  const { x, y } = level;
  const out: number[][] = [];
  for (let iy = 0; iy < y.n; iy++)
    for (let ix = 0; ix < x.n; ix++) {
      const lrs = Array<number>(layers).fill(round(fill));
      lrs[ly] = round(axisValue(y.min, y.max, y.n, iy, y.scale));
      lrs[lx] = round(axisValue(x.min, x.max, x.n, ix, x.scale));
      out.push(lrs);
    }
  return out;
}
