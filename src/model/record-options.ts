// What a recording is: size, frame rate, length, steps per frame, format, layout (the 3-D
// view, a view beside it, or the view alone) and camera orbit. Pure (the page and the CLI
// both check options with it, so a bad value fails before any browser starts).

import { VIEW_NAMES, type ViewName } from './views';

export const RECORD_FORMATS = ['mp4', 'webm', 'mp4-av1', 'webm-av1'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];
/** The usual rates (the panel offers these); any whole rate up to MAX_FPS is accepted. */
export const RECORD_FPS = [24, 30, 60] as const;
const MAX_FPS = 120;
export const RESOLUTIONS = { '1280x720': [1280, 720], '1920x1080': [1920, 1080], '3840x2160': [3840, 2160] } as const;
/** Largest side (8K); WebCodecs encoders refuse more. */
const MAX_SIDE = 7680;
/** One hour at 60 fps. */
const MAX_FRAMES = 216_000;
/** A recording's default length: the default scene tells its story in it. */
export const DEFAULT_SECONDS = 10;

/** What a frame shows: the 3-D view (`3d`), the 3-D view and one view side by side (`3d+sweep`), or the view alone (`sweep`). */
export interface RecordLayout {
  scene: boolean;
  view: ViewName | null;
}
export const RECORD_LAYOUTS: readonly string[] = ['3d', ...VIEW_NAMES.map((v) => `3d+${v}`), ...VIEW_NAMES];

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Container and codec of each format (mediabunny's names). */
export const FORMAT_CODECS: Record<RecordFormat, { container: 'mp4' | 'webm'; codec: 'avc' | 'vp9' | 'av1'; label: string; mime: string }> = {
  mp4: { container: 'mp4', codec: 'avc', label: 'H.264 MP4', mime: 'video/mp4' },
  webm: { container: 'webm', codec: 'vp9', label: 'VP9 WebM', mime: 'video/webm' },
  'mp4-av1': { container: 'mp4', codec: 'av1', label: 'AV1 MP4', mime: 'video/mp4' },
  'webm-av1': { container: 'webm', codec: 'av1', label: 'AV1 WebM', mime: 'video/webm' },
};

export interface RecordRequest {
  width?: number;
  height?: number;
  fps?: number;
  /** Length in seconds (default DEFAULT_SECONDS, 10), or else `steps`. */
  seconds?: number;
  /** Length in steps: frames 0..floor(steps / stepsPerFrame), the last showing step `steps` when it divides. */
  steps?: number;
  /** Default: the explorer's steps per frame. */
  stepsPerFrame?: number;
  format?: string;
  /** `3d` (default), `3d+<view>` or `<view>` (RECORD_LAYOUTS). */
  layout?: string;
  /** Degrees the camera turns around the surface (about the vertical) over the video; 0: still. */
  orbit?: number;
}

export interface RecordPlan {
  width: number;
  height: number;
  fps: number;
  frames: number;
  stepsPerFrame: number;
  format: RecordFormat;
  layout: RecordLayout;
  orbit: number;
}

export class RecordOptionError extends Error {
  override name = 'RecordOptionError';
}

const bad = (msg: string): never => {
  throw new RecordOptionError(msg);
};

/** Checks a size within 16..7680: even for video (the encoders subsample chroma by 2). */
export function checkSize(width: unknown, height: unknown, even = true): [number, number] {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 16 || v > MAX_SIDE || (even && v % 2 !== 0)) {
      bad(`${name} must be ${even ? 'an even' : 'a'} whole number of pixels from 16 to ${MAX_SIDE}, got ${JSON.stringify(v)}`);
    }
  }
  return [width as number, height as number];
}

/** Parses "1280x720". */
export function parseResolution(text: string, even = true): [number, number] {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text);
  if (!m) bad(`resolution must be WIDTHxHEIGHT such as 1920x1080, got ${JSON.stringify(text)}`);
  return checkSize(Number(m![1]), Number(m![2]), even);
}

export function planRecording(req: RecordRequest, defaultStepsPerFrame: number): RecordPlan {
  const [width, height] = checkSize(req.width ?? 1280, req.height ?? 720);
  const fps = req.fps ?? 30;
  if (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > MAX_FPS)
    bad(`fps must be a whole number from 1 to ${MAX_FPS} (usually ${RECORD_FPS.join(', ')}), got ${JSON.stringify(fps)}`);
  const format = (req.format ?? 'mp4') as RecordFormat;
  if (!RECORD_FORMATS.includes(format)) bad(`format must be one of ${RECORD_FORMATS.join(', ')}, got ${JSON.stringify(req.format)}`);
  const stepsPerFrame = req.stepsPerFrame ?? Math.max(1, defaultStepsPerFrame);
  if (!Number.isInteger(stepsPerFrame) || stepsPerFrame < 1 || stepsPerFrame > 1_000_000) {
    bad(`stepsPerFrame must be a whole number from 1 to 1000000, got ${JSON.stringify(req.stepsPerFrame)}`);
  }
  if (req.seconds !== undefined && req.steps !== undefined) bad('give seconds or steps, not both');
  let frames: number;
  if (req.steps !== undefined) {
    if (!Number.isInteger(req.steps) || req.steps < 0) bad(`steps must be a whole number >= 0, got ${JSON.stringify(req.steps)}`);
    frames = Math.floor(req.steps / stepsPerFrame) + 1;
  } else {
    const seconds = req.seconds ?? DEFAULT_SECONDS;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) bad(`seconds must be a number > 0, got ${JSON.stringify(req.seconds)}`);
    frames = Math.round(seconds * fps);
    if (frames < 1) bad(`seconds must give at least one frame at ${fps} fps, got ${seconds}`);
  }
  if (frames > MAX_FRAMES) bad(`a recording has at most ${MAX_FRAMES} frames (one hour at 60 fps), this one would have ${frames}`);
  const layout = parseLayout(req.layout ?? '3d');
  const orbit = req.orbit ?? 0;
  if (typeof orbit !== 'number' || !Number.isFinite(orbit) || Math.abs(orbit) > 3600)
    bad(`orbit must be a number of degrees from -3600 to 3600, got ${JSON.stringify(req.orbit)}`);
  if (orbit !== 0 && !layout.scene) bad(`orbit turns the 3-D view, which the layout ${JSON.stringify(req.layout)} does not show`);
  return { width, height, fps, frames, stepsPerFrame, format, layout, orbit };
}

export function parseLayout(text: string): RecordLayout {
  if (!RECORD_LAYOUTS.includes(text)) bad(`layout must be one of ${RECORD_LAYOUTS.join(', ')}, got ${JSON.stringify(text)}`);
  if (text === '3d') return { scene: true, view: null };
  const view = text.replace(/^3d\+/, '') as ViewName;
  return { scene: text.startsWith('3d+'), view };
}

/**
 * Where each part of a frame goes: side by side, the 3-D view on the left (58%, an even
 * width so it records alone at the same size), the view on the right; one part fills the frame.
 */
export function layoutRegions(width: number, height: number, layout: RecordLayout): { scene: Region | null; view: Region | null } {
  if (!layout.view) return { scene: { x: 0, y: 0, width, height }, view: null };
  if (!layout.scene) return { scene: null, view: { x: 0, y: 0, width, height } };
  const left = 2 * Math.round(width * 0.29);
  return { scene: { x: 0, y: 0, width: left, height }, view: { x: left, y: 0, width: width - left, height } };
}

/**
 * The view's region when it is alone in the frame: between the annotations' title block
 * at the top and the legend at the bottom (boxes as drawAnnotations reports them), so
 * neither covers it.
 */
export function viewAloneRegion(width: number, height: number, title: { top: number; height: number }, legend: { top: number } | null, margin = 8): Region {
  const y = Math.min(height - 1, Math.ceil(title.top + title.height + margin));
  const bottom = legend ? Math.floor(legend.top - margin) : height;
  return { x: 0, y, width, height: Math.max(1, bottom - y) };
}

/** A picture of w x h fitted into `r` (aspect kept, centred, whole pixels). */
export function fitRect(r: Region, w: number, h: number): Region {
  const k = Math.min(r.width / w, r.height / h);
  const width = Math.round(w * k);
  const height = Math.round(h * k);
  return { x: r.x + Math.floor((r.width - width) / 2), y: r.y + Math.floor((r.height - height) / 2), width, height };
}

/** The camera of frame k of `frames`: turned by orbit x k / (frames - 1) degrees around the target's vertical (three's y axis). */
export function orbitCamera<C extends { position: [number, number, number]; target: [number, number, number] }>(
  camera: C,
  orbit: number,
  k: number,
  frames: number,
): C {
  const a = (orbit * (frames > 1 ? k / (frames - 1) : 0) * Math.PI) / 180;
  const [px, py, pz] = camera.position;
  const [tx, , tz] = camera.target;
  const dx = px - tx;
  const dz = pz - tz;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return { ...camera, position: [tx + c * dx + s * dz, py, tz - s * dx + c * dz] };
}
