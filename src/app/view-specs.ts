// What each view's run of its own computes, as the very spec object its runner gets
// (map, basins, bifurcation diagram, LR finder), and the cache key derived from that
// object: a view recomputes exactly when something its runner reads has changed.
// Pure: no DOM, no device.

import type { RangeTestSpec } from '../core/analysis/lr-range-test';
import { surfaceDF64Refusal } from '../core/engine/surface-df64';
import { mapPrecision } from '../core/nn/precision';
import { Surface } from '../core/surfaces';
import type { MapAxis } from '../display/map-figure';
import type { BifurcationSpec } from '../gpu/bifurcation-runner';
import type { MapRunSpec, ProductLayout } from '../gpu/map-runner';
import { optimizerFor, runConfig } from '../model/setup';
import type { ExplorerState } from '../model/state';
import { lossHistogram } from './view-data';

/** A map first shows a pass at most this many pixels a side, then its full resolution (core/layouts.ts mapLevels). */
export const MAP_COARSE = 32;

/** What the specs are built from: the state, the live run's surface, the engine, the surface as drawn. */
export interface ViewInputs {
  state: ExplorerState;
  surface: Surface;
  mode: 'gpu' | 'cpu';
  /** The drawn surface's sampled loss range (the loss histogram's scale); null before the first mesh. */
  meshMapping: { lossMin: number; lossTop: number } | null;
}

/** The map's axes: the zoomed window, else lr (log) x the particles panel's map axis. */
export function mapAxes(s: ExplorerState): { x: Required<Omit<MapAxis, 'n'>>; y: Required<Omit<MapAxis, 'n'>> } {
  if (s.mapWindow) return s.mapWindow;
  return {
    x: { param: 'lr', min: s.lrMin, max: s.lrMax, scale: 'log' as const },
    y: { param: s.mapParam, min: s.mapMin, max: s.mapMax, scale: 'linear' as const },
  };
}

/** The lr every basin run uses. */
export function basinLr(s: ExplorerState): number {
  return s.basinLr ?? Math.sqrt(s.lrMin * s.lrMax);
}

function mapLayout(kind: 'map' | 'basins', { state: s, surface, mode }: ViewInputs): ProductLayout {
  const res = mode === 'gpu' ? s.mapRes : Math.min(s.mapRes, 48);
  if (kind === 'basins') {
    const d = surface.spec.domain;
    return {
      kind: 'product',
      start: [0, 0],
      x: { param: 'x0', min: d[0], max: d[1], n: res, scale: 'linear' },
      y: { param: 'y0', min: d[2], max: d[3], n: res, scale: 'linear' },
    };
  }
  const a = mapAxes(s);
  return { kind: 'product', start: s.start ?? surface.spec.defaultStart, x: { ...a.x, n: res }, y: { ...a.y, n: res } };
}

export function mapSpec(kind: 'map' | 'basins', inputs: ViewInputs): MapRunSpec {
  const s = inputs.state;
  const layout = mapLayout(kind, inputs);
  const base = { ...s.hyper, ...(s.lrY !== null ? { lr_y: s.lrY } : {}), ...(kind === 'basins' ? { lr: basinLr(s) } : {}) };
  const optimizer = optimizerFor(s, [layout.x.param, layout.y.param]);
  const config = runConfig(s);
  // A window narrower than float32 resolves (drag-zoomed) runs in df64, as the network map does.
  const { precision, why } = mapPrecision(layout.x, layout.y);
  // Refused now, in one line, rather than at the run's start.
  const refusal = precision === 'df64' ? surfaceDF64Refusal(inputs.surface, optimizer, config, layout, base) : null;
  if (refusal) throw new Error(`float32 no longer resolves this window (${why}); df64 cannot run it: ${refusal}`);
  return {
    surface: inputs.surface,
    optimizer,
    base,
    config,
    layout,
    steps: s.mapSteps,
    coloring: kind === 'basins' ? 'basin' : 'outcome',
    coarse: MAP_COARSE,
    precision,
  };
}

export function bifurcationSpec({ state: s, surface, mode, meshMapping }: ViewInputs): BifurcationSpec {
  const gpu = mode === 'gpu';
  const n = gpu ? 4096 : 512;
  const d = surface.spec.domain;
  const value = s.bifurcationValue;
  const histogram =
    value === 'loss'
      ? lossHistogram(surface, meshMapping ?? { lossMin: 0, lossTop: 1 }, 200)
      : ({ value, buckets: 200, lo: value === 'x' ? d[0] : d[2], hi: value === 'x' ? d[1] : d[3] } as const);
  const start = s.start ?? surface.spec.defaultStart;
  return {
    surface,
    optimizer: optimizerFor(s),
    base: { ...s.hyper },
    config: runConfig(s),
    layout: { kind: 'sweep', start, lrMin: s.lrMin, lrMax: s.lrMax, n },
    bins: gpu ? 256 : 128,
    histogram,
    transient: 500,
    record: 64,
  };
}

/** The range test spans the particles' lr range widened (a decade up, two down). */
export function lrFinderSpec({ state: s, surface }: ViewInputs): RangeTestSpec {
  const oneStart = s.layout === 'sweep' || s.layout === 'map';
  const { clipNorm, clipValue, noise, batchSize, seed } = runConfig(s);
  return {
    surface,
    optimizer: s.optimizer,
    hyper: s.hyper,
    lrMin: s.lrMin / 100,
    lrMax: s.lrMax * 10,
    steps: 200,
    particles: 64,
    start: oneStart ? (s.start ?? surface.spec.defaultStart) : undefined,
    seed: s.seed,
    config: { clipNorm, clipValue, noise, batchSize, seed },
  };
}

/**
 * The cache key of a runner's spec: every field of the object, recursively (a surface
 * by its definition, typed arrays by their values, functions by their source,
 * non-finite numbers spelled out), with
 * the engine it runs on. Built from the spec itself, so no input can be left out.
 */
export function specKey(spec: object, mode: 'gpu' | 'cpu'): string {
  return (
    mode +
    JSON.stringify(spec, (_key, v: unknown) => {
      if (v instanceof Surface) return { surface: v.spec };
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (typeof v === 'number' && Object.is(v, -0)) return '-0';
      if (v === undefined) return '(undefined)';
      // An optimizer's checks are code the runner calls: keyed by their source.
      if (typeof v === 'function') return `(function ${String(v)})`;
      return v;
    })
  );
}
