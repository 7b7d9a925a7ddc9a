// The loss surface as a height mesh with a colormap, contour lines and the grid data,
// computed once per surface on the CPU (float64) from the same expression the engines run.

import { Evaluator } from '../core/expr/program';
import type { Surface } from '../core/surfaces';
import { colormap, type ColormapName } from '../display/colormaps';
import { level, mappingFor, toWorld, type Mapping } from '../display/mapping';

export interface SurfaceGrid {
  res: number;
  losses: Float64Array;
  domain: [number, number, number, number];
}

/** Loss on a res x res grid (row-major, y rows from ymin). */
export function sampleGrid(surface: Surface, res: number): SurfaceGrid {
  const ev = new Evaluator(surface.loss, false);
  const [x0, x1, y0, y1] = surface.spec.domain;
  const losses = new Float64Array(res * res);
  for (let j = 0; j < res; j++) {
    const y = y0 + ((y1 - y0) * j) / (res - 1);
    for (let i = 0; i < res; i++) losses[j * res + i] = ev.run(x0 + ((x1 - x0) * i) / (res - 1), y).out('loss');
  }
  return { res, losses, domain: surface.spec.domain };
}

/**
 * Resolution that follows the surface's detail: doubled (up to `max`) while bilinear
 * interpolation of the coarser grid misses the finer one by more than 1% of the range.
 */
export function adaptiveGrid(surface: Surface, log: boolean, start = 64, max = 256): SurfaceGrid {
  let grid = sampleGrid(surface, start);
  while (grid.res < max) {
    const finer = sampleGrid(surface, grid.res * 2 - 1);
    const m = mappingFor(grid.domain, grid.losses, log);
    let worst = 0;
    const r = finer.res;
    for (let j = 1; j < r; j += 2) {
      for (let i = 1; i < r; i += 2) {
        const c = [finer.losses[(j - 1) * r + i - 1], finer.losses[(j - 1) * r + i + 1], finer.losses[(j + 1) * r + i - 1], finer.losses[(j + 1) * r + i + 1]];
        const guess = c.reduce((a, b) => a + level(m, b), 0) / 4;
        worst = Math.max(worst, Math.abs(guess - level(m, finer.losses[j * r + i])));
      }
    }
    grid = finer;
    if (worst < 0.01) break;
  }
  return grid;
}

export interface MeshData {
  positions: Float32Array;
  colors: Float32Array;
  indices: Uint32Array;
  /** Pairs of points (line segments) for the contour lines. */
  contours: Float32Array;
  mapping: Mapping;
}

/** `heightScale` multiplies the default relief (mappingFor's). */
export function buildMesh(grid: SurfaceGrid, opts: { log: boolean; colormap: ColormapName; contourLevels: number; heightScale?: number }): MeshData {
  const { res, losses, domain } = grid;
  const base = mappingFor(domain, losses, opts.log);
  const m = { ...base, heightScale: base.heightScale * (opts.heightScale ?? 1) };
  const [x0, x1, y0, y1] = domain;
  const positions = new Float32Array(res * res * 3);
  const colors = new Float32Array(res * res * 3);
  const levels = new Float64Array(res * res);
  for (let j = 0; j < res; j++) {
    const y = y0 + ((y1 - y0) * j) / (res - 1);
    for (let i = 0; i < res; i++) {
      const k = j * res + i;
      const x = x0 + ((x1 - x0) * i) / (res - 1);
      const p = toWorld(m, x, y, losses[k]);
      positions.set(p, 3 * k);
      levels[k] = level(m, losses[k]);
      colors.set(colormap(opts.colormap, Math.min(1, levels[k])), 3 * k);
    }
  }
  const indices = new Uint32Array((res - 1) * (res - 1) * 6);
  let n = 0;
  for (let j = 0; j < res - 1; j++) {
    for (let i = 0; i < res - 1; i++) {
      const a = j * res + i;
      indices.set([a, a + 1, a + res, a + 1, a + res + 1, a + res], n);
      n += 6;
    }
  }
  return { positions, colors, indices, contours: contourSegments(positions, levels, res, opts.contourLevels), mapping: m };
}

/** Marching squares on the level field, at `count` evenly spaced levels in (0, 1). */
function contourSegments(positions: Float32Array, levels: Float64Array, res: number, count: number): Float32Array {
  const out: number[] = [];
  const lift = 0.004;
  const point = (a: number, b: number, t: number) => {
    out.push(
      positions[3 * a] + (positions[3 * b] - positions[3 * a]) * t,
      positions[3 * a + 1] + (positions[3 * b + 1] - positions[3 * a + 1]) * t + lift,
      positions[3 * a + 2] + (positions[3 * b + 2] - positions[3 * a + 2]) * t,
    );
  };
  for (let c = 1; c <= count; c++) {
    const iso = c / (count + 1);
    for (let j = 0; j < res - 1; j++) {
      for (let i = 0; i < res - 1; i++) {
        const corners = [j * res + i, j * res + i + 1, (j + 1) * res + i + 1, (j + 1) * res + i];
        const crossings: [number, number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const a = corners[e];
          const b = corners[(e + 1) % 4];
          const la = levels[a];
          const lb = levels[b];
          if (la < iso !== lb < iso && Number.isFinite(la) && Number.isFinite(lb)) crossings.push([a, b, (iso - la) / (lb - la)]);
        }
        for (let k = 0; k + 1 < crossings.length; k += 2) {
          point(...crossings[k]);
          point(...crossings[k + 1]);
        }
      }
    }
  }
  return new Float32Array(out);
}
