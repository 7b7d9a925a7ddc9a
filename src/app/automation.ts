// The page's automation interface, `window.etascape`: what tests, the benchmark and the
// `etascape record` command drive the page with. main.ts fills it; everything here is types.

import type { AnnotationInput } from '../display/annotations';
import type { Scene } from '../model/scenes';
import type { Loaded } from '../model/share';
import type { ExplorerState } from '../model/state';
import type { LrPreview } from '../views/lr-preview';
import type { Explorer } from './explorer';
import type { ControlPanel } from './gui';
import type { Lecture } from './lecture';
import type { RecordPanel } from './record-panel';
import type { FormatSupport, RecordOptions, SnapshotOptions } from './recorder';
import type { VideoFacts } from './video-check';
import type { ViewDriver } from './view-driver';

export interface EtascapeApi {
  /** Set once the page has started (the explorer runs). */
  ready: true;
  explorer: Explorer;
  panel: ControlPanel;
  preview: LrPreview;
  views: ViewDriver;
  lecture: Lecture;
  /** The default state (a test's fresh start). */
  defaults: ExplorerState;

  // Recording: record() resolves to the video file (null when streamed to a writer), snapshot() to a PNG.
  recordPanel: RecordPanel;
  record(options?: RecordOptions): Promise<Blob | null>;
  snapshot(options?: SnapshotOptions): Promise<Blob>;
  formats(width?: number, height?: number, fps?: number): Promise<FormatSupport[]>;
  video: {
    inspect(blob: Blob): Promise<VideoFacts>;
    compare(a: Blob, b: Blob): Promise<{ frames: number; maxDiff: number; meanDiff: number }>;
    /** The decoded pixels of frame k. */
    frame(blob: Blob, k: number): Promise<ImageData>;
    hashPixels(bytes: Uint8ClampedArray): string;
  };

  // Lectures: scenes, validated state changes, exact steps, the annotations shown.
  scenes: readonly Scene[];
  loadScene(id: string | number): Promise<string | null>;
  setState(change: unknown): Promise<string | null>;
  step(k: number): Promise<number>;
  annotations(): AnnotationInput;
  /** Turns presentation mode on or off (toggles without an argument); returns whether it is on. */
  presentation(on?: boolean): boolean;

  /** Links and state files. */
  share: {
    encodeHash(state: ExplorerState): string;
    decodeHash(hash: string): Loaded;
    exportJson(state: ExplorerState): string;
    importJson(text: string): Loaded;
    /** Loads a state; on a problem, shows and returns it and keeps the current state. */
    load(r: Loaded, source: string): Promise<string | null>;
  };
}

declare global {
  interface Window {
    etascape?: EtascapeApi;
  }
}
