// Pixel statistics read from PNG screenshots.
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';

export interface Picture {
  width: number;
  height: number;
  data: Uint8Array;
}

export async function capture(page: Page, clip?: { x: number; y: number; width: number; height: number }): Promise<Picture> {
  const png = PNG.sync.read(await page.screenshot({ clip }));
  return { width: png.width, height: png.height, data: png.data };
}

export function distinctColors(p: Picture): number {
  const colors = new Set<number>();
  for (let i = 0; i < p.data.length; i += 4) colors.add((p.data[i] << 16) | (p.data[i + 1] << 8) | p.data[i + 2]);
  return colors.size;
}

/** Share of the most common colour: near 1 for a blank or single-colour picture. */
export function dominantShare(p: Picture): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < p.data.length; i += 4) {
    const c = (p.data[i] << 16) | (p.data[i + 1] << 8) | p.data[i + 2];
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return Math.max(...counts.values()) / (p.data.length / 4);
}

/** Fraction of pixels whose colour differs by more than `threshold` (sum of channel differences). */
export function changedFraction(a: Picture, b: Picture, threshold = 24): number {
  let changed = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const d = Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
    if (d > threshold) changed++;
  }
  return changed / (a.data.length / 4);
}
