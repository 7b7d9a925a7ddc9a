// The control panel (lil-gui). Every change goes through Explorer.apply; an error is
// shown inline under the control and the previous run keeps going.
// Long because the panel is one lil-gui tree (surface, particles, optimizer, schedule,
// look, views, share): its folders share the model object and the apply path.

import GUI, { type Controller } from 'lil-gui';
import { findOptimizer, OPTIMIZER_DEFS } from '../core/optimizers';
import {
  exampleSchedule,
  findSchedule,
  formatSchedule,
  parseScheduleList,
  parseScheduleText,
  resolveSchedule,
  SCHEDULE_DEFS,
  scheduleText,
  type ScheduleSpec,
  type ScheduleValue,
} from '../core/schedules';
import { PRESET_NAMES, PRESETS, presetParameters } from '../core/surfaces';
import { COLORMAPS } from '../display/colormaps';
import type { Explorer } from './explorer';
import { ModelFolder } from './gui-model';
import { COLOR_BY, LAYOUTS, type ExplorerState } from '../model/state';
import { ALL_SCENES } from '../model/scenes';
import { VIEW_NAMES, VIEW_TITLES, type ViewName } from '../model/views';

/** What the Share folder does (the page provides it: downloads, the location). */
export interface ShareActions {
  exportJson(): void;
  importJson(text: string): Promise<string | null>;
  link(): string;
}

/** What the Scenes folder does (the page provides it: the lecture). */
export interface SceneActions {
  load(id: string): Promise<string | null>;
  togglePresentation(): void;
  /** The scene shown (null: none). */
  current(): string | null;
}

const NO_SCENE = '—';
const sceneLabel = (id: string | null) => {
  const s = ALL_SCENES.find((x) => x.id === id);
  return s ? `${s.number}. ${s.title}` : NO_SCENE;
};

const PARTICLE_COUNTS = [10, 100, 1000, 10_000, 100_000, 1_000_000];

export class ControlPanel {
  readonly gui = new GUI({ title: 'etascape' });
  private errors = new Map<string, HTMLElement>();
  /** Values the controllers edit; copied to the explorer on change. */
  private model: Record<string, unknown>;
  private hyperFolder: GUI;
  private paramsFolder: GUI;
  private scheduleFolder: GUI;
  private readonly modelFolder: ModelFolder;
  private readonly surfaceFolder: GUI;
  /** The 2-D surface's own controls, hidden while the particles are networks (the plane is their loss). */
  private readonly surfaceOnly: Controller[];

  private sceneModel = { scene: NO_SCENE, presentation: () => {} };
  private sceneSummary: HTMLElement | null = null;

  constructor(
    private readonly explorer: Explorer,
    private readonly share?: ShareActions,
    private readonly scenes?: SceneActions,
  ) {
    const s = explorer.state;
    const isPreset = PRESET_NAMES.includes(s.surface);
    this.model = {
      preset: isPreset ? s.surface : 'custom',
      expression: isPreset ? PRESETS[s.surface](s.surfaceParams).expression : s.surface,
      ...s,
      ...scheduleModel(s.schedule),
      lrYText: s.lrY === null ? '' : String(s.lrY),
      playPause: () => this.togglePlay(),
      step: () => explorer.stepOnce(),
      reset: () => void explorer.reset(),
      frameView: () => void explorer.frameView(),
      ...viewModel(s.views),
    };

    if (scenes) this.addScenes(scenes);

    const surf = (this.surfaceFolder = this.gui.addFolder('Surface'));
    this.surfaceOnly = [
      surf
        .add(this.model, 'preset', [...PRESET_NAMES, 'custom'])
        .name('preset')
        .onChange((v: string) => this.choosePreset(v)),
      surf
        .add(this.model, 'expression')
        .name('L(x, y) =')
        .onFinishChange((v: string) => this.setExpression(v)),
    ];
    this.errorSlot(surf, 'surface');
    this.paramsFolder = surf.addFolder('parameters');
    surf
      .add(this.model, 'logHeight')
      .name('log height')
      .onChange((v: boolean) => this.change({ logHeight: v }));
    surf.add(this.model, 'contours').onChange((v: boolean) => this.change({ contours: v }));
    surf
      .add(this.model, 'surfaceColormap', COLORMAPS)
      .name('colormap')
      .onChange((v: ExplorerState['surfaceColormap']) => this.change({ surfaceColormap: v }));
    surf
      .add(this.model, 'heightScale', 0.1, 4, 0.05)
      .name('height scale')
      .onChange((v: number) => this.change({ heightScale: v }));
    surf
      .add(this.model, 'quality', ['auto', 'high', 'low'])
      .name('lighting quality')
      .onChange((v: ExplorerState['quality']) => this.change({ quality: v }));
    surf
      .add(this.model, 'topDown')
      .name('top-down 2-D')
      .onChange((v: boolean) => this.change({ topDown: v, camera: null }));
    surf.add(this.model, 'frameView').name('frame the surface (F)');

    this.modelFolder = new ModelFolder(this.gui, explorer);

    const opt = this.gui.addFolder('Optimizer');
    opt
      .add(
        this.model,
        'optimizer',
        OPTIMIZER_DEFS.map((d) => d.name),
      )
      .onChange((v: string) => this.chooseOptimizer(v));
    this.hyperFolder = opt.addFolder('hyperparameters');
    this.errorSlot(opt, 'optimizer');

    const sched = this.gui.addFolder('Schedule');
    sched
      .add(this.model, 'scheduleName', ['none', ...SCHEDULE_DEFS.map((d) => d.name)])
      .name('schedule')
      .onChange((v: string) => this.chooseSchedule(v));
    this.scheduleFolder = sched.addFolder('schedule parameters');
    sched
      .add(this.model, 'schedule')
      .name('as text')
      .onFinishChange((v: string) => this.setScheduleText(v));
    this.errorSlot(sched, 'schedule');

    const grad = this.gui.addFolder('Gradient');
    grad
      .add(this.model, 'clipNorm')
      .name('clip grad norm (0 off)')
      .onFinishChange((v: number) => this.change({ clipNorm: Number(v) }, 'gradient'));
    grad
      .add(this.model, 'clipValue')
      .name('clip grad value (0 off)')
      .onFinishChange((v: number) => this.change({ clipValue: Number(v) }, 'gradient'));
    grad
      .add(this.model, 'noise')
      .name('noise σ (0 off)')
      .onFinishChange((v: number) => this.change({ noise: Number(v) }, 'gradient'));
    grad
      .add(this.model, 'batchSize', 1, 4096, 1)
      .name('batch size B (σ/√B)')
      .onFinishChange((v: number) => this.change({ batchSize: Number(v) }, 'gradient'));
    grad
      .add(this.model, 'samRho')
      .name('SAM ρ (0 off)')
      .onFinishChange((v: number) => this.change({ samRho: Number(v) }, 'gradient'));
    grad
      .add(this.model, 'lrYText')
      .name('lr of y (empty: lr)')
      .onFinishChange((v: string) => this.setLrY(v));
    this.errorSlot(grad, 'gradient');

    const part = this.gui.addFolder('Particles');
    part.add(this.model, 'layout', LAYOUTS as unknown as string[]).onChange((v: ExplorerState['layout']) => this.change({ layout: v }, 'particles'));
    part
      .add(this.model, 'lrMin')
      .name('lr min')
      .onFinishChange((v: number) => this.change({ lrMin: v }, 'particles'));
    part
      .add(this.model, 'lrMax')
      .name('lr max')
      .onFinishChange((v: number) => this.change({ lrMax: v }, 'particles'));
    part
      .add(this.model, 'n', PARTICLE_COUNTS)
      .name('particles')
      .onChange((v: number) => this.change({ n: Number(v) }, 'particles'));
    part.add(this.model, 'seed', 0, 9999, 1).onFinishChange((v: number) => this.change({ seed: v }, 'particles'));
    part
      .add(this.model, 'colorBy', COLOR_BY as unknown as string[])
      .name('colour by')
      .onChange((v: ExplorerState['colorBy']) => this.change({ colorBy: v }));
    part
      .add(this.model, 'particleColormap', COLORMAPS)
      .name('lr colormap')
      .onChange((v: ExplorerState['particleColormap']) => this.change({ particleColormap: v }));
    part
      .add(this.model, 'particleSize', 0.004, 0.06, 0.001)
      .name('size')
      .onChange((v: number) => this.change({ particleSize: v }));
    part
      .add(this.model, 'trails', 0, 4096, 1)
      .name('trails (GPU)')
      .onFinishChange((v: number) => this.change({ trails: v }, 'particles'));
    part
      .add(this.model, 'showTrails')
      .name('show trails')
      .onChange((v: boolean) => this.change({ showTrails: v }));
    part
      .add(this.model, 'trailLength', 2, 256, 1)
      .name('trail length')
      .onFinishChange((v: number) => this.change({ trailLength: v }, 'particles'));
    this.errorSlot(part, 'particles');

    const run = this.gui.addFolder('Run');
    run
      .add(this.model, 'stepsPerFrame', 0, 200, 1)
      .name('steps / frame')
      .onChange((v: number) => this.change({ stepsPerFrame: v }));
    run.add(this.model, 'playPause').name('play / pause (space)');
    run.add(this.model, 'step').name('single step (→)');
    run.add(this.model, 'reset').name('reset (R)');

    const views = this.gui.addFolder('Views');
    for (const v of VIEW_NAMES)
      views
        .add(this.model, `view_${v}`)
        .name(VIEW_TITLES[v])
        .onChange(() => this.setViews());

    if (share) {
      const sh = this.gui.addFolder('Share');
      const actions = {
        copyLink: () => void navigator.clipboard?.writeText(share.link()).catch(() => {}),
        exportJson: () => share.exportJson(),
        importJson: () => this.pickStateFile(),
      };
      sh.add(actions, 'copyLink').name('copy link to this state');
      sh.add(actions, 'exportJson').name('export state (JSON)');
      sh.add(actions, 'importJson').name('import state (JSON)…');
      this.errorSlot(sh, 'share');
      sh.close();
    }

    this.rebuildParams();
    this.rebuildHyper();
    this.rebuildSchedule();
    this.showSurfaceControls();
  }

  /** Networks: the Surface folder keeps only how the plane is drawn (the 2-D expression and its parameters do not apply). */
  private showSurfaceControls(): void {
    const surface = this.explorer.state.model === '';
    this.surfaceOnly.forEach((c) => c.show(surface));
    this.paramsFolder.show(surface && presetParameters(this.explorer.state.surface).length > 0);
    this.surfaceFolder.title(surface ? 'Surface' : "Surface: the networks' loss plane");
  }

  /** Shows the explorer's current state (after changes made elsewhere: keys, API, URL). */
  sync(): void {
    const s = this.explorer.state;
    const surfaceChanged = s.surface !== this.shown.surface || JSON.stringify(s.surfaceParams) !== this.shown.params;
    const optimizerChanged = s.optimizer !== this.shown.optimizer || JSON.stringify(s.hyper) !== this.shown.hyper;
    const scheduleChanged = s.schedule !== this.shown.schedule;
    const isPreset = PRESET_NAMES.includes(s.surface);
    Object.assign(this.model, s, {
      preset: isPreset ? s.surface : 'custom',
      expression: isPreset ? PRESETS[s.surface](s.surfaceParams).expression : s.surface,
      ...scheduleModel(s.schedule),
      lrYText: s.lrY === null ? '' : String(s.lrY),
      ...viewModel(s.views),
    });
    this.gui.controllersRecursive().forEach((c: Controller) => c.updateDisplay());
    if (surfaceChanged) this.rebuildParams();
    if (optimizerChanged) this.rebuildHyper();
    if (scheduleChanged) this.rebuildSchedule();
    this.modelFolder.sync();
    this.showSurfaceControls();
    this.syncScene();
  }

  /** The Scenes folder, first in the panel: a picker of the lecture scenes, the chosen one's summary. */
  private addScenes(actions: SceneActions): void {
    const f = this.gui.addFolder('Scenes');
    this.sceneModel.presentation = () => actions.togglePresentation();
    f.add(this.sceneModel, 'scene', [NO_SCENE, ...ALL_SCENES.map((s) => sceneLabel(s.id))])
      .name('scene')
      .onChange(async (label: string) => {
        const scene = ALL_SCENES.find((s) => sceneLabel(s.id) === label);
        if (!scene) return;
        this.showError('scenes', await actions.load(scene.id));
        this.syncScene();
      });
    this.sceneSummary = document.createElement('div');
    this.sceneSummary.className = 'scene-summary';
    f.$children.appendChild(this.sceneSummary);
    f.add(this.sceneModel, 'presentation').name('presentation mode (P)');
    this.errorSlot(f, 'scenes');
    this.syncScene();
  }

  private syncScene(): void {
    if (!this.scenes || !this.sceneSummary) return;
    const id = this.scenes.current();
    this.sceneModel.scene = sceneLabel(id);
    this.sceneSummary.textContent = ALL_SCENES.find((s) => s.id === id)?.summary ?? 'Pick a scene, or press 1-9.';
    this.gui.controllersRecursive().forEach((c: Controller) => c.object === this.sceneModel && c.updateDisplay());
  }

  /** What the panel last showed, to rebuild the sub-folders only when needed. */
  private shown = { surface: '', params: '', optimizer: '', hyper: '', schedule: '' };

  private errorSlot(folder: GUI, key: string): void {
    const el = document.createElement('div');
    el.className = 'error';
    el.dataset.error = key;
    el.hidden = true;
    folder.$children.appendChild(el);
    this.errors.set(key, el);
  }

  showError(key: string, message: string | null): void {
    const el = this.errors.get(key);
    if (!el) return;
    el.textContent = message ?? '';
    el.hidden = !message;
  }

  private async change(c: Partial<ExplorerState>, errorKey = 'particles'): Promise<void> {
    const error = await this.explorer.apply(c);
    this.showError(errorKey, error);
  }

  private pickStateFile(): void {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'application/json,.json';
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      if (!file) return;
      this.showError('share', await this.share!.importJson(await file.text()));
    });
    input.click();
  }

  /** The ticked views, in the panel's order after those already open. */
  private setViews(): void {
    const ticked = VIEW_NAMES.filter((v) => this.model[`view_${v}`]);
    const kept = this.explorer.state.views.filter((v) => ticked.includes(v));
    void this.change({ views: [...kept, ...ticked.filter((v) => !kept.includes(v))] });
  }

  private togglePlay(): void {
    if (this.explorer.playing) this.explorer.pause();
    else this.explorer.play();
  }

  private async choosePreset(name: string): Promise<void> {
    if (name === 'custom') return;
    const error = await this.explorer.apply({ surface: name, surfaceParams: {}, start: null, region: null });
    this.showError('surface', error);
    if (!error) {
      this.model.expression = PRESETS[name]().expression;
      this.gui.controllersRecursive().forEach((c: Controller) => c.updateDisplay());
      this.rebuildParams();
    }
  }

  private async setExpression(text: string): Promise<void> {
    const preset = this.model.preset as string;
    if (preset !== 'custom' && text === PRESETS[preset](this.explorer.state.surfaceParams).expression) return;
    const error = await this.explorer.apply({ surface: text, surfaceParams: {}, start: null, region: null });
    this.showError('surface', error);
    if (!error) {
      this.model.preset = 'custom';
      this.gui.controllersRecursive().forEach((c: Controller) => c.updateDisplay());
      this.rebuildParams();
    }
  }

  private rebuildParams(): void {
    this.shown.surface = this.explorer.state.surface;
    this.shown.params = JSON.stringify(this.explorer.state.surfaceParams);
    this.paramsFolder.children.slice().forEach((c) => c.destroy());
    const spec = presetParameters(this.explorer.state.surface);
    this.paramsFolder.show(spec.length > 0 && this.explorer.state.model === '');
    if (!spec.length) return;
    const values: Record<string, number> = {};
    for (const p of spec) {
      values[p.name] = this.explorer.state.surfaceParams[p.name] ?? p.default;
      this.paramsFolder.add(values, p.name, p.min, p.max, p.step).onFinishChange(async () => {
        const error = await this.explorer.apply({ surfaceParams: { ...values } });
        this.showError('surface', error);
      });
    }
  }

  private async chooseOptimizer(name: string): Promise<void> {
    const error = await this.explorer.apply({ optimizer: name, hyper: {} });
    this.showError('optimizer', error);
    this.rebuildHyper();
  }

  private rebuildHyper(): void {
    this.shown.optimizer = this.explorer.state.optimizer;
    this.shown.hyper = JSON.stringify(this.explorer.state.hyper);
    this.hyperFolder.children.slice().forEach((c) => c.destroy());
    const def = findOptimizer(this.explorer.state.optimizer);
    const values: Record<string, number | boolean> = {};
    for (const h of def.hyper.slice(1)) {
      const current = this.explorer.state.hyper[h.name] ?? h.default;
      values[h.name] = h.bool ? current === 1 : current;
      const ctl = this.hyperFolder.add(values, h.name);
      ctl.domElement.title = h.doc;
      ctl.onFinishChange(async () => {
        const hyper: Record<string, number> = {};
        for (const [k, v] of Object.entries(values)) hyper[k] = typeof v === 'boolean' ? Number(v) : Number(v);
        const error = await this.explorer.apply({ hyper });
        this.showError('optimizer', error);
      });
    }
  }

  private async applySchedule(text: string): Promise<boolean> {
    const error = await this.explorer.apply({ schedule: text });
    this.showError('schedule', error);
    if (!error) this.sync();
    return !error;
  }

  private async chooseSchedule(name: string): Promise<void> {
    const text = name === 'none' ? '' : scheduleText(resolveSchedule(exampleSchedule(findSchedule(name))));
    if (!(await this.applySchedule(text))) this.sync();
  }

  private async setScheduleText(text: string): Promise<void> {
    let canonical = text.trim();
    if (canonical) {
      try {
        canonical = scheduleText(resolveSchedule(canonical));
      } catch (e) {
        this.showError('schedule', (e as Error).message);
        return;
      }
    }
    await this.applySchedule(canonical);
  }

  private async setLrY(text: string): Promise<void> {
    const t = text.trim();
    const v = t === '' ? null : Number(t);
    if (v !== null && !(Number.isFinite(v) && v > 0)) {
      this.showError('gradient', `lr of y must be a positive number (or empty for lr), got '${text}'`);
      return;
    }
    await this.change({ lrY: v }, 'gradient');
  }

  /** One control per parameter of the current schedule; a change re-resolves the whole text. */
  private rebuildSchedule(): void {
    const text = this.explorer.state.schedule;
    this.shown.schedule = text;
    this.scheduleFolder.children.slice().forEach((c) => c.destroy());
    if (!text.trim()) {
      this.scheduleFolder.show(false);
      return;
    }
    let spec: ScheduleSpec;
    try {
      spec = parseScheduleText(text);
    } catch {
      this.scheduleFolder.show(false);
      return;
    }
    const def = findSchedule(spec.name);
    this.scheduleFolder.show(true);
    const values: Record<string, string | number | boolean> = {};
    for (const p of def.params) {
      const given = spec.params[p.name];
      const dflt = p.default === 'lr' || p.default === null ? undefined : p.default;
      const v = given ?? dflt;
      // Optional lr-valued or None parameters, lists and nested schedules are text ('' = default).
      const asText = p.kind === 'list' || p.kind === 'schedules' || p.default === 'lr' || p.default === null;
      values[p.name] = asText
        ? v === undefined
          ? ''
          : p.kind === 'schedules'
            ? (v as ScheduleSpec[]).map(formatSchedule).join(', ')
            : Array.isArray(v)
              ? v.join(', ')
              : String(v)
        : (v as number | boolean | string);
      const ctl = p.kind === 'enum' ? this.scheduleFolder.add(values, p.name, p.options!) : this.scheduleFolder.add(values, p.name);
      ctl.domElement.title = p.doc;
      ctl.onFinishChange(() => {
        try {
          // A malformed list of schedulers is an inline error too, like any other bad value.
          const params: Record<string, ScheduleValue> = {};
          for (const q of def.params) {
            const raw = values[q.name];
            if (raw === '' || raw === undefined) continue;
            params[q.name] = q.kind === 'schedules' ? parseScheduleList(String(raw)) : (raw as ScheduleValue);
          }
          void this.applySchedule(scheduleText(resolveSchedule({ name: def.name, params })));
        } catch (e) {
          this.showError('schedule', (e as Error).message);
        }
      });
    }
  }
}

function viewModel(open: readonly ViewName[]): Record<string, boolean> {
  return Object.fromEntries(VIEW_NAMES.map((v) => [`view_${v}`, open.includes(v)]));
}

/** The panel's view of a schedule text: its name for the picker. */
function scheduleModel(text: string): { scheduleName: string } {
  try {
    return { scheduleName: text.trim() ? findSchedule(parseScheduleText(text).name).name : 'none' };
  } catch {
    return { scheduleName: 'none' };
  }
}
