// The frames of a zoom video (record-zoom, zoom.ts): the windows, frame k's map made by
// the map command itself (its PNG, read back), the frame drawn around it (figure and
// caption band), and the video encoded from the frames' PNG bytes (zoom-video.ts).

import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fractalColor } from '../core/nn/outcome';
import { drawMapFigure, mapFigureGeometry, type Context2D, type LegendItem, type MapAxis, type ScratchCanvas } from '../display/map-figure';
import { flagKey } from './args';
import { figureFont, mapCommand } from './map';
import { mapModelCommand } from './model';
import { VideoWriter } from './zoom-video';

/** The band under the figure with the frame's window and zoom factor. */
export const CAPTION = 28;

// ---------------------------------------------------------------- windows

export interface ZoomAxis {
  param: string;
  min: number;
  max: number;
  scale: 'log' | 'linear';
}

/** A frame's window on each axis (axis units) and its zoom factor (first width / this width). */
export interface ZoomFrame {
  x: [number, number];
  y: [number, number];
  zoom: number;
}

const toU = (a: ZoomAxis, v: number) => (a.scale === 'log' ? Math.log10(v) : v);
const fromU = (a: ZoomAxis, u: number) => (a.scale === 'log' ? 10 ** u : u);

/** The N frames' windows: each axis shrunk about the point by depth^(k/(N-1)); frame 0 is the axes' own window. */
export function zoomWindows(x: ZoomAxis, y: ZoomAxis, to: [number, number], depth: number, frames: number): ZoomFrame[] {
  const shrink = (a: ZoomAxis, t: number, f: number): [number, number] => {
    if (f === 1) return [a.min, a.max];
    const ut = toU(a, t);
    return [fromU(a, ut + (toU(a, a.min) - ut) * f), fromU(a, ut + (toU(a, a.max) - ut) * f)];
  };
  return Array.from({ length: frames }, (_, k) => {
    const f = k === 0 ? 1 : depth ** (k / (frames - 1));
    return { x: shrink(x, to[0], f), y: shrink(y, to[1], f), zoom: 1 / f };
  });
}

/** The narrower axis' window width relative to its values. */
export function relativeWidth(w: ZoomFrame): number {
  const rel = ([lo, hi]: [number, number]) => (hi - lo) / Math.max(Math.abs(lo), Math.abs(hi));
  return Math.min(rel(w.x), rel(w.y));
}

const axisText = (a: ZoomAxis, [lo, hi]: [number, number]) => `${a.param}:${lo}:${hi}:${a.scale === 'log' ? 'log' : 'lin'}`;

// ---------------------------------------------------------------- frames

type Canvas = import('@napi-rs/canvas').Canvas;

/** The fractal colouring's ramps (fractalColor, as fractalImage paints them), for the legend. */
function fractalLegend(): LegendItem[] {
  const ramp = (converged: boolean) =>
    Uint32Array.from({ length: 16 }, (_, i) => {
      // Truncated to bytes as fractalImage's Uint8Array stores them.
      const [r, g, b] = fractalColor(converged, i / 15).map(Math.trunc);
      return (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;
    });
  const ticks = [
    { at: 0, label: 'lowest' },
    { at: 1, label: 'highest measure' },
  ];
  return [
    { kind: 'bar', label: 'converged, by rank', colors: ramp(true), ticks },
    { kind: 'bar', label: 'diverged, by rank', colors: ramp(false), ticks },
  ];
}

/** Significant digits that tell a window's ends apart. */
function windowText(a: ZoomAxis, [lo, hi]: [number, number]): string {
  const c = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  const digits = Math.min(17, Math.max(3, Math.ceil(Math.log10(Math.abs(c) / half || 1)) + 3));
  return `${a.param} ${c.toPrecision(digits)} ± ${half.toPrecision(2)}`;
}

export interface FrameJob {
  network: boolean;
  mapArgv: string[];
  x: ZoomAxis;
  y: ZoomAxis;
  windows: ZoomFrame[];
  precisions: ('f32' | 'df64')[];
  size: [number, number];
  dir: string;
}

/** Runs `map` for frame k into a PNG and returns it. */
export async function framePng(job: FrameJob, k: number, args: { res?: string; steps?: string; engine?: string } = {}): Promise<Buffer> {
  const w = job.windows[k];
  const png = join(job.dir, `map-${k}.png`);
  const base = withoutFlags(job.mapArgv, Object.keys(args));
  const extra = Object.entries(args).flatMap(([f, v]) => [`--${f}`, v!]);
  const argv = [...base, ...extra, '--x', axisText(job.x, w.x), '--y', axisText(job.y, w.y), '--out', png];
  argv.push('--precision', job.precisions[k]);
  if (!job.network) argv.push('--size', `${job.size[0]},${job.size[1] - CAPTION}`);
  const errors: string[] = [];
  const code = await (job.network ? mapModelCommand : mapCommand)(
    argv,
    () => {},
    (s) => errors.push(s),
  );
  if (code !== 0) throw new Error(errors[0] ?? `map exited ${code}`);
  return readFileSync(png);
}

function withoutFlags(argv: string[], keys: string[]): string[] {
  if (!keys.length) return argv;
  const drop = new Set(keys.map(flagKey));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const eq = tok.indexOf('=');
    const key = tok.startsWith('--') ? flagKey(eq >= 0 ? tok.slice(2, eq) : tok.slice(2)) : '';
    if (drop.has(key)) {
      if (eq < 0) i++;
      continue;
    }
    out.push(tok);
  }
  return out;
}

/** Frame k: the map's figure and the caption band, as a PNG (lossless: tiles and merge carry these bytes). */
export async function composeFrame(job: FrameJob, k: number, mapPng: Buffer): Promise<Canvas> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const font = await figureFont();
  const [W, H] = job.size;
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const img = await loadImage(mapPng);
  const w = job.windows[k];
  if (!job.network) ctx.drawImage(img, 0, 0);
  else {
    // map --model's PNG: one pixel per network, the y axis' minimum at the bottom.
    const res = img.width;
    const pix = createCanvas(res, res);
    const pctx = pix.getContext('2d');
    pctx.drawImage(img, 0, 0);
    const top = new Uint32Array(pctx.getImageData(0, 0, res, res).data.buffer.slice(0));
    const rgba = new Uint32Array(res * res);
    for (let r = 0; r < res; r++) rgba.set(top.subarray((res - 1 - r) * res, (res - r) * res), r * res);
    const axis = (a: ZoomAxis, win: [number, number]): MapAxis => ({ param: a.param, min: win[0], max: win[1], n: res, scale: a.scale });
    const g = mapFigureGeometry(W, H - CAPTION, axis(job.x, w.x), axis(job.y, w.y));
    // A whole number of screen pixels per network, so each shows as an exact block.
    const side = Math.min(g.image.width, g.image.height);
    const px = side >= res ? Math.floor(side / res) * res : side;
    g.image = { ...g.image, width: px, height: px };
    g.legend = { ...g.legend, left: g.image.left + px + 24 };
    drawMapFigure(ctx as unknown as Context2D, g, {
      image: { nx: res, ny: res, rgba },
      title: `network map, ${job.precisions[k]}`,
      legend: fractalLegend(),
      font,
      makeCanvas: (cw, ch) => createCanvas(cw, ch) as unknown as ScratchCanvas,
    });
  }
  ctx.fillStyle = '#f2f2f2';
  ctx.fillRect(0, H - CAPTION, W, CAPTION);
  ctx.fillStyle = '#222';
  ctx.font = `12px ${font}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const zoom = w.zoom < 1e4 ? w.zoom.toPrecision(3) : w.zoom.toExponential(2);
  ctx.fillText(
    `frame ${k + 1}/${job.windows.length}   zoom ×${zoom}   ${windowText(job.x, w.x)}   ${windowText(job.y, w.y)}   ${job.precisions[k]}`,
    8,
    H - CAPTION / 2,
  );
  return canvas;
}

/** A frame's RGBA bytes from its PNG (what the encoder gets, the same from a run and from tiles). */
async function pngPixels(png: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const img = await loadImage(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, rgba: new Uint8Array(ctx.getImageData(0, 0, img.width, img.height).data.buffer) };
}

/** Encodes frames (PNG bytes, in order) into the video at `out`; returns the line to print. */
export async function writeZoomVideo(pngs: AsyncIterable<Uint8Array>, fps: number, out: string): Promise<string> {
  let writer: VideoWriter | null = null;
  let size = '';
  let count = 0;
  const container = extname(out).toLowerCase() === '.mp4' ? 'mp4' : 'webm';
  try {
    for await (const png of pngs) {
      const { width, height, rgba } = await pngPixels(png);
      writer ??= await VideoWriter.open({ width, height, fps, container });
      size = `${width}x${height}`;
      await writer.add(rgba);
      count++;
    }
    if (!writer) throw new Error('no frames to encode');
    const bytes = await writer.finish(out);
    writer = null;
    return `wrote ${out}: ${count} frames, ${size} at ${fps} fps (${(count / fps).toFixed(2)} s), ${container === 'mp4' ? 'H.264 MP4' : 'VP9 WebM'}, ${bytes} bytes`;
  } finally {
    await writer?.abandon();
  }
}
