// The views' runs of their own (map, basins, bifurcation diagram): each built from the
// explorer's state, restarted only when its inputs change, ticked once per frame within
// a budget, dropped when its view closes or the device changes. No DOM and no text:
// the view driver shows their images, view-status.ts words their state.

import { BifurcationRunner } from '../gpu/bifurcation-runner';
import { runBackend } from '../gpu/device';
import { MapRunner } from '../gpu/map-runner';
import type { ViewName } from '../model/views';
import type { Explorer } from './explorer';
import { basinLr, bifurcationSpec, mapAxes, mapSpec, specKey, type ViewInputs } from './view-specs';

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
  mapAxes(): ReturnType<typeof mapAxes> {
    return mapAxes(this.explorer.state);
  }

  /** The lr every basin run uses. */
  basinLr(): number {
    return basinLr(this.explorer.state);
  }

  /** What the specs are built from (null before the first run). */
  private inputs(): ViewInputs | null {
    const surface = this.explorer.surface;
    return surface ? { state: this.explorer.state, surface, mode: this.explorer.mode, meshMapping: this.explorer.meshMapping } : null;
  }

  private ensureMap(kind: 'map' | 'basins', events: JobEvent[]): void {
    const live = this.explorer.live;
    const inputs = this.inputs();
    if (!live || !inputs) return;
    this.start(
      kind,
      events,
      () => mapSpec(kind, inputs),
      (spec, key) => ({ kind, runner: new MapRunner(spec, runBackend(live.device)), key }),
    );
  }

  private ensureBifurcation(events: JobEvent[]): void {
    const live = this.explorer.live;
    const inputs = this.inputs();
    if (!live || !inputs) return;
    this.start(
      'bifurcation',
      events,
      () => bifurcationSpec(inputs),
      (spec, key) => ({ kind: 'bifurcation', runner: new BifurcationRunner(spec, runBackend(live.device)), key }),
    );
  }

  /**
   * Replaces a view's run unless the one going was built from an equal spec (its key,
   * specKey of the spec itself); a spec or run that cannot be made is reported.
   */
  private start<S extends object>(name: ViewName, events: JobEvent[], build: () => S, make: (spec: S, key: string) => ViewJob): void {
    try {
      const spec = build();
      const key = specKey(spec, this.explorer.mode);
      if (this.jobs.get(name)?.key === key) return;
      this.jobs.get(name)?.runner.destroy();
      this.jobs.delete(name);
      this.jobs.set(name, make(spec, key));
      events.push({ name, started: true });
    } catch (e) {
      this.jobs.get(name)?.runner.destroy();
      this.jobs.delete(name);
      events.push({ name, error: (e as Error).message });
    }
  }
}
