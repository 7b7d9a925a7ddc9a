// The bifurcation diagram: the last K iterates of every particle of an lr sweep as a
// density image (lr bins across, value buckets up), on the map figure's axes.

import { packRgba } from '../core/analysis/map';
import { colormap } from '../display/colormaps';
import type { MapAxis, LegendItem } from '../display/map-figure';

export interface DensityInput {
  bins: number;
  buckets: number;
  /** Counts row-major by bin (bins x buckets), as the reductions return them. */
  density: Uint32Array;
}

/** Shade of a cell: white when empty, else magma (dark = many) by log count. */
export function densityImage(d: DensityInput): { nx: number; ny: number; rgba: Uint32Array } {
  let max = 0;
  for (const c of d.density) max = Math.max(max, c);
  const rgba = new Uint32Array(d.bins * d.buckets).fill(packRgba(255, 255, 255));
  const scale = Math.log1p(max) || 1;
  for (let b = 0; b < d.bins; b++) {
    for (let k = 0; k < d.buckets; k++) {
      const c = d.density[b * d.buckets + k];
      if (c === 0) continue;
      const t = 0.85 - 0.75 * (Math.log1p(c) / scale);
      const [r, g, bl] = colormap('magma', t);
      rgba[k * d.bins + b] = packRgba(Math.round(r * 255), Math.round(g * 255), Math.round(bl * 255));
    }
  }
  return { nx: d.bins, ny: d.buckets, rgba };
}

export function densityLegend(): LegendItem[] {
  const colors = Uint32Array.from({ length: 32 }, (_, k) => {
    const [r, g, b] = colormap('magma', 0.85 - (0.75 * k) / 31);
    return packRgba(Math.round(r * 255), Math.round(g * 255), Math.round(b * 255));
  });
  return [
    {
      kind: 'bar',
      label: 'iterates per cell (log)',
      colors,
      ticks: [
        { at: 0, label: '1' },
        { at: 1, label: 'most' },
      ],
    },
  ];
}

/** The value axis of a histogram over [lo, hi] with `buckets` cells (bucket centres). */
export function valueAxis(param: string, lo: number, hi: number, buckets: number): MapAxis {
  const w = (hi - lo) / buckets;
  return { param, min: lo + w / 2, max: hi - w / 2, n: buckets, scale: 'linear' };
}
