// Lectures in the page: loading scenes, the annotation overlay (title, formula, step,
// legend), presentation mode, and the automation calls window.etascape offers for them.

import { annotationScale, drawAnnotations, type AnnotationInput, type AnnotationLayout } from '../display/annotations';
import { formatNumber } from '../display/ticks';
import type { Explorer } from './explorer';
import { ALL_SCENES, findScene, sceneState, type Scene } from '../model/scenes';
import { parseState, type ExplorerState } from '../model/state';
import { networkTitle } from '../model/network';

/** How much larger the annotations are in presentation mode. */
const PRESENTATION_SCALE = 1.75;
/** The largest share of the stage's height the title band takes in presentation mode. */
const MAX_BAND = 0.3;

export class Lecture {
  /** The scene loaded last (null once the surface changes to something else). */
  scene: Scene | null = null;
  presenting = false;
  /** Where the overlay's parts were last drawn (CSS pixels); tests read it. */
  layout: AnnotationLayout | null = null;
  private drawn = '';
  private listeners: (() => void)[] = [];

  constructor(
    private readonly explorer: Explorer,
    private readonly overlay: HTMLCanvasElement,
  ) {
    // The page may open on a scene's exact state (the default is scene 7).
    const now = JSON.stringify({ ...explorer.state, camera: null });
    this.scene = ALL_SCENES.find((s) => (s.state.model ?? '') === explorer.state.model && JSON.stringify(sceneState(s.id)) === now) ?? null;
  }

  /** Called when the scene or presentation mode changes (the panel shows them). */
  onChange(f: () => void): void {
    this.listeners.push(f);
  }

  /** Loads a scene by id or number, from step 0. Returns an error message or null. */
  async loadScene(id: string | number): Promise<string | null> {
    let scene: Scene;
    try {
      scene = findScene(id);
    } catch (e) {
      return (e as Error).message;
    }
    // The run installed (surface particles or networks): a rebuilt one is already at step 0.
    const before = this.explorer.runs.run;
    const error = await this.explorer.apply(sceneState(scene.id));
    if (error) return error;
    // Same particles as before: start them again, so a scene always opens at step 0.
    if (this.explorer.runs.run === before) await this.explorer.reset();
    this.scene = scene;
    this.notify();
    return null;
  }

  /** Validates a partial state over the current one and applies it. Returns an error message or null. */
  async setState(change: unknown): Promise<string | null> {
    if (typeof change !== 'object' || change === null || Array.isArray(change)) return 'setState takes an object of state fields';
    const r = parseState({ ...this.explorer.state, ...change });
    if ('error' in r) return r.error;
    return this.explorer.apply(r.state);
  }

  /**
   * Runs exactly k steps (pausing the frame loop's own steps meanwhile) and resolves
   * with the step count once they are done (on the GPU: submitted work finished).
   */
  async step(k: number): Promise<number> {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`step(k) takes a whole number k >= 0, got ${k}`);
    const wasPlaying = this.explorer.playing;
    this.explorer.pause();
    const run = this.explorer.runs.run;
    const target = this.explorer.steps + k;
    this.explorer.stepOnce(k);
    try {
      while (this.explorer.steps < target) {
        await new Promise((r) => requestAnimationFrame(r));
        // A rebuild (new state, reset) starts again from 0: these k steps will never be counted.
        if (this.explorer.runs.run !== run) throw new Error('the run was rebuilt while stepping (state changed or reset)');
      }
      const live = this.explorer.live;
      if (live?.device) await live.device.device.queue.onSubmittedWorkDone();
      else if (this.explorer.networks) await this.explorer.settled();
      else await live?.run.read();
    } finally {
      if (wasPlaying) this.explorer.play();
    }
    return target;
  }

  setPresentation(on: boolean): void {
    if (on === this.presenting) return;
    this.presenting = on;
    document.body.classList.toggle('presentation', on);
    // Focus left on the hidden panel's button would keep the keys from the page
    // (lil-gui keeps key events to itself).
    if (on && document.activeElement instanceof HTMLElement) document.activeElement.blur();
    this.drawn = '';
    this.explorer.resize();
    this.notify();
    this.update();
  }

  /** What the annotations show now (the recorder draws the same with drawAnnotations). */
  annotations(): AnnotationInput {
    const s = this.explorer.state;
    const legend = s.colorBy === 'status' ? { kind: 'status' as const } : { kind: 'lr' as const, min: s.lrMin, max: s.lrMax, colormap: s.particleColormap };
    if (this.scene) return { title: `${this.scene.number}. ${this.scene.title}`, formula: this.scene.formula, step: this.explorer.steps, legend };
    return { title: s.model ? networkTitle(s) : (this.explorer.surface?.spec.title ?? s.surface), formula: describeRun(s), step: this.explorer.steps, legend };
  }

  /** After a change of state: a scene on another surface (or model) is no longer the scene shown. */
  changed(): void {
    if (this.scene) {
      const own = sceneState(this.scene.id);
      const s = this.explorer.state;
      if (
        own.surface !== s.surface ||
        JSON.stringify(own.surfaceParams) !== JSON.stringify(s.surfaceParams) ||
        own.model !== s.model ||
        own.dataset !== s.dataset
      ) {
        this.scene = null;
        this.notify();
      }
    }
    this.update();
  }

  /** Redraws the overlay when what it shows (or its size) changed; cheap otherwise. */
  update(): void {
    const c = this.overlay;
    const dpr = Math.min(devicePixelRatio, 2);
    const w = c.clientWidth;
    const h = c.clientHeight;
    const input = this.annotations();
    // The page's HTML chips show the legend and the step (in presentation mode too: small
    // corner chips, not the video's large legend), so the title band stays two lines.
    const shown = { ...input, step: null, legend: null };
    let scale = this.presenting ? PRESENTATION_SCALE * Math.max(1, annotationScale(w, h)) : 1;
    const key = JSON.stringify([shown, w, h, dpr, scale]);
    if (key === this.drawn) return;
    this.drawn = key;
    c.width = Math.max(1, Math.round(w * dpr));
    c.height = Math.max(1, Math.round(h * dpr));
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    this.layout = drawAnnotations(ctx, w, h, shown, scale);
    // At most MAX_BAND of the stage: on a small screen the type shrinks, the 3-D view stays.
    // (Text sizes round, so the height is not quite proportional to the scale: a few tries.)
    const most = Math.floor(MAX_BAND * h) - 1;
    for (let i = 0; i < 4 && this.presenting; i++) {
      const tall = this.layout.title.top + this.layout.title.height + 6;
      if (tall <= most) break;
      scale *= most / tall;
      ctx.clearRect(0, 0, w, h);
      this.layout = drawAnnotations(ctx, w, h, shown, scale);
    }
    // The title gets a band of its own above the 3-D canvas (it covers no particle).
    const t = this.layout.title;
    const band = t ? Math.ceil(t.top + t.height + 6) : 0;
    if (band !== this.band) {
      this.band = band;
      this.overlay.parentElement?.style.setProperty('--band', `${band}px`);
      this.explorer.resize();
    }
  }
  /** Height of the title band above the canvas (CSS pixels; 0 with no title). */
  private band = 0;

  private notify(): void {
    this.listeners.forEach((f) => f());
  }
}

/** The formula line when no scene is loaded: the optimizer and the lr range. */
function describeRun(s: ExplorerState): string {
  const lr = s.lrMin === s.lrMax ? `η = ${formatNumber(s.lrMin)}` : `η ∈ [${formatNumber(s.lrMin)}, ${formatNumber(s.lrMax)}]`;
  return `${s.optimizer}, ${lr}${s.schedule ? `, ${s.schedule}` : ''}`;
}

/** Keys for lectures (the page handles space, → and R): P presentation, Escape leaves it, 1-9 scenes. */
export function lectureKeys(lecture: Lecture, onError: (message: string | null) => void): (e: KeyboardEvent) => void {
  return (e) => {
    if ((e.target as HTMLElement).closest?.('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'p' || e.key === 'P') lecture.setPresentation(!lecture.presenting);
    else if (e.key === 'Escape' && lecture.presenting) lecture.setPresentation(false);
    else if (/^[1-9]$/.test(e.key)) void lecture.loadScene(Number(e.key)).then(onError);
  };
}
