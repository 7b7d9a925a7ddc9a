// The Network map view: lr_layer0 x lr_layer1 (or the dragged window), one network per
// pixel, coloured as the fractal paper. Dragging a window zooms (a coarse image first,
// then the full one); "reset zoom" goes back to [lrMin, lrMax]^2. Below what float32
// resolves the map trains in df64 and says so; where df64 cannot train the settings it
// says that float32 no longer resolves the window instead of drawing noise.

import type { MapAxis } from '../display/map-figure';
import type { ViewPanel } from '../views/dock';
import { FigureView } from '../views/figure-view';
import type { Explorer } from './explorer';
import { NetworkMapJob, type NetMapImage } from './network-map-job';
import { netMapPlan, networkMapAxes } from './network-map-plan';

const FIGURE = { width: 410, height: 240 };
const LEGEND = ['blue: converged', 'red: diverged', 'shade: measure rank'];
/** What a grey image is drawn in when nothing can be shown (RGBA8 packed, little-endian). */
const BLANK = 0xff_80_80_80;

/** For tests: an image the view showed. */
export interface NetMapShown {
  nx: number;
  ny: number;
  final: boolean;
  precision: 'f32' | 'df64';
}

export class NetworkMapView {
  private figure: FigureView | null = null;
  private job: NetworkMapJob | null = null;
  private shownImage: NetMapImage | null = null;
  private shownError = false;
  /** The images shown since the map last restarted, in order. */
  private shown: NetMapShown[] = [];

  constructor(private readonly explorer: Explorer) {}

  ensure(panel: ViewPanel): void {
    if (this.figure) return;
    const fig = new FigureView(panel, FIGURE);
    fig.onZoom = (w) => {
      const a = networkMapAxes(this.explorer.state);
      void this.explorer.apply({ mapWindow: { x: { ...a.x, min: w.x[0], max: w.x[1] }, y: { ...a.y, min: w.y[0], max: w.y[1] } } });
    };
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.textContent = 'reset zoom';
    reset.addEventListener('click', () => void this.explorer.apply({ mapWindow: null }));
    panel.controls.appendChild(reset);
    this.figure = fig;
  }

  /** After a change of state: the map restarts when what it is built from changed. */
  sync(): void {
    const s = this.explorer.state;
    const handle = this.explorer.graphics.handle;
    if (!s.views.includes('netmap') || s.model === '' || !handle) {
      this.drop();
      if (this.figure)
        this.figure.panel.status.textContent =
          s.model === '' ? 'choose a model (Model folder): this view maps networks' : handle ? '' : 'the network map needs WebGPU';
      return;
    }
    const plan = netMapPlan(s, handle.software);
    const { model, dataset, dataSeed, points, seed, optimizer, hyper, schedule, lrMin, lrMax } = s;
    const key = JSON.stringify([model, dataset, dataSeed, points, seed, optimizer, hyper, schedule, lrMin, lrMax, plan]);
    if (this.job?.key === key) return;
    this.drop();
    try {
      this.job = new NetworkMapJob(handle, s, key, plan);
    } catch (e) {
      if (this.figure) this.figure.panel.status.textContent = `could not run: ${(e as Error).message}`;
    }
  }

  /** Once per frame (while the view is open). */
  frame(): void {
    const job = this.job;
    if (!job) return;
    job.tick();
    const fig = this.figure;
    if (!fig) return;
    const df64 = job.plan.precision === 'df64';
    const img = job.image;
    if (img && img !== this.shownImage) {
      this.shownImage = img;
      this.shown.push({ nx: img.nx, ny: img.ny, final: img.final, precision: job.plan.precision });
      const axis = (a: MapAxis, n: number): MapAxis => ({ ...a, n });
      fig.show(axis(img.layout.x, img.nx), axis(img.layout.y, img.ny), {
        image: img,
        title: `${img.nx}×${img.ny} networks, ${job.plan.steps} steps${img.final ? '' : ' (coarse)'}${df64 ? ', df64' : ''}`,
        legend: [],
        notes: [...LEGEND, ...(df64 ? ['df64: float32 does not', 'resolve this window'] : []), ...counts(img)],
      });
    }
    if (job.unresolved && !this.shownError) {
      // No noise: a grey map of the window, saying why.
      this.shownError = true;
      const full = job.plan.levels.at(-1)!;
      fig.show(full.x, full.y, {
        image: { nx: 1, ny: 1, rgba: new Uint32Array([BLANK]) },
        title: 'float32 no longer resolves this window',
        legend: [],
        notes: ['df64 cannot train', 'these settings:', 'see the status line'],
      });
    }
    fig.panel.status.textContent = this.status(job);
  }

  private status(job: NetworkMapJob): string {
    if (job.error) return job.error;
    const df64 = job.plan.precision === 'df64' ? 'df64' : '';
    const p = job.progress;
    const img = job.image;
    if (p) {
      const what = `${p.layout.x.n}×${p.layout.y.n} networks${p.coarse ? ' (coarse)' : ''}${df64 ? ' in df64' : ''}`;
      return `training ${what}: step ${p.done} of ${job.plan.steps}`;
    }
    if (!img) return 'starting';
    return [df64, ...counts(img)].filter(Boolean).join(', ');
  }

  private drop(): void {
    this.job?.destroy();
    this.job = null;
    this.shownImage = null;
    this.shownError = false;
    this.shown = [];
  }

  /** For tests: whether the full map is drawn. */
  get drawn(): boolean {
    return this.shownImage?.final === true && !!this.figure?.current;
  }

  /** For tests: the images shown since the map last restarted, the plan, the last image's statuses and where the image lies in the figure (CSS pixels). */
  get state(): {
    shown: NetMapShown[];
    precision: string;
    why: string | null;
    error: string | null;
    converged: boolean[] | null;
    image: { left: number; top: number; width: number; height: number } | null;
  } | null {
    const job = this.job;
    if (!job) return null;
    const image = this.figure?.current?.image ?? null;
    return {
      shown: this.shown.slice(),
      precision: job.plan.precision,
      why: job.plan.why,
      error: job.error,
      converged: this.shownImage?.converged ?? null,
      image,
    };
  }
}

function counts(img: NetMapImage): string[] {
  const nc = img.converged.filter(Boolean).length;
  return [`converged ${nc}`, `diverged ${img.converged.length - nc}`];
}
