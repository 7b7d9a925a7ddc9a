// The explorer: the device and renderer (graphics.ts), the live run (run-control.ts)
// and the frame (frame.ts) put together. It applies state changes, runs the frame loop,
// and rebuilds the run when the device is lost. Bad input leaves the previous run going.
// Long because apply, the loop, loss recovery, the held-loop primitives and the run of
// networks (its build, its plane, re-centring) share the state, budget and stop flags;
// splitting them would pass those around. (Networks: network-run.ts, model/network.ts.)

import { particleAt } from '../core/particles';
import type { Surface } from '../core/surfaces';
import { requestDevice, type DeviceHandle } from '../gpu/device';
import { GpuTimer } from '../gpu/timing';
import type { Mapping } from '../display/mapping';
import type { SurfaceView } from '../render/scene';
import type { RunSetup } from '../model/setup';
import { MAX_FALLBACK_PARTICLES, type ExplorerState } from '../model/state';
import { changedKeys, keysOf, RUN_KEYS } from '../model/state-keys';
import { particleColors } from '../model/setup';
import { buildNetworkRun, networkColors } from '../model/network';
import { Frame, type Highlight } from './frame';
import { Graphics } from './graphics';
import { lossCurve, nearestOnScreen, ProbeLayer, type Probe } from './probes';
import { RunControl, type Snapshot } from './run-control';
import { NetworkRun } from './network-run';
import type { LiveRun } from './runs';

export interface ExplorerEvents {
  notice(text: string | null): void;
  frame(stats: FrameStats): void;
  /** `surface`: null when the particles are networks (the plane is drawn). */
  rebuilt(info: { n: number; surface: Surface | null; mode: 'gpu' | 'cpu' }): void;
  /** After any accepted change of state. */
  changed(state: ExplorerState): void;
}

export interface FrameStats {
  step: number;
  n: number;
  fps: number;
  stepsPerSecond: number;
  mode: 'gpu' | 'cpu';
  adapter: string;
  playing: boolean;
}

/** One frame timed on the GPU: its steps, then drawing it (timestamp queries, else the wait for the queue). */
export interface TimedFrame {
  computeMs: number;
  renderMs: number;
  method: 'timestamp' | 'wait';
}

/** Run keys that also change the surface mesh (a new surface). */
const SURFACE_DEFINITION: (keyof ExplorerState)[] = ['surface', 'surfaceParams'];

export class Explorer {
  state: ExplorerState;
  playing = true;
  readonly graphics: Graphics;
  readonly runs: RunControl;
  readonly frame: Frame;
  private readonly probes: ProbeLayer;
  private frameTimes: number[] = [];
  private stepsAt: { t: number; steps: number }[] = [];
  private raf = 0;
  private pendingSteps = 0;
  private disposed = false;
  private recovering = false;
  /** The step the run had reached when the device was lost (the counter shows it while recovering). */
  private lostAt: number | null = null;
  /** A GPU error stopped the run (null: none); a rebuild starts it again. */
  private stoppedFor: string | null = null;
  /** What the budget changed in the last state applied (steps per frame lowered), for the notice; null: nothing. */
  adjustment: string | null = null;
  /** Why create() ran its fallback state instead of the one asked for (null: it did not). */
  refused: string | null = null;
  /** Why the frame loop is held (a recording, a snapshot, a timed frame); null while it runs. */
  private heldFor: string | null = null;
  /** The live run when its particles are networks (state.model set); null for surfaces. */
  private net: NetworkRun | null = null;
  /** Bumped per network build, so an older async build cannot install over a newer one. */
  private netGeneration = 0;

  private constructor(
    canvas: HTMLCanvasElement,
    state: ExplorerState,
    handle: DeviceHandle | null,
    private readonly events: ExplorerEvents,
  ) {
    this.state = state;
    this.graphics = new Graphics(canvas, handle, (view) => this.prepareView(view));
    this.graphics.onLost = (info) => void this.recover(info);
    this.graphics.onError = (message) => this.stop(message);
    this.runs = new RunControl(this.graphics);
    this.frame = new Frame(this.graphics);
    this.probes = new ProbeLayer(() => this.graphics.view);
  }

  /**
   * `fallback`: the state to run instead when the budget refuses `state` on this device
   * (a shared link asking too much); the reason is then in `refused`.
   */
  static async create(
    canvas: HTMLCanvasElement,
    state: ExplorerState,
    events: ExplorerEvents,
    gpu: GPU | undefined = navigator.gpu,
    fallback?: ExplorerState,
  ): Promise<Explorer> {
    let handle: DeviceHandle | null = null;
    let reason = '';
    try {
      handle = await requestDevice(gpu);
    } catch (e) {
      reason = (e as Error).message;
    }
    const ex = new Explorer(canvas, state, handle, events);
    await ex.graphics.init();
    const notes: string[] = [];
    if (!handle) notes.push(`${reason}. Running the CPU reference engine in a Worker, at most ${MAX_FALLBACK_PARTICLES} particles.`);
    // The budget before any work: a link asking for more than a frame can do is lowered (or refused).
    let budgeted = ex.runs.budget(state);
    if ('error' in budgeted && fallback) {
      ex.refused = budgeted.error;
      ex.state = fallback;
      budgeted = ex.runs.budget(fallback);
    }
    if ('error' in budgeted) {
      ex.dispose();
      throw new Error(budgeted.error);
    }
    ex.adjustment = budgeted.changes.join('; ') || null;
    if (ex.adjustment) notes.push(`Changed to fit this device: ${ex.adjustment}.`);
    if (notes.length) events.notice(notes.join(' '));
    const error = await ex.rebuild(budgeted.state, true);
    if (error) throw new Error(error);
    ex.loop();
    return ex;
  }

  /** The canvas drawn into (replaced if the GPU is lost for good). */
  get canvasElement(): HTMLCanvasElement {
    return this.graphics.canvas;
  }

  get mode(): 'gpu' | 'cpu' {
    return this.graphics.mode;
  }

  /** Each new surface view (at start, after a device loss) gets the state's camera and reports orbits. */
  private prepareView(view: SurfaceView): void {
    view.setTopDown(this.state.topDown);
    if (this.state.camera) view.setCamera(this.state.camera);
    // The user's orbit becomes part of the state (shared links keep the view).
    view.controls.addEventListener('end', () => {
      this.state = { ...this.state, camera: view.getCamera() };
      this.events.changed(this.state);
    });
    this.resize();
  }

  /**
   * A lost device is re-created, with renderer and pipelines; the run resumes from the
   * last snapshot and is replayed (the runs are deterministic) to the exact step it had
   * reached, so nothing is lost. If no GPU comes back, the page carries on with the CPU
   * reference rather than a frozen picture.
   */
  private async recover(info: GPUDeviceLostInfo): Promise<void> {
    if (this.disposed) return;
    this.recovering = true;
    this.events.notice(`The GPU device was lost (${info.reason || 'unknown'}: ${info.message}). Re-creating it and resuming…`);
    const snapshot = this.runs.snapshot ?? undefined;
    const reached = this.runs.steps;
    this.lostAt = reached;
    this.runs.drop();
    this.frame.drop();
    try {
      const { lostFor } = await this.graphics.reopen();
      // The CPU fallback resumes only a snapshot of as many particles as it runs.
      const error = await this.rebuild(this.state, true, snapshot);
      const from = this.runs.steps;
      if (!error) this.replay(reached - from);
      const origin = from > 0 ? `the snapshot at step ${from}` : 'the start';
      if (error) this.events.notice(`Could not resume after losing the GPU device: ${error}`);
      else if (!lostFor)
        this.events.notice(`The GPU device was lost and re-created; replayed from ${origin} to step ${reached}, where the run was: nothing lost.`);
      else
        this.events.notice(
          `The GPU device was lost and could not be re-created (${lostFor}). Running the CPU reference engine in a Worker, at most ${MAX_FALLBACK_PARTICLES} particles, replayed from ${origin} to step ${reached}.`,
        );
    } catch (e) {
      this.events.notice(`The GPU device was lost and could not be re-created: ${(e as Error).message}`);
    } finally {
      this.recovering = false;
      this.lostAt = null;
    }
  }

  /** Queues k steps in dispatches no longer than a frame's budgeted steps (no single long dispatch). */
  private replay(k: number): void {
    const run = this.runs.run;
    const chunk = Math.max(1, this.state.stepsPerFrame);
    for (let left = k; run && left > 0; left -= chunk) run.step(Math.min(chunk, left));
  }

  /** A GPU error: the run stops (it may compute garbage) and the notice says why. */
  private stop(message: string): void {
    if (this.stoppedFor || this.disposed) return;
    this.stoppedFor = message;
    this.playing = false;
    this.events.notice(`The GPU reported an error, so the run is stopped: ${message}. Change a setting or reset to start again.`);
  }

  /** Why the run is stopped by a GPU error (null: it is not). */
  get stopped(): string | null {
    return this.stoppedFor;
  }

  /**
   * Applies a change. Returns an error message (and keeps the previous run) when the
   * new state cannot run: a malformed expression, an out-of-range value.
   */
  async apply(change: Partial<ExplorerState>): Promise<string | null> {
    if (this.heldFor) return this.heldFor;
    this.adjustment = null;
    const previous = this.state;
    let next = { ...previous, ...change };
    const changed = (keys: (keyof ExplorerState)[]) => changedKeys(previous, next, keys).length > 0;
    // The budget before any work (the same for a link, setState, a file and the panel).
    if (changed(RUN_KEYS) || changed(['stepsPerFrame'])) {
      const budgeted = this.runs.budget(next);
      if ('error' in budgeted) return budgeted.error;
      next = budgeted.state;
      this.adjustment = budgeted.changes.join('; ') || null;
      if (this.adjustment) this.events.notice(`Changed to fit this device: ${this.adjustment}.`);
    }
    const surfaceLook = keysOf('surface');
    if (changed(RUN_KEYS)) {
      // Only the keys that define the run build the particles again (state-keys.ts).
      const error = await this.rebuild(next, changed(SURFACE_DEFINITION) || changed(surfaceLook) || this.frame.mesh === null);
      if (error) return error;
    } else {
      // A look: redrawn, the particles keep their places and the step count goes on.
      this.state = next;
      const { run, setup } = this.runs;
      if (changed(surfaceLook) && setup) {
        this.clearProbe();
        this.frame.setSurface(setup.surface, next);
      }
      if (changed(surfaceLook) && this.net) {
        // The networks' plane (its centre, directions, resolution) or how it is drawn.
        const error = await this.drawPlane(this.net, next);
        if (error) {
          this.state = previous;
          return error;
        }
      }
      if (changed(['particleColormap']) && run && setup) this.frame.recolor(particleColors(setup.particles, next), run);
      if (changed(['particleColormap']) && this.net) this.frame.recolor(networkColors(this.net.built.lr, next), this.net);
      this.frame.look(this.state);
      if (changed(['camera']) && next.camera === null) this.graphics.view.frame();
    }
    this.events.changed(this.state);
    return null;
  }

  /** Builds particles for `state` (and the surface mesh when needed); the state becomes current on success. */
  private async rebuild(state: ExplorerState, newSurface: boolean, resume?: Snapshot): Promise<string | null> {
    // Networks start from step 0 (a device loss replays them: the runs are deterministic).
    if (state.model !== '') return this.rebuildNetworks(state);
    const built = await this.runs.build(state, resume);
    if (!built) return null;
    if ('error' in built) return built.error;
    this.state = state;
    if (newSurface || !this.frame.mesh || this.net) {
      this.net = null;
      this.clearProbe();
      this.frame.setSurface(built.setup.surface, state);
    }
    this.runs.install(built.run, built.setup);
    if (this.stoppedFor) {
      this.stoppedFor = null;
      this.playing = true;
    }
    this.frame.attach(built.run, particleColors(built.setup.particles, state), state);
    this.stepsAt = [];
    this.events.rebuilt({ n: built.run.n, surface: built.setup.surface, mode: this.mode });
    return null;
  }

  /** Builds and installs a run of networks for `state`, with its plane drawn (an error message when it cannot run). */
  private async rebuildNetworks(state: ExplorerState): Promise<string | null> {
    const gen = ++this.netGeneration;
    const handle = this.graphics.handle;
    if (!handle) return 'networks as particles need WebGPU (the CPU fallback runs the surfaces only)';
    const { device } = handle;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let thrown: unknown = null;
    let created: NetworkRun | null = null;
    try {
      created = await NetworkRun.create(handle, this.graphics.renderer, buildNetworkRun(state, this.runs.particleCount(state)), {
        trails: state.trails,
        trailLength: state.trailLength,
      });
    } catch (e) {
      thrown = e;
    }
    const gpuError = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (thrown || gpuError || !created) {
      created?.dispose();
      return thrown ? (thrown as Error).message : `the GPU refused the networks: ${gpuError?.message ?? 'unknown error'}`;
    }
    const run = created;
    const error = await this.drawPlane(run, state);
    if (error || gen !== this.netGeneration) {
      run.dispose();
      return error;
    }
    this.state = state;
    this.clearProbe();
    this.runs.install(run, null);
    this.net = run;
    if (this.stoppedFor) {
      this.stoppedFor = null;
      this.playing = true;
    }
    this.frame.attach(run, networkColors(run.built.lr, state), state);
    this.stepsAt = [];
    this.events.rebuilt({ n: run.n, surface: null, mode: this.mode });
    return null;
  }

  /** The loss on `state`'s plane through `run`'s networks (GPU), drawn as the surface mesh. */
  private async drawPlane(run: NetworkRun, state: ExplorerState): Promise<string | null> {
    try {
      const grid = await run.computePlane(state, this.graphics.software);
      this.frame.setGrid(grid, { minima: [] }, state);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Networks: the plane again through the networks as they are now (an error message, or null). */
  async replane(): Promise<string | null> {
    if (!this.net) return 'the particles are not networks (choose a model first)';
    if (this.heldFor) return this.heldFor;
    return this.drawPlane(this.net, this.state);
  }

  /** The run's networks (null when the particles are on a surface): the network views read them. */
  get networks(): NetworkRun | null {
    return this.net;
  }

  /** The frame action: the default oblique view of the whole surface (the saved camera is dropped). */
  async frameView(): Promise<void> {
    if (this.state.camera !== null) await this.apply({ camera: null });
    this.graphics.view.frame();
    this.frame.invalidate();
  }

  /** Not while a GPU error has stopped the run (a rebuild starts it again). */
  play(): void {
    if (!this.stoppedFor) this.playing = true;
  }
  pause(): void {
    this.playing = false;
  }
  /** One frame's worth of steps while paused. */
  stepOnce(k = Math.max(1, this.state.stepsPerFrame)): void {
    this.pendingSteps += k;
  }
  /** Starts the run again from step 0 (not while the loop is held). */
  async reset(): Promise<void> {
    if (!this.heldFor) await this.rebuild(this.state, false);
  }

  /** Steps done; while the run is rebuilt after a device loss, the step it had reached (the counter never goes back). */
  get steps(): number {
    return this.lostAt ?? this.runs.steps;
  }
  /** How particles are drawn: by compute over the cached surface (WebGPU), or as three.js sprites. */
  get particleDrawing(): 'compute' | 'sprites' | null {
    return this.frame.particleDrawing;
  }
  /** Step of the state snapshot a device loss would resume from (null before the first). */
  get snapshotStep(): number | null {
    return this.runs.snapshot?.steps ?? null;
  }
  get surface(): Surface | null {
    return this.runs.setup?.surface ?? null;
  }
  /** How the surface is drawn (its sampled loss range): the views' loss scales start from it. */
  get meshMapping(): Mapping | null {
    return this.frame.mesh?.mapping ?? null;
  }
  /** The live run and what it was built from (views reduce its particles). */
  get live(): { run: LiveRun; setup: RunSetup; device: DeviceHandle | null } | null {
    const { run, setup } = this.runs;
    return run && setup ? { run, setup, device: this.graphics.handle } : null;
  }

  resize(): void {
    if (this.heldFor) return; // whoever holds the loop calls resize() when done
    this.graphics.resize();
    this.frame.invalidate();
  }

  private loop = (): void => {
    if (this.disposed) return;
    this.raf = requestAnimationFrame(this.loop);
    const run = this.runs.run;
    if (this.recovering || this.heldFor || !run) return;
    const now = performance.now();
    const k = this.stoppedFor ? 0 : (this.playing ? this.state.stepsPerFrame : 0) + this.pendingSteps;
    this.pendingSteps = 0;
    run.step(k);
    this.frame.updateTrails(run);
    // Draw only when something moved: particles stepped, the camera moved, or a setting changed.
    const cameraMoved = this.graphics.view.controls.update();
    this.frame.drawIfNeeded(k > 0 || cameraMoved || run.kind === 'cpu');
    this.runs.takeSnapshot();
    this.frameTimes.push(now);
    while (this.frameTimes.length > 0 && now - this.frameTimes[0] > 1000) this.frameTimes.shift();
    this.stepsAt.push({ t: now, steps: run.stepsDone });
    while (this.stepsAt.length > 1 && now - this.stepsAt[0].t > 1000) this.stepsAt.shift();
    const first = this.stepsAt[0];
    const dt = (now - first.t) / 1000;
    this.events.frame({
      step: run.stepsDone,
      n: run.n,
      fps: this.frameTimes.length,
      stepsPerSecond: dt > 0 ? (run.stepsDone - first.steps) / dt : 0,
      mode: this.mode,
      adapter: this.graphics.adapterName,
      playing: this.playing,
    });
  };

  /**
   * Takes the frame loop for `reason` (the message state changes are refused with): until
   * the returned release runs, the loop neither steps nor draws, and resets and resizes
   * are ignored (call resize() after). Recording, snapshots and timed frames hold it.
   */
  hold(reason: string): () => void {
    if (this.heldFor) throw new Error(`the explorer is busy (${this.heldFor})`);
    this.heldFor = reason;
    this.graphics.view.controls.enabled = false; // an orbit drag would move the camera meanwhile
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.heldFor = null;
      this.graphics.view.controls.enabled = true;
    };
  }

  /** While held: starts the run again from step 0 (throws when the state cannot run). */
  async restartHeld(): Promise<void> {
    const error = await this.rebuild(this.state, false);
    if (error) throw new Error(error);
  }

  /** While held: queues exactly k more steps (and the trails' sample). */
  stepHeld(k: number): void {
    const run = this.runs.run;
    if (!run) throw new Error('there is no run yet');
    run.step(k);
    this.frame.updateTrails(run);
  }

  /** Resolves when the GPU has done all the work queued so far (at once on the CPU fallback). */
  async settled(): Promise<void> {
    await this.graphics.device?.queue.onSubmittedWorkDone();
  }

  /**
   * Benchmark primitive (bench/frame.ts drives it): one frame of `steps` steps and its
   * drawing, with the cached surface image, or with the surface drawn again (`redraw`,
   * as when the camera moves), timed on the GPU. The loop is held meanwhile.
   */
  async timeFrame(steps: number, redraw: boolean): Promise<TimedFrame> {
    const device = this.graphics.device;
    if (!device || !this.runs.run) throw new Error('timeFrame needs the WebGPU engine');
    const release = this.hold('a timed frame is running');
    const timer = GpuTimer.create(device, 3);
    try {
      await device.queue.onSubmittedWorkDone();
      if (timer) {
        timer.mark();
        this.stepHeld(steps);
        timer.mark();
        this.frame.draw(redraw);
        timer.mark();
        const [computeMs, renderMs] = await timer.read();
        return { computeMs, renderMs, method: 'timestamp' };
      }
      const t0 = performance.now();
      this.stepHeld(steps);
      await device.queue.onSubmittedWorkDone();
      const t1 = performance.now();
      this.frame.draw(redraw);
      await device.queue.onSubmittedWorkDone();
      return { computeMs: t1 - t0, renderMs: performance.now() - t1, method: 'wait' };
    } finally {
      timer?.destroy();
      release();
    }
  }

  /** For tests and automation: the canvas's current picture is rendered. */
  renderNow(): void {
    this.frame.invalidate();
  }

  /** Linked views: highlight the particles of one bin of the live run (null: none). */
  highlight(h: Highlight): void {
    this.frame.highlight(h);
  }

  /** The particle drawn nearest to a canvas point (CSS pixels), within `radius`; its loss curve re-run by the CPU reference. */
  async pick(px: number, py: number, radius = 14): Promise<Probe | null> {
    if (this.net) {
      await this.recentre(px, py, radius);
      return null;
    }
    const { run, setup } = this.runs;
    const mesh = this.frame.mesh;
    if (!run || !mesh || !setup) return null;
    const particles = await run.read();
    const { canvas, view } = this.graphics;
    const best = nearestOnScreen(particles, mesh.mapping, view.camera, canvas.clientWidth, canvas.clientHeight, px, py, radius);
    if (best < 0) return null;
    const particle = particleAt(particles, best);
    return { particle, curve: lossCurve(setup, this.state, best, particle.steps) };
  }

  /** Networks: the plane is centred again on the network drawn nearest to a canvas point (its parameters now); its index, or null. */
  async recentre(px: number, py: number, radius = 14): Promise<number | null> {
    const net = this.net;
    const mesh = this.frame.mesh;
    if (!net || !mesh) return null;
    const particles = await net.read();
    const { canvas, view } = this.graphics;
    const best = nearestOnScreen(particles, mesh.mapping, view.camera, canvas.clientWidth, canvas.clientHeight, px, py, radius);
    if (best < 0 || net !== this.net) return null;
    // The same centre again: the state does not change, the plane is still drawn through it as it is now.
    const same = this.state.planeMode === 'random' && this.state.planeCenter === best;
    const error = same ? await this.replane() : await this.apply({ planeMode: 'random', planeCenter: best });
    this.events.notice(
      error ? `Could not re-centre the plane: ${error}` : `The plane is centred on network ${best} (lr ${net.built.lr[best].toPrecision(3)}) as it is now.`,
    );
    return error ? null : best;
  }

  /**
   * Spawns one particle with these settings (a clicked view bin or map pixel): the CPU
   * reference runs it (up to `steps` steps) and its path is drawn over the surface.
   */
  spawnProbe(settings: { hyper: Record<string, number>; start?: [number, number] }, steps = 2000): Probe | null {
    const setup = this.runs.setup;
    const mesh = this.frame.mesh;
    if (!setup || !mesh) return null;
    const probe = this.probes.spawn(setup, this.state, mesh.mapping, settings, steps);
    this.frame.invalidate();
    return probe;
  }

  clearProbe(): void {
    if (this.probes.clear()) this.frame.invalidate();
  }

  /** For tests: loses the device as a driver reset would. */
  simulateDeviceLoss(): void {
    this.graphics.simulateLoss();
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    this.runs.dispose();
    this.frame.dispose();
    this.graphics.dispose();
  }
}
