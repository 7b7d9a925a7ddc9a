// The views' runs of their own (map, basins, bifurcation diagram): each built from the
// explorer's state, restarted only when its inputs change, ticked once per frame within
// a budget, dropped when its view closes or the device changes. No DOM and no text:
// the view driver shows their images, view-status.ts words their state.

import type { MapAxis } from '../display/map-figure';
import { BifurcationRunner } from '../gpu/bifurcation-runner';
import { runBackend } from '../gpu/device';
import { MapRunner, type ProductLayout } from '../gpu/map-runner';
import { optimizerFor, runConfig } from '../model/setup';
import type { ViewName } from '../model/views';
import type { Explorer } from './explorer';
import { lossHistogram } from './view-data';

export type ViewJob = { kind: 'map' | 'basins'; runner: MapRunner; key: string } | { kind: 'bifurcation'; runner: BifurcationRunner; key: string };

/** What happened to a view's job: the view's status line says it. */
export type JobEvent = { name: ViewName; started: true } | { name: ViewName; error: string };

/** Particle-steps a job may run per frame (GPU / CPU fallback). */
const BUDGET = { gpu: 1_500_000, cpu: 40_000 };

export class ViewJobs {
  private jobs = new Map<ViewName, ViewJob>();
  private device: unknown = undefined;

  constructor(private readonly explorer: Explorer) {}

  get(name: ViewName): ViewJob | undefined {
    return this.jobs.get(name);
  }

  /** Whether a view's own run is still computing (benchmarks and tests). */
  computing(name: ViewName): boolean {
    const job = this.jobs.get(name);
    return !!job && !job.runner.finished;
  }

  /** A new device (a lost one re-created, or the CPU fallback): every run starts over on it. Returns whether it was new. */
  setDevice(device: unknown): boolean {
    if (device === this.device) return false;
    this.device = device;
    for (const job of this.jobs.values()) job.runner.destroy();
    this.jobs.clear();
    return true;
  }

  /** After a change of state: drops the jobs of closed views, (re)starts those whose inputs changed. */
  sync(): JobEvent[] {
    const views = this.explorer.state.views;
    for (const [name, job] of this.jobs) {
      if (!views.includes(name)) {
        job.runner.destroy();
        this.jobs.delete(name);
      }
    }
    const events: JobEvent[] = [];
    if (views.includes('map')) this.ensureMap('map', events);
    if (views.includes('basins')) this.ensureMap('basins', events);
    if (views.includes('bifurcation')) this.ensureBifurcation(events);
    return events;
  }

  /** Once per frame: every job ticks within the budget; one that fails is dropped and reported. */
  tick(): JobEvent[] {
    const budget = this.explorer.mode === 'gpu' ? BUDGET.gpu : BUDGET.cpu;
    const failed: JobEvent[] = [];
    for (const [name, job] of this.jobs) {
      try {
        job.runner.tick(budget);
      } catch (e) {
        failed.push({ name, error: (e as Error).message });
        job.runner.destroy();
        this.jobs.delete(name);
      }
    }
    return failed;
  }

  /** The map's axes: the zoomed window, else lr (log) x the particles panel's map axis. */
  mapAxes(): { x: Required<Omit<MapAxis, 'n'>>; y: Required<Omit<MapAxis, 'n'>> } {
    const s = this.explorer.state;
    if (s.mapWindow) return s.mapWindow;
    return { x: { param: 'lr', min: s.lrMin, max: s.lrMax, scale: 'log' as const }, y: { param: s.mapParam, min: s.mapMin, max: s.mapMax, scale: 'linear' as const } };
  }

  /** The lr every basin run uses. */
  basinLr(): number {
    const s = this.explorer.state;
    return s.basinLr ?? Math.sqrt(s.lrMin * s.lrMax);
  }

  private mapLayout(kind: 'map' | 'basins'): ProductLayout | null {
    const s = this.explorer.state;
    const surface = this.explorer.surface;
    if (!surface) return null;
    const res = this.explorer.mode === 'gpu' ? s.mapRes : Math.min(s.mapRes, 48);
    if (kind === 'basins') {
      const d = surface.spec.domain;
      return { kind: 'product', start: [0, 0], x: { param: 'x0', min: d[0], max: d[1], n: res, scale: 'linear' }, y: { param: 'y0', min: d[2], max: d[3], n: res, scale: 'linear' } };
    }
    const a = this.mapAxes();
    return { kind: 'product', start: s.start ?? surface.spec.defaultStart, x: { ...a.x, n: res }, y: { ...a.y, n: res } };
  }

  private ensureMap(kind: 'map' | 'basins', events: JobEvent[]): void {
    const live = this.explorer.live;
    const layout = this.mapLayout(kind);
    if (!live || !layout) return;
    const s = this.explorer.state;
    const key = JSON.stringify([kind, layout, s.surface, s.surfaceParams, s.optimizer, s.hyper, s.schedule, s.mapSteps, s.clipNorm, s.clipValue, s.noise, s.batchSize, s.samRho, s.seed, kind === 'basins' ? this.basinLr() : 0, this.explorer.mode]);
    this.start(kind, key, events, () => {
      const base = { ...s.hyper, ...(s.lrY !== null ? { lr_y: s.lrY } : {}), ...(kind === 'basins' ? { lr: this.basinLr() } : {}) };
      const runner = new MapRunner(
        { surface: live.setup.surface, optimizer: optimizerFor(s, [layout.x.param, layout.y.param]), base, config: runConfig(s), layout, steps: s.mapSteps, coloring: kind === 'basins' ? 'basin' : 'outcome', coarse: 32 },
        runBackend(live.device),
      );
      return { kind, runner, key };
    });
  }

  private ensureBifurcation(events: JobEvent[]): void {
    const live = this.explorer.live;
    if (!live) return;
    const s = this.explorer.state;
    const surface = live.setup.surface;
    const gpu = this.explorer.mode === 'gpu';
    const n = gpu ? 4096 : 512;
    const bins = gpu ? 256 : 128;
    const d = surface.spec.domain;
    const value = s.bifurcationValue;
    const histogram = value === 'loss'
      ? lossHistogram(surface, this.explorer.meshMapping ?? { lossMin: 0, lossTop: 1 }, 200)
      : { value, buckets: 200, lo: value === 'x' ? d[0] : d[2], hi: value === 'x' ? d[1] : d[3] } as const;
    const start = s.start ?? surface.spec.defaultStart;
    const key = JSON.stringify([s.surface, s.surfaceParams, s.optimizer, s.hyper, s.schedule, s.lrMin, s.lrMax, start, value, s.clipNorm, s.clipValue, s.noise, s.seed, this.explorer.mode]);
    this.start('bifurcation', key, events, () => {
      const runner = new BifurcationRunner(
        {
          surface, optimizer: optimizerFor(s), base: { ...s.hyper }, config: runConfig(s),
          layout: { kind: 'sweep', start, lrMin: s.lrMin, lrMax: s.lrMax, n }, bins, histogram, transient: 500, record: 64,
        },
        runBackend(live.device),
      );
      return { kind: 'bifurcation', runner, key };
    });
  }

  /** Replaces a view's run unless the one going has the same inputs (`key`); a run that cannot start is reported. */
  private start(name: ViewName, key: string, events: JobEvent[], make: () => ViewJob): void {
    if (this.jobs.get(name)?.key === key) return;
    this.jobs.get(name)?.runner.destroy();
    this.jobs.delete(name);
    try {
      this.jobs.set(name, make());
      events.push({ name, started: true });
    } catch (e) {
      events.push({ name, error: (e as Error).message });
    }
  }
}
