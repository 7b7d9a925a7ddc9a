// The views of networks (state.model set): the network map, lr_layer0 x lr_layer1 (a
// network per pixel, trained on the GPU by the NetworkEngine, as `etascape map --model`
// does, a bounded number of network-steps per frame, coloured as the fractal paper), and
// the loss curves of a few live networks spread over the lr range (their losses read
// from the particle buffers a few times a second, never awaited in the frame loop).

import { FRAME_WORK } from '../core/budget';
import { initialTheta } from '../core/nn/network';
import { fractalImage, networkOutcomes } from '../core/nn/outcome';
import { buildNetSetup } from '../core/nn/setup';
import { colormap } from '../display/colormaps';
import type { MapAxis } from '../display/map-figure';
import { axisValue } from '../core/layouts';
import { NetworkEngine } from '../gpu/network-engine';
import { followedNetworks, networkProblem, networkStepCost } from '../model/network';
import type { ExplorerState } from '../model/state';
import type { ViewPanel } from '../views/dock';
import { FigureView } from '../views/figure-view';
import { LossCurvesView } from '../views/traces-view';
import type { ChartSeries } from '../views/chart';
import type { Explorer } from './explorer';

const FIGURE = { width: 410, height: 240 };
const CHART = { width: 410, height: 190 };
const CURVES = 5;
const MAX_SAMPLES = 400;

/** The map's axes: the zoomed window when it is over layer learning rates, else lr_layer0 x lr_layer1 over [lrMin, lrMax]. */
function networkMapAxes(s: ExplorerState): { x: Required<Omit<MapAxis, 'n'>>; y: Required<Omit<MapAxis, 'n'>> } {
  const w = s.mapWindow;
  if (w && /^lr_layer\d+$/.test(w.x.param) && /^lr_layer\d+$/.test(w.y.param)) return w;
  return {
    x: { param: 'lr_layer0', min: s.lrMin, max: s.lrMax, scale: 'log' },
    y: { param: 'lr_layer1', min: s.lrMin, max: s.lrMax, scale: 'log' },
  };
}

/** One map of networks being trained: res x res networks, `steps` steps, a bounded number per tick. */
class NetworkMapJob {
  image: { nx: number; ny: number; rgba: Uint32Array } | null = null;
  notes: string[] = [];
  private engine: NetworkEngine | null = null;
  private reading = false;
  private destroyed = false;
  private readonly perTick: number;

  constructor(
    explorer: Explorer,
    readonly key: string,
    readonly res: number,
    readonly steps: number,
    readonly axes: ReturnType<typeof networkMapAxes>,
  ) {
    const s = explorer.state;
    const handle = explorer.graphics.handle;
    if (!handle) throw new Error('the network map needs WebGPU');
    const { model, data } = networkProblem(s);
    const layer = (p: string) => Number(p.slice('lr_layer'.length));
    const [lx, ly] = [layer(axes.x.param), layer(axes.y.param)];
    const L = model.layers.length;
    if (lx >= L || ly >= L) throw new Error(`${model.spec.widths.join('-')} has ${L} weight matrices: the axes are lr_layer0..lr_layer${L - 1}`);
    const lrLayers: number[][] = [];
    for (let iy = 0; iy < res; iy++)
      for (let ix = 0; ix < res; ix++) {
        const lrs = Array<number>(L).fill(Math.sqrt(s.lrMin * s.lrMax));
        lrs[ly] = Math.fround(axisValue(axes.y.min, axes.y.max, res, iy, axes.y.scale));
        lrs[lx] = Math.fround(axisValue(axes.x.min, axes.x.max, res, ix, axes.x.scale));
        lrLayers.push(lrs);
      }
    // One shared initial draw (the fractal's setup): every pixel differs only by its learning rates.
    const one = initialTheta(model, 1, { seed: s.seed });
    const theta = new Float32Array(res * res * model.params);
    for (let i = 0; i < res * res; i++) theta.set(one, i * model.params);
    const { lr: _lr, ...settings } = s.hyper;
    void _lr;
    const setup = buildNetSetup({
      model,
      data,
      optimizer: s.optimizer,
      settings,
      schedule: s.schedule.trim() || undefined,
      lrLayers,
      theta,
      config: { history: steps },
    });
    const budget = handle.software ? FRAME_WORK.software : FRAME_WORK.hardware;
    this.perTick = Math.max(1, Math.floor(budget / 2 / (res * res * networkStepCost(model, data.n))));
    void NetworkEngine.create(handle, setup).then(
      (e) => {
        if (this.destroyed) e.destroy();
        else this.engine = e;
      },
      (e: Error) => (this.notes = [`could not run: ${e.message}`]),
    );
  }

  get done(): number {
    return this.engine?.stepsQueued ?? 0;
  }

  /** Once per frame: the next steps (bounded), or the outcome read once all are queued. */
  tick(): void {
    const e = this.engine;
    if (!e || this.image || this.reading) return;
    if (e.stepsQueued < this.steps) {
      e.step(Math.min(this.perTick, this.steps - e.stepsQueued));
      return;
    }
    this.reading = true;
    void e.read().then((st) => {
      if (this.destroyed) return;
      const { converged, value } = networkOutcomes(st, this.steps, 'fractal');
      const rgba = fractalImage(this.res, converged, value);
      // fractalImage's row 0 is the top; the figure's row 0 is the y axis' minimum.
      const rows = new Uint8Array(rgba.length);
      const w = 4 * this.res;
      for (let r = 0; r < this.res; r++) rows.set(rgba.subarray((this.res - 1 - r) * w, (this.res - r) * w), r * w);
      const nc = converged.filter(Boolean).length;
      this.notes = [`converged ${nc}`, `diverged ${converged.length - nc}`];
      this.image = { nx: this.res, ny: this.res, rgba: new Uint32Array(rows.buffer) };
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.engine?.destroy();
  }
}

export class NetworkViews {
  private map: FigureView | null = null;
  private loss: LossCurvesView | null = null;
  private job: NetworkMapJob | null = null;
  private shownImage: unknown = null;
  private samples: { step: number; loss: number[] }[] = [];
  private lastRead = 0;
  private reading = false;
  private run: unknown = null;

  constructor(private readonly explorer: Explorer) {}

  ensure(name: 'netmap' | 'netloss', panel: ViewPanel): void {
    if (name === 'netmap' && !this.map) {
      this.map = new FigureView(panel, FIGURE);
      this.map.onZoom = (w) => {
        const a = networkMapAxes(this.explorer.state);
        void this.explorer.apply({ mapWindow: { x: { ...a.x, min: w.x[0], max: w.x[1] }, y: { ...a.y, min: w.y[0], max: w.y[1] } } });
      };
    }
    if (name === 'netloss' && !this.loss) this.loss = new LossCurvesView(panel, CHART);
  }

  /** After a change of state: the map restarts when what it is built from changed. */
  sync(): void {
    const s = this.explorer.state;
    if (!s.views.includes('netmap') || s.model === '') {
      this.job?.destroy();
      this.job = null;
      if (this.map) this.map.panel.status.textContent = s.model === '' ? 'choose a model (Model folder): this view maps networks' : '';
      return;
    }
    const res = this.explorer.graphics.software ? Math.min(s.mapRes, 32) : s.mapRes;
    const axes = networkMapAxes(s);
    const { model, dataset, dataSeed, points, seed, optimizer, hyper, schedule, mapSteps } = s;
    const key = JSON.stringify([model, dataset, dataSeed, points, seed, optimizer, hyper, schedule, mapSteps, res, axes]);
    if (this.job?.key === key) return;
    this.job?.destroy();
    this.job = null;
    this.shownImage = null;
    try {
      this.job = new NetworkMapJob(this.explorer, key, res, mapSteps, axes);
    } catch (e) {
      if (this.map) this.map.panel.status.textContent = `could not run: ${(e as Error).message}`;
    }
  }

  /** Once per frame. */
  frame(now: number): void {
    const views = this.explorer.state.views;
    const job = this.job;
    if (job && views.includes('netmap')) {
      job.tick();
      if (this.map && job.image && this.shownImage !== job.image) {
        this.shownImage = job.image;
        const { x, y } = job.axes;
        this.map.show(
          { ...x, n: job.res },
          { ...y, n: job.res },
          {
            image: job.image,
            title: `${job.res}×${job.res} networks, ${job.steps} steps`,
            legend: [],
            notes: ['blue: converged', 'red: diverged', 'shade: measure rank', ...job.notes],
          },
        );
      }
      if (this.map)
        this.map.panel.status.textContent = job.image ? job.notes.join(', ') : `training ${job.res}×${job.res} networks: step ${job.done} of ${job.steps}`;
    }
    const net = this.explorer.networks;
    if (net !== this.run) {
      this.run = net;
      this.samples = [];
    }
    if (net && this.loss && views.includes('netloss') && !this.reading && now - this.lastRead > 400) {
      this.lastRead = now;
      this.reading = true;
      const step = net.stepsDone;
      void net
        .read()
        .then((p) => {
          if (net !== this.explorer.networks) return;
          const picked = followedNetworks(p.n, CURVES);
          if (this.samples.at(-1)?.step !== step) this.samples.push({ step, loss: picked.map((i) => p.pos[4 * i + 2]) });
          if (this.samples.length > MAX_SAMPLES) this.samples = this.samples.filter((_, k) => k % 2 === 0 || k === this.samples.length - 1);
          this.showLoss(net.built.lr, picked);
        })
        .finally(() => (this.reading = false));
    }
  }

  private showLoss(lr: Float32Array, picked: number[]): void {
    const s = this.explorer.state;
    const span = Math.log(s.lrMax / s.lrMin) || 1;
    const hex = (t: number) =>
      '#' +
      colormap(s.particleColormap, t)
        .map((c) =>
          Math.round(255 * c)
            .toString(16)
            .padStart(2, '0'),
        )
        .join('');
    const series: ChartSeries[] = picked.map((i, k) => ({
      label: `η ${lr[i].toPrecision(3)}`,
      values: this.samples.map((x) => x.loss[k]),
      color: hex(Math.log(lr[i] / s.lrMin) / span),
    }));
    this.loss!.update(
      { x: this.samples.map((x) => x.step + 1), series, legend: series.map((c) => ({ label: c.label, color: c.color })) },
      `${picked.length} of the networks, spread over the lr range: full-batch loss`,
    );
  }

  /** For tests: whether each open network view has drawn. */
  get drawn(): { netmap: boolean; netloss: boolean } {
    return { netmap: this.shownImage !== null && !!this.map?.current, netloss: !!this.loss?.chart.root && this.samples.length > 1 };
  }
}
