// Drives the views beside the 3-D scene: opens their panels, feeds them, links them to
// the 3-D view. The live run's views (sweep curve, loss curves, sharpness trace) read its
// reductions a few times a second; the map, basins and bifurcation show the images of
// their own runs (view-jobs.ts, ticked once per frame); the LR finder runs its range
// test once per change. Hovering a bin highlights its particles in 3-D; clicking spawns a
// probe particle with those settings. Status words come from view-status.ts.
// Long because every view's feeding lives here, live (frame) and for a recording
// (picture): one place knows which data each view draws from.

import { particleHistory, type HistoryData } from '../core/analysis/history';
import type { ParticleView } from '../core/particles';
import { basinLegend, outcomeLegend, type MapAxis } from '../display/map-figure';
import { densityImage, densityLegend, valueAxis } from '../views/bifurcation-view';
import { ViewDock } from '../views/dock';
import type { ViewName } from '../model/views';
import { FigureView } from '../views/figure-view';
import { LrFinderView } from '../views/lr-finder-view';
import { SweepView } from '../views/sweep-view';
import { LossCurvesView, SharpnessView, lossChartData, sharpnessChartData, type BinSample, type ParticleTrace } from '../views/traces-view';
import type { ChartData } from '../views/chart';
import { chartPicture } from '../views/export';
import { formatNumber } from '../display/ticks';
import type { Explorer } from './explorer';
import { LiveAnalysis, StaleRun } from './live-analysis';
import { NetworkCharts } from './network-charts';
import { NetworkViews } from './network-views';
import type { ExplorerState } from '../model/state';
import { binRepresentative, lossHistogram, lrBins, nearestBin, parseLrList, shownBins, sweepStats } from './view-data';
import { runLrFinder } from './lr-finder-job';
import { lrFinderSpec, specKey } from './view-specs';
import { ViewJobs, type JobEvent, type ViewJob } from './view-jobs';
import { bifurcationText, couldNotRun, jobEventText, jobStatus, lossCurvesNote, LR_FINDER_RUNNING, mapTitle, SHARPNESS_NOTE, sweepNote } from './view-status';

const CHART = { width: 410, height: 190 };
/** The views that show networks (the others show surface particles). */
const NETWORK_VIEWS: readonly ViewName[] = ['netmap', 'netloss', 'netsharp', 'netsweep'];
const FIGURE = { width: 410, height: 240 };
/** Loss-curve bins shown, and the most samples kept (older ones thinned). */
const SHOWN_BINS = 5;
const MAX_SAMPLES = 600;

export class ViewDriver {
  private readonly dock: ViewDock;
  private analysis: LiveAnalysis | null = null;
  private samples: BinSample[] = [];
  private traces: ParticleTrace[] = [];
  private shown: number[] = [];
  private lastSummary = 0;
  private lastHistory = 0;
  /** The run's step at the last summary / history read (-1: none for what is shown now). */
  private summarizedStep = -1;
  private historyStep = -1;
  private sweep: SweepView | null = null;
  private loss: LossCurvesView | null = null;
  private sharp: SharpnessView | null = null;
  private lrFinder: LrFinderView | null = null;
  private figures = new Map<ViewName, FigureView>();
  private readonly jobs: ViewJobs;
  /** The views of networks (netmap, netloss; netsharp, netsweep). */
  readonly networks: NetworkViews;
  readonly networkCharts: NetworkCharts;
  /** The image each figure shows now (a new one from its job is drawn once). */
  private shownImage = new Map<ViewName, unknown>();
  private lrFinderKey = '';
  /** The LR finder's run for lrFinderKey (a recording waits for it). */
  private lrFinderRun: Promise<unknown> = Promise.resolve();
  private lossLrsKey = '[]';
  private shownViews = '';

  /** `onProbe` shows a spawned probe particle (the page's inspect box). */
  constructor(
    el: HTMLElement,
    private readonly explorer: Explorer,
    private readonly onProbe: (p: ParticleView, curve: number[]) => void = () => {},
  ) {
    this.dock = new ViewDock(el, (name) => void explorer.apply({ views: explorer.state.views.filter((v) => v !== name) }));
    this.jobs = new ViewJobs(explorer);
    this.networks = new NetworkViews(explorer);
    this.networkCharts = new NetworkCharts(explorer);
  }

  /** After any change of state: show the open views, restart the jobs whose inputs changed. */
  sync(): void {
    const s = this.explorer.state;
    const shown = s.views.join();
    if (shown !== this.shownViews) {
      // A view opened while paused still gets its first data.
      this.shownViews = shown;
      this.summarizedStep = -1;
      this.historyStep = -1;
    }
    if (JSON.stringify(s.lossLrs) !== this.lossLrsKey) {
      this.lossLrsKey = JSON.stringify(s.lossLrs);
      if (this.analysis) this.rebuilt(); // other bins and particles to follow
    }
    this.dock.show(s.views);
    for (const v of s.views) this.ensureView(v);
    this.showEvents(this.jobs.sync());
    if (s.views.includes('lrfinder')) this.ensureLrFinder();
    this.networks.sync();
  }

  /** After the live run was rebuilt: new reductions, new histories. */
  rebuilt(): void {
    this.analysis?.dispose();
    this.analysis = null;
    this.summarizedStep = -1;
    this.historyStep = -1;
    this.samples = [];
    this.traces = [];
    const live = this.explorer.live;
    if (!live) {
      // Networks: the surface particles' views have nothing to show (the network views do).
      if (this.explorer.networks)
        for (const v of this.explorer.state.views)
          if (!NETWORK_VIEWS.includes(v))
            this.dock.panel(v).status.textContent = 'the particles are networks: open the Network views (map, loss curves, sharpness, sweep)';
      return;
    }
    // A new device (a lost one re-created, or the CPU fallback): the runs start over on it.
    if (this.jobs.setDevice(live.device)) this.lrFinderKey = '';
    const { setup, run } = live;
    const bins = lrBins(setup.layout);
    this.shown = shownBins(bins, this.explorer.state.lossLrs, SHOWN_BINS);
    const selected = Uint32Array.from(new Set(this.shown.map((b) => binRepresentative(bins.binning, run.n, b))));
    const mapping = this.explorer.meshMapping;
    const histogram = lossHistogram(setup.surface, mapping ?? { lossMin: 0, lossTop: 1 });
    this.analysis = new LiveAnalysis(run, setup, bins, histogram, selected);
    this.sync();
  }

  /** Once per frame, after the frame's steps were queued. */
  frame(now: number): void {
    const a = this.analysis;
    const views = this.explorer.state.views;
    // Always recorded (a few particles): a view opened later still shows the whole run.
    a?.afterSteps();
    // A state already reduced (paused, nothing new) is not reduced again.
    const step = this.explorer.steps;
    if (a && (views.includes('sweep') || views.includes('loss')) && now - this.lastSummary > 250 && step !== this.summarizedStep) {
      const req = a.summary();
      if (req) {
        this.lastSummary = now;
        this.summarizedStep = step;
        req.then((r) => a === this.analysis && this.onSummary(a, r.summary, r.step), ignoreStale);
      }
    }
    if (a && (views.includes('loss') || views.includes('sharpness')) && now - this.lastHistory > 500 && step !== this.historyStep) {
      const req = a.history();
      if (req) {
        this.lastHistory = now;
        this.historyStep = step;
        req.then((h) => a === this.analysis && h && this.onHistory(h), ignoreStale);
      }
    }
    this.showEvents(this.jobs.tick());
    this.networks.frame(now);
    this.networkCharts.frame(now);
    for (const name of views) {
      const job = this.jobs.get(name);
      if (job) this.showJob(name, job);
    }
  }

  private showEvents(events: JobEvent[]): void {
    for (const e of events) this.figures.get(e.name)!.panel.status.textContent = jobEventText(e);
  }

  private ensureView(v: ViewName): void {
    const panel = this.dock.panel(v);
    switch (v) {
      case 'sweep':
        if (!this.sweep) {
          this.sweep = new SweepView(panel, CHART);
          this.linkChart(this.sweep.chart);
        }
        break;
      case 'loss':
        if (!this.loss) {
          this.loss = new LossCurvesView(panel, CHART);
          this.lossControls(panel);
        }
        break;
      case 'sharpness':
        this.sharp ??= new SharpnessView(panel, CHART);
        break;
      case 'lrfinder':
        this.lrFinder ??= new LrFinderView(panel, CHART);
        break;
      case 'netmap':
      case 'netloss':
        this.networks.ensure(v, panel);
        break;
      case 'netsharp':
      case 'netsweep':
        this.networkCharts.ensure(v, panel);
        break;
      default:
        if (!this.figures.has(v)) this.figures.set(v, this.makeFigure(v, panel));
    }
  }

  private makeFigure(v: ViewName, panel: ReturnType<ViewDock['panel']>): FigureView {
    const fig = new FigureView(panel, FIGURE);
    if (v === 'map') {
      // Hovering a pixel lights up the live run's particles with that pixel's lr.
      fig.onHover = (p) => {
        const a = this.analysis;
        const axes = this.jobs.mapAxes();
        const lr = p && (axes.x.param === 'lr' ? p.xValue : axes.y.param === 'lr' ? p.yValue : null);
        this.explorer.highlight(a && lr && a.bins.byLr ? { binning: a.bins.binning, bin: nearestBin(a.bins, lr) } : null);
      };
      fig.onZoom = (w) => {
        const axes = this.jobs.mapAxes();
        void this.explorer.apply({ mapWindow: { x: { ...axes.x, min: w.x[0], max: w.x[1] }, y: { ...axes.y, min: w.y[0], max: w.y[1] } } });
      };
      const reset = document.createElement('button');
      reset.type = 'button';
      reset.textContent = 'reset zoom';
      reset.addEventListener('click', () => void this.explorer.apply({ mapWindow: null }));
      panel.controls.appendChild(reset);
      fig.onClick = (p) => {
        const axes = this.jobs.mapAxes();
        const hyper: Record<string, number> = {};
        let start: [number, number] | undefined;
        for (const [a, value] of [
          [axes.x, p.xValue],
          [axes.y, p.yValue],
        ] as const) {
          if (a.param === 'x0' || a.param === 'y0') {
            start ??= [...(this.explorer.state.start ?? this.explorer.surface!.spec.defaultStart)] as [number, number];
            start[a.param === 'x0' ? 0 : 1] = value;
          } else hyper[a.param] = value;
        }
        hyper.lr ??= Math.sqrt(this.explorer.state.lrMin * this.explorer.state.lrMax);
        this.probe(hyper, start);
      };
    } else if (v === 'basins') {
      fig.onClick = (p) => this.probe({ lr: this.jobs.basinLr() }, [p.xValue, p.yValue]);
    } else if (v === 'bifurcation') {
      const select = document.createElement('select');
      select.setAttribute('aria-label', 'bifurcation value');
      for (const k of ['x', 'y', 'loss'] as const) select.add(new Option(k, k));
      select.value = this.explorer.state.bifurcationValue;
      select.addEventListener('change', () => void this.explorer.apply({ bifurcationValue: select.value as ExplorerState['bifurcationValue'] }));
      panel.controls.appendChild(select);
      fig.onClick = (p) => this.probe({ lr: p.xValue });
    }
    return fig;
  }

  /** A text field for the lrs whose bins the loss curves show (empty: spread over the range). */
  private lossControls(panel: ReturnType<ViewDock['panel']>): void {
    const input = document.createElement('input');
    input.type = 'text';
    input.size = 16;
    input.placeholder = 'η: e.g. 0.01, 0.1';
    input.setAttribute('aria-label', 'loss curves lrs');
    input.value = this.explorer.state.lossLrs.join(', ');
    input.addEventListener('change', async () => {
      let lrs: number[];
      try {
        lrs = parseLrList(input.value);
      } catch (e) {
        panel.status.textContent = (e as Error).message;
        return;
      }
      const error = await this.explorer.apply({ lossLrs: lrs });
      if (error) panel.status.textContent = error;
    });
    panel.controls.appendChild(input);
  }

  /** Hover an lr on a chart: its bin lights up in 3-D; click: a probe with that lr. */
  private linkChart(chart: { onHover: ((x: number | null) => void) | null; onClick: ((x: number) => void) | null }): void {
    chart.onHover = (lr) => {
      const a = this.analysis;
      if (!a || lr === null || !a.bins.byLr) {
        this.explorer.highlight(null);
        return;
      }
      this.explorer.highlight({ binning: a.bins.binning, bin: nearestBin(a.bins, lr) });
    };
    chart.onClick = (lr) => this.probe({ lr });
  }

  private probe(hyper: Record<string, number>, start?: [number, number]): void {
    const hit = this.explorer.spawnProbe({ hyper, start });
    if (hit) this.onProbe(hit.particle, hit.curve);
  }

  private onSummary(a: LiveAnalysis, s: Parameters<typeof sweepStats>[0], step: number): void {
    const names = a.surface.minima.map((m) => m.name);
    const stats = sweepStats(s, a.histogram, a.bins, names);
    if (this.sweep && this.explorer.state.views.includes('sweep')) {
      this.sweep.update(stats, a.surface.minima, sweepNote(step, stats.converged, a.histogram.offset ?? 0));
    }
    this.samples.push({ step, median: stats.median, q10: stats.q10, q90: stats.q90 });
    if (this.samples.length > MAX_SAMPLES) this.samples = this.samples.filter((_, k) => k % 2 === 0 || k === this.samples.length - 1);
    this.drawLoss();
  }

  private onHistory(h: HistoryData): void {
    const live = this.explorer.live;
    if (!live) return;
    const p = live.setup.particles;
    this.traces = Array.from({ length: h.count }, (_, j) => {
      const t = particleHistory(h, j);
      return {
        index: t.index,
        lr: p.hyper[t.index * p.hyperStride],
        steps: Array.from(t.step),
        loss: Array.from(t.loss),
        sharpness: Array.from(t.sharpness),
        lrUsed: Array.from(t.lr),
      };
    });
    this.drawLoss();
    if (this.sharp && this.explorer.state.views.includes('sharpness')) {
      const s = this.explorer.state;
      this.sharp.update(sharpnessChartData(this.traces, [s.lrMin, s.lrMax], s.particleColormap), SHARPNESS_NOTE);
    }
  }

  private drawLoss(): void {
    const a = this.analysis;
    if (!a || !this.loss || !this.explorer.state.views.includes('loss')) return;
    const s = this.explorer.state;
    const data = lossChartData(this.samples, a.bins.lr, this.shown, this.traces, [s.lrMin, s.lrMax], s.particleColormap);
    this.loss.update(data, lossCurvesNote(this.shown.length));
  }

  // ------------------------------------------------------------ runs of their own

  /** Draws a job's new image (once) and its status line. */
  private showJob(name: ViewName, job: ViewJob): void {
    const fig = this.figures.get(name)!;
    if (job.kind === 'bifurcation') {
      const r = job.runner.result;
      if (r && this.shownImage.get(name) !== r) {
        this.shownImage.set(name, r);
        const l = job.runner.spec.layout;
        const h = r.histogram;
        const x: MapAxis = { param: 'lr', min: r.binLr[0]!.lrMid, max: r.binLr[r.bins - 1]!.lrMid, n: r.bins, scale: 'log' };
        const y = h.log ? valueAxis(`log10(loss − ${formatNumber(h.offset ?? 0)})`, h.lo, h.hi, h.buckets) : valueAxis(h.value, h.lo, h.hi, h.buckets);
        const text = bifurcationText(job.runner.spec.record, l.n, l.start);
        fig.show(x, y, { image: densityImage(r), title: text.title, legend: densityLegend(), notes: [text.note] });
      }
    } else {
      const img = job.runner.latest;
      if (img && this.shownImage.get(name) !== img) {
        this.shownImage.set(name, img);
        const surface = this.explorer.surface!;
        const steps = this.explorer.state.mapSteps;
        fig.show(img.layout.x, img.layout.y, {
          image: img,
          title: mapTitle(job.kind, steps, this.jobs.basinLr(), job.runner.precision),
          legend: job.kind === 'basins' ? basinLegend(surface.minima) : outcomeLegend(steps),
        });
      }
    }
    fig.panel.status.textContent = jobStatus(job);
  }

  private ensureLrFinder(): void {
    const live = this.explorer.live;
    if (!live || !this.lrFinder) return;
    const spec = lrFinderSpec({ state: this.explorer.state, surface: live.setup.surface, mode: this.explorer.mode, meshMapping: this.explorer.meshMapping });
    const key = specKey(spec, this.explorer.mode);
    if (key === this.lrFinderKey) return;
    this.lrFinderKey = key;
    const view = this.lrFinder;
    view.panel.status.textContent = LR_FINDER_RUNNING;
    this.lrFinderRun = runLrFinder(spec, live.device).then(
      (c) => key === this.lrFinderKey && view.update(c.curve, c.note),
      (e) => (view.panel.status.textContent = couldNotRun((e as Error).message)),
    );
  }

  /**
   * For a recording (the frame loop is held): brings view `name` up to date with the run
   * as it is now and returns what it shows, the picture its PNG export saves. The run's
   * views are reduced from this very step; views with runs of their own are waited on
   * until their run is complete, so a frame never depends on the machine's speed.
   */
  async picture(name: ViewName): Promise<HTMLCanvasElement | null> {
    const a = this.analysis;
    if (!a || !this.explorer.state.views.includes(name)) return null;
    this.ensureView(name);
    if (name === 'sweep' || name === 'loss' || name === 'sharpness') {
      a.afterSteps(); // the histories' sample of this step (the loop that records it is held)
      if (name !== 'sharpness') {
        const r = await untilFree(() => a.summary());
        if (a !== this.analysis) return null;
        this.onSummary(a, r.summary, r.step);
      }
      if (name !== 'sweep') {
        const h = await untilFree(() => a.history());
        if (a !== this.analysis) return null;
        if (h) this.onHistory(h);
      }
    } else if (name === 'lrfinder') {
      this.ensureLrFinder();
      await this.lrFinderRun;
    } else {
      while (this.jobs.computing(name)) {
        this.showEvents(this.jobs.tick());
        await new Promise((r) => setTimeout(r, 0));
      }
      const job = this.jobs.get(name);
      if (job) this.showJob(name, job);
      return this.figures.get(name)?.current ? this.figures.get(name)!.canvas : null;
    }
    await new Promise((r) => setTimeout(r, 0)); // uPlot draws on a microtask
    const view = { sweep: this.sweep, loss: this.loss, sharpness: this.sharp, lrfinder: this.lrFinder }[name];
    return view ? chartPicture(view.chart) : null;
  }

  /** Whether a view's own run is still computing (benchmarks and tests). */
  computing(name: ViewName): boolean {
    return this.jobs.computing(name);
  }

  /** For tests and exports: the data a chart view shows (null before it draws). */
  chartData(name: 'sweep' | 'loss' | 'sharpness' | 'lrfinder' | 'netsharp' | 'netsweep'): ChartData | null {
    if (name === 'netsharp' || name === 'netsweep') return this.networkCharts.chartData(name);
    const view = { sweep: this.sweep, loss: this.loss, sharpness: this.sharp, lrfinder: this.lrFinder }[name];
    return view?.data() ?? null;
  }

  /** For tests and exports: the image and axes a figure view shows (null before it draws). */
  figureData(name: ViewName): ReturnType<FigureView['data']> {
    return this.figures.get(name)?.data() ?? null;
  }

  /** For tests: whether every open view has drawn. */
  get drawn(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const v of this.explorer.state.views) {
      if (v === 'sweep') out[v] = !!this.sweep?.chart.root;
      else if (v === 'loss') out[v] = !!this.loss?.chart.root && this.samples.length > 1;
      else if (v === 'sharpness') out[v] = !!this.sharp?.chart.root && this.traces.length > 0;
      else if (v === 'lrfinder') out[v] = !!this.lrFinder?.chart.root;
      else if (v === 'netmap' || v === 'netloss') out[v] = this.networks.drawn[v];
      else if (v === 'netsharp' || v === 'netsweep') out[v] = this.networkCharts.drawn[v];
      else out[v] = this.figures.get(v)?.current !== null && this.shownImage.has(v);
    }
    return out;
  }
}

/** A request's answer, asking again while one is in flight (null). */
async function untilFree<T>(request: () => Promise<T> | null): Promise<T> {
  for (;;) {
    const r = request();
    if (r) return r;
    await new Promise((done) => setTimeout(done, 1));
  }
}

function ignoreStale(e: unknown): void {
  if (!(e instanceof StaleRun)) console.warn(`views: ${(e as Error).message}`);
}
