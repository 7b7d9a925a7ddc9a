// The run: builds the live run for a state (the WebGPU engine, or the CPU reference in a
// Worker), swaps it in, steps it, and keeps the snapshot a device loss resumes from.

import { CpuEngine } from '../core/engine/cpu';
import type { ParticleState, RunConfig } from '../core/particles';
import { budgetState, type Budgeted } from '../model/budget';
import { buildRun, runConfig, type RunSetup } from '../model/setup';
import { MAX_FALLBACK_PARTICLES, type ExplorerState } from '../model/state';
import type { Graphics } from './graphics';
import { GpuRun, WorkerRun, type LiveRun } from './runs';

export type Snapshot = { state: ParticleState; steps: number };

/** How often a snapshot is read back (ms). */
const SNAPSHOT_EVERY = 2000;

export class RunControl {
  run: LiveRun | null = null;
  /** What the run was built from (null for a run of networks: they are not on a surface). */
  setup: RunSetup | null = null;
  /** The latest state read back for device-loss recovery (null before the first). */
  snapshot: Snapshot | null = null;
  /** Bumped per build, so an older async build cannot overwrite a newer one. */
  private generation = 0;
  private snapshotBusy = false;
  private lastSnapshot = 0;

  constructor(private readonly graphics: Graphics) {}

  /** Particles the engine on hand runs for `state` (the CPU fallback has a cap). */
  particleCount(state: ExplorerState): number {
    return this.graphics.mode === 'cpu' ? Math.min(state.n, MAX_FALLBACK_PARTICLES) : state.n;
  }

  /** The budget for `state` on the engine and device on hand (steps per frame lowered to fit, or refused). */
  budget(state: ExplorerState): Budgeted {
    const handle = this.graphics.handle;
    return budgetState(state, { software: this.graphics.software, limits: handle?.limits ?? null, particles: this.particleCount(state) });
  }

  /**
   * A run for `state` (resumed from `resume` when its particle count matches), not yet
   * current: an error message when the state cannot run; null when a later build began
   * meanwhile (this one is dropped).
   */
  async build(state: ExplorerState, resume?: Snapshot): Promise<{ run: LiveRun; setup: RunSetup } | { error: string } | null> {
    const gen = ++this.generation;
    let setup: RunSetup;
    try {
      setup = buildRun(state, this.particleCount(state));
    } catch (e) {
      return { error: (e as Error).message };
    }
    const resumed = resume && resume.state.n === setup.particles.n ? resume : undefined;
    const particles = resumed?.state ?? setup.particles;
    const config = runConfig(state);
    const handle = this.graphics.handle;
    let run: LiveRun;
    try {
      if (handle) {
        // A buffer or pipeline the device refuses is an error here, not a run that reports it runs.
        const { device } = handle;
        device.pushErrorScope('out-of-memory');
        device.pushErrorScope('validation');
        let created: GpuRun | null = null;
        let thrown: unknown = null;
        try {
          created = await GpuRun.create(
            handle,
            this.graphics.renderer,
            { surface: setup.surface, optimizer: setup.optimizer, particles, config },
            { firstStep: resumed?.steps, trails: state.trails, trailLength: state.trailLength },
          );
        } catch (e) {
          thrown = e;
        }
        const invalid = await device.popErrorScope();
        const oom = await device.popErrorScope();
        const gpuError = invalid ?? oom;
        if (thrown || gpuError) {
          created?.dispose();
          return { error: thrown ? (thrown as Error).message : `the GPU refused the run: ${gpuError!.message}` };
        }
        run = created!;
      } else {
        run = new WorkerRun({ kind: 'init', state, n: setup.particles.n, snapshot: resumed?.state }, initialState(setup, particles, config), resumed?.steps);
      }
    } catch (e) {
      return { error: (e as Error).message };
    }
    if (gen !== this.generation) {
      run.dispose();
      return null;
    }
    return { run, setup };
  }

  /** Makes a built run current; the previous one is disposed. */
  install(run: LiveRun, setup: RunSetup | null): void {
    this.run?.dispose();
    this.run = run;
    this.setup = setup;
    this.snapshot = null;
  }

  get steps(): number {
    return this.run?.stepsDone ?? 0;
  }

  /** Every ~2 s, a state snapshot for device-loss recovery: started here, never awaited here. */
  takeSnapshot(): void {
    const now = performance.now();
    const run = this.run;
    if (this.snapshotBusy || now - this.lastSnapshot < SNAPSHOT_EVERY || !run || run.kind !== 'gpu') return;
    this.snapshotBusy = true;
    this.lastSnapshot = now;
    const steps = run.stepsDone;
    run
      .read()
      .then(
        (state) => {
          if (run === this.run) this.snapshot = { state, steps };
        },
        () => {},
      )
      .finally(() => {
        this.snapshotBusy = false;
      });
  }

  /** After a device loss: the run's buffers died with the device; it is forgotten, not disposed. */
  drop(): void {
    this.run = null;
  }

  dispose(): void {
    this.run?.dispose();
    this.run = null;
  }
}

function initialState(setup: RunSetup, particles: ParticleState, config: RunConfig): ParticleState {
  const engine = new CpuEngine({ surface: setup.surface, optimizer: setup.optimizer, particles, config });
  engine.step(0);
  return engine.state;
}
