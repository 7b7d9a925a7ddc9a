// The Record folder of the control panel: video (size, fps, seconds or steps, steps per
// frame, format, layout, orbit; progress with time left, cancel) and PNG snapshots at any size. The
// file goes to a file chosen with the File System Access API where the browser has it
// (streamed, bounded memory), else it is downloaded.

import type GUI from 'lil-gui';
import type { Controller } from 'lil-gui';
import type { AnnotationInput } from '../display/annotations';
import type { Explorer } from './explorer';
import {
  DEFAULT_SECONDS,
  FORMAT_CODECS,
  parseResolution,
  RECORD_FORMATS,
  RECORD_FPS,
  RECORD_LAYOUTS,
  RESOLUTIONS,
  type RecordFormat,
  type RecordRequest,
} from '../model/record-options';
import type { PositionedWriter, RecordProgress, RecordViews } from './recorder';

/** The recorder (and mediabunny) load when first needed. */
const recorder = () => import('./recorder');

export interface RecordPanelActions {
  /** Saves a finished file (a download). */
  save(name: string, blob: Blob): void;
  annotations?: () => AnnotationInput;
  /** The views a layout such as 3d+sweep draws beside the 3-D view. */
  views?: RecordViews;
}

interface SavePicker {
  showSaveFilePicker?(opts: {
    suggestedName: string;
    types: { description: string; accept: Record<string, string[]> }[];
  }): Promise<{ createWritable(): Promise<PositionedWriter> }>;
}

/** Seconds as m:ss. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class RecordPanel {
  readonly folder: GUI;
  private readonly model = {
    size: '1280x720',
    preset: '1280x720',
    fps: 30,
    seconds: DEFAULT_SECONDS,
    steps: 0,
    stepsPerFrame: 1,
    format: 'mp4' as RecordFormat,
    layout: '3d',
    orbit: 0,
    record: () => void this.start(),
    pngSize: '1920x1080',
    png: () => void this.png(),
  };
  private formatCtrl: Controller;
  private recordCtrl: Controller;
  private readonly progress = document.createElement('div');
  private readonly bar = document.createElement('progress');
  private readonly text = document.createElement('span');
  private readonly error = document.createElement('div');
  private abort: AbortController | null = null;

  constructor(
    gui: GUI,
    private readonly explorer: Explorer,
    private readonly actions: RecordPanelActions,
  ) {
    const f = (this.folder = gui.addFolder('Record'));
    this.model.stepsPerFrame = Math.max(1, explorer.state.stepsPerFrame);
    const sizeCtrl = f
      .add(this.model, 'size')
      .name('size (W×H)')
      .onFinishChange(() => void this.probeFormats());
    f.add(this.model, 'preset', Object.keys(RESOLUTIONS))
      .name('common sizes')
      .onChange((v: string) => {
        this.model.size = v;
        sizeCtrl.updateDisplay();
        void this.probeFormats();
      });
    f.add(this.model, 'fps', [...RECORD_FPS])
      .name('fps')
      .onChange(() => void this.probeFormats());
    f.add(this.model, 'seconds', 0.1, 3600).name('seconds');
    f.add(this.model, 'steps', 0, 10_000_000, 1).name('or steps (0: seconds)');
    f.add(this.model, 'stepsPerFrame', 1, 10_000, 1).name('steps / frame');
    this.formatCtrl = f.add(this.model, 'format', formatOptions(null)).name('format');
    f.add(this.model, 'layout', [...RECORD_LAYOUTS]).name('layout');
    f.add(this.model, 'orbit', -360, 360, 1).name('orbit (degrees)');
    this.recordCtrl = f.add(this.model, 'record').name('● Record video');

    this.progress.className = 'record-progress';
    this.progress.hidden = true;
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    cancel.className = 'record-cancel';
    cancel.addEventListener('click', () => this.abort?.abort());
    this.progress.append(this.bar, this.text, cancel);
    this.error.className = 'error';
    this.error.dataset.error = 'record';
    this.error.hidden = true;
    f.$children.append(this.progress, this.error);

    f.add(this.model, 'pngSize').name('PNG size (W×H)');
    f.add(this.model, 'png').name('PNG snapshot');
    f.close();
    void this.probeFormats();
  }

  /** Marks the formats this browser cannot encode (at the chosen size). */
  private async probeFormats(): Promise<void> {
    let size: [number, number] = [1280, 720];
    try {
      size = parseResolution(this.model.size);
    } catch {
      // the default size's answer until the size is valid
    }
    const support = await (await recorder()).supportedFormats(size[0], size[1], Number(this.model.fps));
    // In place of the old dropdown (lil-gui's options() would move it to the end).
    const old = this.formatCtrl;
    this.formatCtrl = this.folder.add(this.model, 'format', formatOptions(new Map(support.map((s) => [s.format, s.available])))).name('format');
    old.domElement.before(this.formatCtrl.domElement);
    old.destroy();
  }

  private showError(message: string | null): void {
    this.error.textContent = message ?? '';
    this.error.hidden = !message;
  }

  private onProgress = (p: RecordProgress): void => {
    this.bar.max = p.frames;
    this.bar.value = p.frame;
    this.text.textContent = `frame ${p.frame} / ${p.frames}${p.secondsLeft === null ? '' : `, ${formatDuration(p.secondsLeft)} left`}`;
  };

  /** The recording the folder is set to (what start() hands the recorder); throws on a bad size. */
  request(): RecordRequest & { width: number; height: number; format: RecordFormat } {
    const m = this.model;
    const [width, height] = parseResolution(m.size);
    return {
      width,
      height,
      fps: Number(m.fps),
      stepsPerFrame: m.stepsPerFrame,
      format: m.format,
      layout: m.layout,
      orbit: m.orbit,
      ...(m.steps > 0 ? { steps: m.steps } : { seconds: m.seconds }),
    };
  }

  async start(): Promise<void> {
    if (this.abort) return;
    this.showError(null);
    let request: ReturnType<RecordPanel['request']>;
    try {
      request = this.request();
    } catch (e) {
      this.showError((e as Error).message);
      return;
    }
    const { width, height } = request;
    const { container, label, mime } = FORMAT_CODECS[request.format];
    const name = `etascape-${width}x${height}.${container}`;
    const abort = (this.abort = new AbortController());
    this.recordCtrl.disable();
    this.progress.hidden = false;
    this.bar.removeAttribute('value');
    this.text.textContent = 'starting…';
    try {
      const writer = await this.pickFile(name, label, mime, container);
      if (writer === 'cancelled') return;
      const blob = await (
        await recorder()
      ).record(this.explorer, {
        ...request,
        signal: abort.signal,
        onProgress: this.onProgress,
        writer: writer ?? undefined,
        annotations: this.actions.annotations,
        views: this.actions.views,
      });
      if (blob) this.actions.save(name, blob);
    } catch (e) {
      const err = e as Error;
      this.showError(err.name === 'AbortError' ? 'recording cancelled' : `recording failed: ${err.message}`);
    } finally {
      this.abort = null;
      this.recordCtrl.enable();
      this.progress.hidden = true;
    }
  }

  /** A file to stream into, where the browser can (null: keep it in memory and download it). */
  private async pickFile(name: string, label: string, mime: string, ext: string): Promise<PositionedWriter | null | 'cancelled'> {
    const picker = (window as SavePicker).showSaveFilePicker;
    if (typeof picker !== 'function') return null;
    try {
      const handle = await picker.call(window, { suggestedName: name, types: [{ description: label, accept: { [mime]: [`.${ext}`] } }] });
      return await handle.createWritable();
    } catch (e) {
      if ((e as Error).name === 'AbortError') return 'cancelled';
      return null; // not allowed here (no user gesture, an iframe): download instead
    }
  }

  async png(): Promise<void> {
    this.showError(null);
    try {
      const [width, height] = parseResolution(this.model.pngSize, false);
      const blob = await (
        await recorder()
      ).snapshot(this.explorer, {
        width,
        height,
        layout: this.model.layout,
        annotations: this.actions.annotations,
        views: this.actions.views,
      });
      this.actions.save(`etascape-${width}x${height}.png`, blob);
    } catch (e) {
      this.showError(`PNG snapshot failed: ${(e as Error).message}`);
    }
  }
}

function formatOptions(available: Map<RecordFormat, boolean> | null): Record<string, RecordFormat> {
  const out: Record<string, RecordFormat> = {};
  for (const f of RECORD_FORMATS) {
    const ok = available?.get(f) ?? true;
    out[`${FORMAT_CODECS[f].label}${ok ? '' : ' (not available here)'}`] = f;
  }
  return out;
}
