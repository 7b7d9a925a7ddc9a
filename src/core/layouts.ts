// Particle layouts: where each particle starts and which hyperparameters it carries.

import { checkHyper, HyperParamError, resolveHyper, type CompiledOptimizer } from './optimizers';
import { allocateParticles, checkParticleCount, checkRange as checkParticleRange, ParticleError, type ParticleRanges, type ParticleState } from './particles';
import { uniform01 } from './random';

export type Scale = 'log' | 'linear';

/** One axis of a product layout: a hyperparameter name, or 'x0'/'y0' for the start. */
export interface Axis {
  param: string;
  min: number;
  max: number;
  n: number;
  scale?: Scale;
}

export type Layout =
  /** One start, lr log-spaced from lrMin to lrMax over n particles. */
  | { kind: 'sweep'; start: [number, number]; lrMin: number; lrMax: number; n: number; scale?: Scale; part?: Part }
  /** A grid of starts (nx by ny over the ranges), one lr. */
  | { kind: 'grid'; x: [number, number]; y: [number, number]; nx: number; ny: number; lr: number }
  /** `perBand` seeded random starts in `domain`, the same starts repeated for each of `bands` lr values. */
  | { kind: 'random'; domain: [number, number, number, number]; perBand: number; bands: number; lrMin: number; lrMax: number; seed: number }
  /** Hyperparameter map: x axis by y axis (row-major, y rows), from one start unless an axis is x0/y0. */
  | { kind: 'product'; start: [number, number]; x: Axis; y: Axis; part?: Part };

/** A map's layout. */
export type ProductLayout = Extract<Layout, { kind: 'product' }>;

/**
 * A share of a sweep (its particles from..to-1) or of a map (its rows from..to-1): the
 * particles of that share only, each exactly as in the whole layout (a shard of a job).
 */
export type Part = [from: number, to: number];

/** The whole count a part is of (a sweep's particles, a map's rows). */
const partOf = (part: Part | undefined, whole: number): Part => part ?? [0, whole];

export function axisValue(min: number, max: number, n: number, i: number, scale: Scale = 'linear'): number {
  if (n === 1) return min;
  const f = i / (n - 1);
  return scale === 'log' ? min * Math.pow(max / min, f) : min + (max - min) * f;
}

/**
 * The resolutions a map goes through, coarse to fine: a pass at most `coarse` pixels a
 * side first (when smaller), then the layout's own. The surface maps (gpu/map-runner.ts)
 * and the page's network map both run these levels.
 */
export function mapLevels(layout: ProductLayout, coarse = 64): ProductLayout[] {
  const cx = Math.min(layout.x.n, coarse);
  const cy = Math.min(layout.y.n, coarse);
  // A part of a map (a shard's rows) has no coarse pass: only the whole map has one.
  if (coarse <= 0 || layout.part || (cx === layout.x.n && cy === layout.y.n)) return [layout];
  return [{ ...layout, x: { ...layout.x, n: cx }, y: { ...layout.y, n: cy } }, layout];
}

export function layoutSize(l: Layout): number {
  switch (l.kind) {
    case 'sweep': {
      const [from, to] = partOf(l.part, l.n);
      return to - from;
    }
    case 'grid':
      return l.nx * l.ny;
    case 'random':
      return l.perBand * l.bands;
    case 'product': {
      const [from, to] = partOf(l.part, l.y.n);
      return l.x.n * (to - from);
    }
  }
}

function checkPart(part: Part | undefined, whole: number, what: string): void {
  if (!part) return;
  const [from, to] = part;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > whole || from >= to) {
    throw new ParticleError(`a part of ${whole} ${what} must be a non-empty range within 0..${whole}, got ${from}..${to}`);
  }
}

function checkFinite(what: string, ...vs: number[]): void {
  if (vs.some((v) => !Number.isFinite(v))) throw new ParticleError(`${what} must be finite numbers, got ${vs.join(', ')}`);
}

function checkRange(what: string, min: number, max: number, scale: Scale = 'linear'): void {
  checkFinite(what, min, max);
  if (min > max) throw new ParticleError(`${what}: the minimum ${min} is above the maximum ${max}`);
  if (scale === 'log' && min <= 0) throw new ParticleError(`${what}: a log scale needs positive values, got ${min}`);
}

/**
 * Builds the particles of a layout. `base` holds the hyperparameters shared by all
 * (defaults filled in, validated); the layout overrides lr and any axis parameter.
 */
export function buildParticles(layout: Layout, opt: CompiledOptimizer, base: Record<string, number | boolean | undefined> = {}): ParticleState {
  const ranges = layoutParticles(layout, opt, base);
  return ranges.range(0, ranges.n);
}

/**
 * The particles of a layout as buildParticles makes them, made a range at a time (the
 * layout is checked here, once): an engine uploads a large run range by range.
 */
export function layoutParticles(layout: Layout, opt: CompiledOptimizer, base: Record<string, number | boolean | undefined> = {}): ParticleRanges {
  if (layout.kind === 'sweep') checkPart(layout.part, layout.n, 'particles');
  if (layout.kind === 'product') checkPart(layout.part, layout.y.n, 'rows');
  const n = layoutSize(layout);
  checkParticleCount(n);
  const def = opt.def;
  const hyperIndex = (name: string): number => {
    const k = def.hyper.findIndex((h) => h.name === name);
    if (k < 0) throw new HyperParamError(`${def.name} has no parameter '${name}' (it takes ${def.hyper.map((h) => h.name).join(', ')})`);
    return k;
  };
  const checkLr = (v: number) => checkHyper(def, def.hyper[0], v);
  const shared = resolveHyper(def, { ...base, lr: base.lr ?? def.hyper[0].default });
  const row = def.hyper.map((h) => shared[h.name]);
  const H = opt.hyperStride;
  /** Particle i's start and hyperparameters (lr, an axis parameter) into record j of p, over the shared row. */
  let place: (i: number, p: ParticleState, j: number) => void;

  switch (layout.kind) {
    case 'sweep': {
      checkFinite('the start', ...layout.start);
      checkRange('the lr range', layout.lrMin, layout.lrMax, layout.scale ?? 'log');
      checkLr(layout.lrMin);
      checkLr(layout.lrMax);
      const [from] = partOf(layout.part, layout.n);
      const [sx, sy] = layout.start;
      place = (i, p, j) => {
        p.pos[4 * j] = sx;
        p.pos[4 * j + 1] = sy;
        p.hyper[j * H] = axisValue(layout.lrMin, layout.lrMax, layout.n, from + i, layout.scale ?? 'log');
      };
      break;
    }
    case 'grid': {
      checkRange('the x range', ...layout.x);
      checkRange('the y range', ...layout.y);
      checkLr(layout.lr);
      const { nx, ny } = layout;
      place = (i, p, j) => {
        const ix = i % nx;
        p.pos[4 * j] = axisValue(layout.x[0], layout.x[1], nx, ix);
        p.pos[4 * j + 1] = axisValue(layout.y[0], layout.y[1], ny, (i - ix) / nx);
        p.hyper[j * H] = layout.lr;
      };
      break;
    }
    case 'random': {
      const [x0, x1, y0, y1] = layout.domain;
      checkRange('the domain x range', x0, x1);
      checkRange('the domain y range', y0, y1);
      checkRange('the lr range', layout.lrMin, layout.lrMax, 'log');
      checkLr(layout.lrMin);
      const { perBand, bands, seed } = layout;
      place = (i, p, j) => {
        const k = i % perBand;
        p.pos[4 * j] = x0 + (x1 - x0) * uniform01(seed, k, 0);
        p.pos[4 * j + 1] = y0 + (y1 - y0) * uniform01(seed, k, 1);
        p.hyper[j * H] = axisValue(layout.lrMin, layout.lrMax, bands, (i - k) / perBand, 'log');
      };
      break;
    }
    case 'product': {
      checkFinite('the start', ...layout.start);
      const axes = [layout.x, layout.y];
      for (const a of axes) {
        checkRange(`the ${a.param} axis`, a.min, a.max, a.scale);
        if (a.param !== 'x0' && a.param !== 'y0') {
          const h = def.hyper[hyperIndex(a.param)];
          checkHyper(def, h, a.min);
          checkHyper(def, h, a.max);
        }
      }
      const [from] = partOf(layout.part, layout.y.n);
      /** Where an axis's value goes: the start (x0, y0) or a hyperparameter's index. */
      const slot = (a: Axis): 'x0' | 'y0' | number => (a.param === 'x0' ? 'x0' : a.param === 'y0' ? 'y0' : hyperIndex(a.param));
      const [sx, sy] = [slot(layout.x), slot(layout.y)];
      const put = (p: ParticleState, j: number, a: Axis, at: 'x0' | 'y0' | number, k: number) => {
        const v = axisValue(a.min, a.max, a.n, k, a.scale);
        if (at === 'x0') p.pos[4 * j] = v;
        else if (at === 'y0') p.pos[4 * j + 1] = v;
        else p.hyper[j * H + at] = v;
      };
      place = (i, p, j) => {
        const ix = i % layout.x.n;
        p.pos[4 * j] = layout.start[0];
        p.pos[4 * j + 1] = layout.start[1];
        put(p, j, layout.x, sx, ix);
        put(p, j, layout.y, sy, from + (i - ix) / layout.x.n);
      };
      break;
    }
  }
  // Parameters that default to another (lr_y to lr) follow each particle's own value
  // unless they were given or are an axis of the layout.
  const axes = layout.kind === 'product' ? [layout.x.param, layout.y.param] : [];
  const follow = def.hyper.flatMap((h, k) => (!h.defaultFrom || base[h.name] !== undefined || axes.includes(h.name) ? [] : [[k, hyperIndex(h.defaultFrom)]]));
  return {
    n,
    hyperStride: H,
    stateStride: opt.stateStride,
    range(first, count) {
      checkParticleRange(n, first, count);
      const p = allocateParticles(count, opt);
      for (let j = 0; j < count; j++) {
        p.hyper.set(row, j * H);
        place(first + j, p, j);
        for (const [k, from] of follow) p.hyper[j * H + k] = p.hyper[j * H + from];
      }
      return p;
    },
  };
}
