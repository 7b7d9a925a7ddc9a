// What a recording is: size, frame rate, length, steps per frame, format. Pure (the page
// and the CLI both check options with it, so a bad value fails before any browser starts).

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
  /** Length in seconds (default 5), or else `steps`. */
  seconds?: number;
  /** Length in steps: frames 0..floor(steps / stepsPerFrame), the last showing step `steps` when it divides. */
  steps?: number;
  /** Default: the explorer's steps per frame. */
  stepsPerFrame?: number;
  format?: string;
}

export interface RecordPlan {
  width: number;
  height: number;
  fps: number;
  frames: number;
  stepsPerFrame: number;
  format: RecordFormat;
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
    const seconds = req.seconds ?? 5;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) bad(`seconds must be a number > 0, got ${JSON.stringify(req.seconds)}`);
    frames = Math.round(seconds * fps);
    if (frames < 1) bad(`seconds must give at least one frame at ${fps} fps, got ${seconds}`);
  }
  if (frames > MAX_FRAMES) bad(`a recording has at most ${MAX_FRAMES} frames (one hour at 60 fps), this one would have ${frames}`);
  return { width, height, fps, frames, stepsPerFrame, format };
}
