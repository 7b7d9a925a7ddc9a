// The panel's Model folder: networks as particles. A model description (or none: the
// particles run on the surface), its dataset, data seed, points and initial weights, and
// the plane the 3-D view draws their loss on. Every change goes through Explorer.apply.

import type GUI from 'lil-gui';
import type { Controller } from 'lil-gui';
import { DATASETS } from '../core/nn/data';
import type { ExplorerState } from '../model/state';
import type { Explorer } from './explorer';

/** Ready-made problems: a model with the dataset it fits. */
const MODEL_PRESETS: Record<string, { model: string; dataset: ExplorerState['dataset'] }> = {
  'chebyshev regression (1-16-1 tanh)': { model: 'mlp:1,16,1:tanh:mean-field', dataset: 'chebyshev' },
  'two moons (2-16-2 tanh, cross-entropy)': { model: 'mlp:2,16,2:tanh:ce', dataset: 'two-moons' },
  'fractal teacher (16-16-1 tanh, mean-field)': { model: 'mlp:16,16,1:tanh:mean-field:gain=sqrt2', dataset: 'teacher' },
};
const NONE = 'none (particles on the surface)';
const CUSTOM = 'custom';

function presetOf(s: ExplorerState): string {
  if (s.model === '') return NONE;
  return Object.entries(MODEL_PRESETS).find(([, p]) => p.model === s.model && p.dataset === s.dataset)?.[0] ?? CUSTOM;
}

export class ModelFolder {
  readonly folder: GUI;
  private readonly values: Record<string, unknown>;
  private readonly error: HTMLElement;

  constructor(
    parent: GUI,
    private readonly explorer: Explorer,
  ) {
    const s = explorer.state;
    this.values = { preset: presetOf(s), ...pick(s) };
    const f = (this.folder = parent.addFolder('Model'));
    f.domElement.dataset.folder = 'model';
    f.add(this.values, 'preset', [NONE, ...Object.keys(MODEL_PRESETS), CUSTOM])
      .name('network')
      .onChange((v: string) => {
        if (v === NONE) void this.change({ model: '' });
        else if (MODEL_PRESETS[v]) void this.change({ ...MODEL_PRESETS[v], points: 0 });
      });
    f.add(this.values, 'model')
      .name('model (mlp:…)')
      .onFinishChange((v: string) => void this.change({ model: v.trim() }));
    f.add(this.values, 'dataset', DATASETS as unknown as string[]).onChange((v: ExplorerState['dataset']) => void this.change({ dataset: v }));
    f.add(this.values, 'dataSeed', 0, 9999, 1)
      .name('data seed')
      .onFinishChange((v: number) => void this.change({ dataSeed: v }));
    f.add(this.values, 'points', 0, 4096, 1)
      .name('points (0: default)')
      .onFinishChange((v: number) => void this.change({ points: v }));
    f.add(this.values, 'init', ['shared', 'per-network'])
      .name('initial weights')
      .onChange((v: ExplorerState['init']) => void this.change({ init: v }));
    const plane = f.addFolder('plane (3-D view)');
    plane
      .add(this.values, 'planeMode', ['random', 'three'])
      .name('directions')
      .onChange((v: ExplorerState['planeMode']) => void this.change({ planeMode: v }));
    plane
      .add(this.values, 'planeCenter', 0, 65535, 1)
      .name('centre network (click one)')
      .onFinishChange((v: number) => void this.change({ planeCenter: v }));
    plane
      .add(this.values, 'planeSpan', 0.05, 10, 0.05)
      .name('span')
      .onFinishChange((v: number) => void this.change({ planeSpan: v }));
    plane
      .add(this.values, 'planeRes', 8, 128, 1)
      .name('resolution')
      .onFinishChange((v: number) => void this.change({ planeRes: v }));
    plane.add({ recompute: () => void this.change({}, true) }, 'recompute').name('through the networks now');
    this.error = document.createElement('div');
    this.error.className = 'error';
    this.error.dataset.error = 'model';
    this.error.hidden = true;
    f.$children.appendChild(this.error);
  }

  /** Shows the explorer's current state. */
  sync(): void {
    Object.assign(this.values, { preset: presetOf(this.explorer.state), ...pick(this.explorer.state) });
    this.folder.controllersRecursive().forEach((c: Controller) => c.updateDisplay());
  }

  /** `replane`: the plane again through the networks as they are now (nothing in the state changes). */
  private async change(c: Partial<ExplorerState>, replane = false): Promise<void> {
    const error = replane ? await this.explorer.replane() : await this.explorer.apply(c);
    this.error.textContent = error ?? '';
    this.error.hidden = !error;
    this.sync();
  }
}

function pick(s: ExplorerState) {
  const { model, dataset, dataSeed, points, init, planeMode, planeCenter, planeSpan, planeRes } = s;
  return { model, dataset, dataSeed, points, init, planeMode, planeCenter, planeSpan, planeRes };
}
