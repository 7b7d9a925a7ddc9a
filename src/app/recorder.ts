// Offline, deterministic recording: the explorer's frame loop is held and the run
// restarted from step 0; for frame k the steps up to k x stepsPerFrame run and are
// awaited, then a view chosen by the layout is brought up to that very state and drawn
// in its region, the 3-D view is rendered at its region's size (OffscreenView, turned
// by the orbit), composited with the overlay, and encoded (WebCodecs through mediabunny)
// with timestamp k / fps. The machine's speed changes only how long it takes, never
// what a frame shows.

import {
  canEncodeVideo,
  Mp4OutputFormat,
  Output,
  QUALITY_HIGH,
  StreamTarget,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
  type StreamTargetChunk,
} from 'mediabunny';
import type { Explorer } from './explorer';
import type { AnnotationInput } from '../display/annotations';
import { composeFrame, stateAnnotations } from './frame-overlay';
import {
  checkSize,
  FORMAT_CODECS,
  layoutRegions,
  orbitCamera,
  parseLayout,
  planRecording,
  RECORD_FORMATS,
  type RecordFormat,
  type RecordLayout,
  type RecordRequest,
} from '../model/record-options';
import type { ViewName } from '../model/views';

type Camera = { position: [number, number, number]; target: [number, number, number] };

/** What a layout with a view draws from (the page's ViewDriver). */
export interface RecordViews {
  /** The view brought up to date with the run as it is now, as its PNG export draws it (null: nothing yet). */
  picture(name: ViewName): Promise<HTMLCanvasElement | null>;
}

export interface RecordProgress {
  /** Frames encoded so far, of `frames`. */
  frame: number;
  frames: number;
  /** Estimated from the frames so far (null before the first). */
  secondsLeft: number | null;
}

/** Something that writes at positions, as FileSystemWritableFileStream does. */
export interface PositionedWriter {
  write(chunk: { type: 'write'; position: number; data: Uint8Array }): Promise<void>;
  close(): Promise<void>;
  abort?(reason?: unknown): Promise<void>;
}

export interface RecordOptions extends RecordRequest {
  signal?: AbortSignal;
  onProgress?(p: RecordProgress): void;
  /** Each composited frame before it is encoded (tests hash them). */
  onFrame?(k: number, frame: OffscreenCanvas): void;
  /** Streams the file there (a file from showSaveFilePicker); otherwise it is kept as a list of Blobs and returned. */
  writer?: PositionedWriter;
  /** What the frames show over the 3-D view (the page's scene annotations); default: from the state. */
  annotations?: () => AnnotationInput;
  /** Where a layout's view comes from (required by a layout with a view). */
  views?: RecordViews;
}

export interface FormatSupport {
  format: RecordFormat;
  label: string;
  available: boolean;
}

/** Which formats this browser can encode at this size and rate. */
export async function supportedFormats(width = 1280, height = 720, fps = 30): Promise<FormatSupport[]> {
  return Promise.all(
    RECORD_FORMATS.map(async (format) => {
      const { codec, label } = FORMAT_CODECS[format];
      const available = typeof VideoEncoder !== 'undefined' && (await canEncodeVideo(codec, { width, height, frameRate: fps }).catch(() => false));
      return { format, label, available };
    }),
  );
}

/**
 * Pieces of the file as Blobs (the browser may keep big Blobs on disk), so a long video
 * never needs one growing buffer. Writes may go back (a container patching a size).
 */
export class BlobChunks {
  private parts: { pos: number; blob: Blob }[] = [];
  private end = 0;

  write(position: number, data: Uint8Array): void {
    const blob = new Blob([data as Uint8Array<ArrayBuffer>]);
    const stop = position + data.byteLength;
    if (position >= this.end) {
      this.parts.push({ pos: position, blob });
      this.end = stop;
      return;
    }
    const kept: { pos: number; blob: Blob }[] = [];
    for (const p of this.parts) {
      const pEnd = p.pos + p.blob.size;
      if (pEnd <= position || p.pos >= stop) kept.push(p);
      else {
        if (p.pos < position) kept.push({ pos: p.pos, blob: p.blob.slice(0, position - p.pos) });
        if (pEnd > stop) kept.push({ pos: stop, blob: p.blob.slice(stop - p.pos) });
      }
    }
    kept.push({ pos: position, blob });
    kept.sort((a, b) => a.pos - b.pos);
    this.parts = kept;
    this.end = Math.max(this.end, stop);
  }

  toBlob(type: string): Blob {
    const pieces: BlobPart[] = [];
    let at = 0;
    for (const p of this.parts) {
      if (p.pos > at) pieces.push(new Uint8Array(p.pos - at));
      pieces.push(p.blob);
      at = p.pos + p.blob.size;
    }
    return new Blob(pieces, { type });
  }
}

/**
 * The explorer handed to a recorder: its frame loop held (with `restart` the run starts
 * again from step 0), frames made with step and renderTo, given back by end.
 */
export class OffscreenView {
  /** The canvas keeps the output size until end (resizing per frame reallocates). */
  private size = '';
  private screenPixelRatio: number | null = null;
  /** The camera at the start of an orbit (put back by end). */
  private base: Camera | null = null;

  private constructor(
    private readonly explorer: Explorer,
    private readonly release: () => void,
  ) {}

  static async begin(explorer: Explorer, restart: boolean): Promise<OffscreenView> {
    if (!explorer.graphics.device) throw new Error('recording needs the WebGPU engine (this page runs the CPU fallback)');
    if (!explorer.live && !explorer.networks) throw new Error('there is no run to record yet');
    const view = new OffscreenView(explorer, explorer.hold('a recording is running: wait for it to finish or cancel it'));
    try {
      if (restart) await explorer.restartHeld();
      if (explorer.state.camera) explorer.graphics.view.setCamera(explorer.state.camera);
      await explorer.settled();
    } catch (e) {
      view.end();
      throw e;
    }
    return view;
  }

  /** Runs exactly k more steps and waits until the GPU has done them. */
  async step(k: number): Promise<void> {
    this.explorer.stepHeld(k);
    await this.explorer.settled();
  }

  /**
   * Renders the 3-D view at width x height device pixels and draws it into `target` at
   * (0, 0), in one task (a WebGPU canvas's picture expires at the end of the task).
   */
  renderTo(target: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, height: number): void {
    const { renderer, view, canvas } = this.explorer.graphics;
    if (this.size !== `${width}x${height}`) {
      this.screenPixelRatio ??= renderer.getPixelRatio();
      renderer.setPixelRatio(1);
      view.resize(width, height);
      this.size = `${width}x${height}`;
    }
    this.explorer.frame.draw(false);
    target.drawImage(canvas, 0, 0, width, height);
  }

  /** Places the camera of frame k of an orbit of `orbit` degrees over `frames` frames. */
  turn(orbit: number, k: number, frames: number): void {
    const view = this.explorer.graphics.view;
    this.base ??= {
      position: view.camera.position.toArray() as Camera['position'],
      target: view.controls.target.toArray() as Camera['target'],
    };
    view.setCamera(orbitCamera(this.base, orbit, k, frames));
  }

  /** Gives the explorer back at its on-screen size (and camera). */
  end(): void {
    if (this.base) this.explorer.graphics.view.setCamera(this.base);
    this.base = null;
    if (this.screenPixelRatio !== null) this.explorer.graphics.renderer.setPixelRatio(this.screenPixelRatio);
    this.screenPixelRatio = null;
    this.size = '';
    this.release();
    this.explorer.resize();
  }
}

function abortError(): DOMException {
  return new DOMException('the recording was cancelled', 'AbortError');
}

/** Records the explorer's current state from step 0. Returns the file (null when streamed to `writer`). */
export async function record(explorer: Explorer, options: RecordOptions = {}): Promise<Blob | null> {
  const plan = planRecording(options, explorer.state.stepsPerFrame);
  const { codec, container, label, mime } = FORMAT_CODECS[plan.format];
  if (typeof VideoEncoder === 'undefined') throw new Error('this browser has no WebCodecs VideoEncoder: it cannot record video');
  if (!(await canEncodeVideo(codec, { width: plan.width, height: plan.height, frameRate: plan.fps }))) {
    const others = (await supportedFormats(plan.width, plan.height, plan.fps)).filter((f) => f.available).map((f) => f.format);
    throw new Error(`this browser cannot encode ${label} at ${plan.width}x${plan.height}; available here: ${others.join(', ') || 'none'}`);
  }
  const chunks = options.writer ? null : new BlobChunks();
  const writer = options.writer;
  const sink = new WritableStream<StreamTargetChunk>({
    write: (c) => (writer ? writer.write({ type: 'write', position: c.position, data: c.data }) : chunks!.write(c.position, c.data)),
  });
  const output = new Output({
    format: container === 'mp4' ? new Mp4OutputFormat() : new WebMOutputFormat(),
    target: new StreamTarget(sink, { chunked: true, chunkSize: 4 << 20 }),
  });
  // mediabunny configures the VideoEncoder; awaiting add() waits while its queue is full.
  const source = new VideoSampleSource({ codec, quality: QUALITY_HIGH, keyFrameInterval: 2, latencyMode: 'quality' });
  output.addVideoTrack(source, { frameRate: plan.fps });

  const canvas = new OffscreenCanvas(plan.width, plan.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: !!options.onFrame })!;
  const annotate = options.annotations ?? (() => stateAnnotations(explorer));
  const signal = options.signal;
  const layout = plan.layout;
  await openView(explorer, layout, options.views, options.layout);
  let offscreen: OffscreenView | null = null;
  try {
    signal?.throwIfAborted();
    await output.start();
    const { scene } = layoutRegions(plan.width, plan.height, layout);
    offscreen = await OffscreenView.begin(explorer, true);
    // A first picture at the output size, discarded: three uploads textures on first use.
    if (scene) offscreen.renderTo(ctx, scene.width, scene.height);
    const t0 = performance.now();
    for (let k = 0; k < plan.frames; k++) {
      if (signal?.aborted) throw abortError();
      if (k > 0) await offscreen.step(plan.stepsPerFrame);
      const picture = layout.view ? await options.views!.picture(layout.view) : null;
      if (layout.scene && plan.orbit !== 0) offscreen.turn(plan.orbit, k, plan.frames);
      composeFrame(ctx, plan.width, plan.height, layout, {
        picture,
        scene: (w, h) => offscreen!.renderTo(ctx, w, h),
        annotations: annotate(),
        step: k * plan.stepsPerFrame,
      });
      options.onFrame?.(k, canvas);
      const frame = new VideoFrame(canvas, { timestamp: Math.round((k * 1e6) / plan.fps), duration: Math.round(1e6 / plan.fps) });
      const sample = new VideoSample(frame);
      try {
        await source.add(sample);
      } finally {
        sample.close();
      }
      const elapsed = (performance.now() - t0) / 1000;
      options.onProgress?.({ frame: k + 1, frames: plan.frames, secondsLeft: (elapsed / (k + 1)) * (plan.frames - k - 1) });
    }
    if (signal?.aborted) throw abortError();
    await output.finalize();
    if (writer) await writer.close();
  } catch (e) {
    await output.cancel().catch(() => {});
    await writer?.abort?.(e).catch(() => {});
    throw e;
  } finally {
    offscreen?.end();
  }
  return chunks ? chunks.toBlob(mime) : null;
}

/** Opens the view a layout draws (beside the 3-D view on the page too), before the loop is held. */
async function openView(explorer: Explorer, layout: RecordLayout, views: RecordViews | undefined, text: string | undefined): Promise<void> {
  const name = layout.view;
  if (!name) return;
  if (!views) throw new Error(`the layout ${text} needs the page's views`);
  if (!explorer.state.views.includes(name)) {
    const error = await explorer.apply({ views: [...explorer.state.views, name] });
    if (error) throw new Error(error);
  }
}

export interface SnapshotOptions {
  width?: number;
  height?: number;
  /** `3d` (default), `3d+<view>` or `<view>`, as for a recording. */
  layout?: string;
  /** Leave out the annotations (title, formula, step counter, legend). */
  bare?: boolean;
  annotations?: () => AnnotationInput;
  /** Where a layout's view comes from (required by a layout with a view). */
  views?: RecordViews;
}

/** A PNG of the current state (not restarted) at any size and layout, with the annotations, composed as a recording's frame. */
export async function snapshot(explorer: Explorer, options: SnapshotOptions = {}): Promise<Blob> {
  const [width, height] = checkSize(options.width ?? 1920, options.height ?? 1080, false);
  const layout = parseLayout(options.layout ?? '3d');
  await openView(explorer, layout, options.views, options.layout);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const offscreen = await OffscreenView.begin(explorer, false);
  try {
    const { scene } = layoutRegions(width, height, layout);
    if (scene) offscreen.renderTo(ctx, scene.width, scene.height); // first use at this size: see record()
    const picture = layout.view ? await options.views!.picture(layout.view) : null;
    composeFrame(ctx, width, height, layout, {
      picture,
      scene: (w, h) => offscreen.renderTo(ctx, w, h),
      annotations: options.bare ? null : (options.annotations ?? (() => stateAnnotations(explorer)))(),
      step: explorer.steps,
    });
  } finally {
    offscreen.end();
  }
  return canvas.convertToBlob({ type: 'image/png' });
}
