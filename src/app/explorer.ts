// The explorer: owns the device, the renderer, the view and the live run; applies
// state changes; runs the frame loop. Bad input leaves the previous run going.

import * as THREE from 'three/webgpu';
import { CpuEngine } from '../core/engine/cpu';
import { buildParticles } from '../core/layouts';
import { particleAt, particleStatus, particleSteps, Status, type ParticleState, type ParticleView, type RunConfig } from '../core/particles';
import type { Surface } from '../core/surfaces';
import { requestDevice, type DeviceHandle } from '../gpu/device';
import { GpuTimer } from '../gpu/timing';
import { level, PARTICLE_LIFT, type Mapping } from '../render/mapping';
import { ParticleSprites } from '../render/particles';
import { ProbeLine } from '../render/probe';
import { ParticleSplat, splatFormatSupported } from '../render/splat';
import { canvasFormat, canvasTexture, configureCanvasForCompute, keepCanvasForCompute } from '../render/three-adapter';
import { TrailLines } from '../render/trails';
import { SurfaceView } from '../render/scene';
import { adaptiveGrid, buildMesh, type MeshData } from '../render/surface-mesh';
import { GpuRun, WorkerRun, type LiveRun } from './runs';
import { buildRun, particleColors, runConfig, type RunSetup } from './setup';
import { MAX_FALLBACK_PARTICLES, type ExplorerState } from './state';

export interface ExplorerEvents {
  notice(text: string | null): void;
  frame(stats: FrameStats): void;
  rebuilt(info: { n: number; surface: Surface; mode: 'gpu' | 'cpu' }): void;
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

/** Keys whose change needs new particles (the others only change how they are drawn). */
const RUN_KEYS: (keyof ExplorerState)[] = ['surface', 'surfaceParams', 'optimizer', 'hyper', 'layout', 'lrMin', 'lrMax', 'n', 'start', 'region', 'mapParam', 'mapMin', 'mapMax', 'seed', 'trails', 'trailLength', 'clipNorm', 'clipValue', 'schedule', 'noise', 'batchSize', 'samRho', 'lrY'];
const SURFACE_KEYS: (keyof ExplorerState)[] = ['surface', 'surfaceParams', 'logHeight', 'surfaceColormap', 'contours'];

export class Explorer {
  state: ExplorerState;
  playing = true;
  private handle: DeviceHandle | null;
  private renderer!: THREE.WebGPURenderer;
  private view!: SurfaceView;
  private run: LiveRun | null = null;
  private setup: RunSetup | null = null;
  /** Particles as sprites drawn by three.js: the WebGL2 (CPU engine) path. */
  private sprites: ParticleSprites | null = null;
  private trailLines: TrailLines | null = null;
  /** Particles and trails drawn by compute over a cached surface image: the WebGPU path. */
  private splat: ParticleSplat | null = null;
  /** The canvas format when compute passes can draw into it. */
  private splatFormat: GPUTextureFormat | null = null;
  /** Camera and size the cached surface image was drawn with. */
  private backgroundKey = '';
  private colorAttr: THREE.StorageInstancedBufferAttribute | null = null;
  private mesh: MeshData | null = null;
  private snapshot: { state: ParticleState; steps: number } | null = null;
  private frameTimes: number[] = [];
  private stepsAt: { t: number; steps: number }[] = [];
  private raf = 0;
  private pendingSteps = 0;
  private disposed = false;
  /** Frames still to draw though no step runs (after a change; three may compile pipelines late). */
  private dirty = 8;
  /** Of those, frames whose surface image must be drawn again (not for a highlight). */
  private surfaceDirty = 8;
  private recovering = false;
  private benchmarking = false;
  private adapterName = 'CPU (no WebGPU)';
  /** Bumped per rebuild, so an older async rebuild cannot overwrite a newer one. */
  private generation = 0;

  private constructor(private canvas: HTMLCanvasElement, state: ExplorerState, handle: DeviceHandle | null, private readonly events: ExplorerEvents) {
    this.state = state;
    this.handle = handle;
  }

  static async create(canvas: HTMLCanvasElement, state: ExplorerState, events: ExplorerEvents, gpu: GPU | undefined = navigator.gpu): Promise<Explorer> {
    let handle: DeviceHandle | null = null;
    let reason = '';
    try {
      handle = await requestDevice(gpu);
    } catch (e) {
      reason = (e as Error).message;
    }
    const ex = new Explorer(canvas, state, handle, events);
    await ex.initRenderer();
    if (!handle) {
      events.notice(`${reason}. Running the CPU reference engine in a Worker, at most ${MAX_FALLBACK_PARTICLES} particles.`);
    }
    const error = await ex.rebuild(state, true);
    if (error) throw new Error(error);
    ex.loop();
    return ex;
  }

  /** The canvas drawn into (replaced if the GPU is lost for good). */
  get canvasElement(): HTMLCanvasElement {
    return this.canvas;
  }

  get mode(): 'gpu' | 'cpu' {
    return this.handle ? 'gpu' : 'cpu';
  }

  private async initRenderer(): Promise<void> {
    // MSAA costs a software rasterizer (SwiftShader) most of its frame time.
    const software = /swiftshader|llvmpipe|lavapipe|software/i.test(this.handle?.adapterName ?? '');
    const params: Record<string, unknown> = { canvas: this.canvas, antialias: !software };
    if (this.handle) {
      params.device = this.handle.device;
      this.adapterName = this.handle.adapterName;
      this.watchDevice(this.handle);
    } else {
      // Right after a GPU loss the browser's GPU process may still be restarting: retry a while.
      let gl = this.canvas.getContext('webgl2');
      for (let i = 0; !gl && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 250));
        gl = this.canvas.getContext('webgl2');
      }
      if (!gl) throw new Error('this browser offers neither WebGPU nor WebGL2: there is nothing to draw with');
      params.forceWebGL = true;
    }
    this.renderer = new THREE.WebGPURenderer(params as ConstructorParameters<typeof THREE.WebGPURenderer>[0]);
    this.renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
    await this.renderer.init();
    this.splatFormat = null;
    if (this.handle) {
      const format = canvasFormat(this.renderer);
      if (splatFormatSupported(this.handle.device, format)) {
        configureCanvasForCompute(this.renderer, this.handle.device);
        this.splatFormat = format;
      }
    }
    this.backgroundKey = '';
    const old = this.view;
    this.view = new SurfaceView(this.renderer, this.canvas);
    if (old) {
      this.view.camera.position.copy(old.camera.position);
      this.view.controls.target.copy(old.controls.target);
      old.controls.dispose();
    }
    this.view.setTopDown(this.state.topDown);
    if (this.state.camera) this.view.setCamera(this.state.camera);
    // The user's orbit becomes part of the state (shared links keep the view).
    this.view.controls.addEventListener('end', () => {
      this.state = { ...this.state, camera: this.view.getCamera() };
      this.events.changed(this.state);
    });
    this.resize();
  }

  /**
   * A lost device is re-created, with renderer and pipelines, and the run resumes from
   * the last snapshot. If no GPU comes back, the page carries on with the CPU reference
   * rather than a frozen picture.
   */
  private watchDevice(handle: DeviceHandle): void {
    handle.device.lost.then(async (info) => {
      if (this.disposed || handle !== this.handle) return;
      this.recovering = true;
      this.events.notice(`The GPU device was lost (${info.reason || 'unknown'}: ${info.message}). Re-creating it and resuming…`);
      const snapshot = this.snapshot ?? undefined;
      let lostFor: string | null = null;
      try {
        this.handle = await requestDevice(navigator.gpu);
      } catch (e) {
        this.handle = null;
        lostFor = (e as Error).message;
      }
      try {
        await this.restartGraphics();
        const resume = this.handle || (snapshot && snapshot.state.n <= MAX_FALLBACK_PARTICLES) ? snapshot : undefined;
        const error = await this.rebuild(this.state, true, resume);
        if (error) this.events.notice(`Could not resume after losing the GPU device: ${error}`);
        else if (!lostFor) this.events.notice(`The GPU device was lost and re-created; resumed from step ${snapshot?.steps ?? 0}.`);
        else this.events.notice(`The GPU device was lost and could not be re-created (${lostFor}). Running the CPU reference engine in a Worker, at most ${MAX_FALLBACK_PARTICLES} particles.`);
      } catch (e) {
        this.events.notice(`The GPU device was lost and could not be re-created: ${(e as Error).message}`);
      } finally {
        this.recovering = false;
      }
    });
  }

  /** A new renderer after a device loss (the old run's buffers died with the device). */
  private async restartGraphics(): Promise<void> {
    this.run = null;
    this.sprites = null;
    this.trailLines = null;
    this.splat = null;
    this.mesh = null;
    this.renderer.dispose();
    if (!this.handle) {
      // A canvas that had a WebGPU context cannot give a WebGL2 one: swap in a fresh one.
      const fresh = this.canvas.cloneNode(false) as HTMLCanvasElement;
      this.canvas.replaceWith(fresh);
      this.canvas = fresh;
    }
    await this.initRenderer();
  }

  /**
   * Applies a change. Returns an error message (and keeps the previous run) when the
   * new state cannot run: a malformed expression, an out-of-range value.
   */
  async apply(change: Partial<ExplorerState>): Promise<string | null> {
    if (this.offscreen) return 'a recording is running: wait for it to finish or cancel it';
    const previous = this.state;
    const next = { ...previous, ...change };
    const changed = (keys: (keyof ExplorerState)[]) => keys.some((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
    if (changed(RUN_KEYS) || changed(['surfaceColormap', 'logHeight', 'contours', 'particleColormap'])) {
      const error = await this.rebuild(next, changed(SURFACE_KEYS) || this.mesh === null);
      if (error) return error;
    } else {
      this.state = next;
      this.applyLook();
    }
    this.events.changed(this.state);
    return null;
  }

  private applyLook(): void {
    this.dirty = this.surfaceDirty = 8;
    this.view.setTopDown(this.state.topDown);
    if (this.state.camera) this.view.setCamera(this.state.camera);
    this.sprites?.setSize(this.state.particleSize);
    this.sprites?.setColorByStatus(this.state.colorBy === 'status');
    this.splat?.setSize(this.state.particleSize);
    this.splat?.setColorByStatus(this.state.colorBy === 'status');
  }

  private particleCount(state: ExplorerState): number {
    return this.mode === 'cpu' ? Math.min(state.n, MAX_FALLBACK_PARTICLES) : state.n;
  }

  /** Builds particles for `state` (and the surface mesh when needed); the state becomes current on success. */
  private async rebuild(state: ExplorerState, newSurface: boolean, resume?: { state: ParticleState; steps: number }): Promise<string | null> {
    const gen = ++this.generation;
    let setup: RunSetup;
    try {
      setup = buildRun(state, this.particleCount(state));
    } catch (e) {
      return (e as Error).message;
    }
    const resumed = resume && resume.state.n === setup.particles.n ? resume : undefined;
    const particles = resumed?.state ?? setup.particles;
    let run: LiveRun;
    try {
      if (this.handle) {
        run = await GpuRun.create(
          this.handle,
          this.renderer,
          { surface: setup.surface, optimizer: setup.optimizer, particles, config: runConfig(state) },
          { firstStep: resumed?.steps, trails: state.trails, trailLength: state.trailLength },
        );
      } else {
        run = new WorkerRun({ kind: 'init', state, n: setup.particles.n, snapshot: resumed?.state }, initialState(setup, particles, runConfig(state)));
      }
    } catch (e) {
      return (e as Error).message;
    }
    if (gen !== this.generation) {
      run.dispose();
      return null;
    }
    this.state = state;
    if (newSurface || !this.mesh) {
      this.clearProbe();
      const grid = adaptiveGrid(setup.surface, this.state.logHeight);
      this.mesh = buildMesh(grid, { log: this.state.logHeight, colormap: this.state.surfaceColormap, contourLevels: this.state.contours ? 14 : 0 });
      this.view.setSurface(this.mesh, setup.surface);
    }
    this.run?.dispose();
    this.sprites?.dispose();
    this.trailLines?.dispose();
    this.splat?.dispose();
    this.sprites = null;
    this.trailLines = null;
    this.splat = null;
    this.run = run;
    this.setup = setup;
    this.snapshot = null;
    const colors = particleColors(setup.particles, this.state);
    const trailColors = (sel: Uint32Array) => {
      const out = new Float32Array(4 * sel.length);
      sel.forEach((i, k) => out.set(colors.subarray(4 * i, 4 * i + 4), 4 * k));
      return out;
    };
    if (run instanceof GpuRun && this.handle && this.splatFormat) {
      const t = run.trails;
      this.splat = new ParticleSplat(this.handle.device, this.splatFormat, {
        n: run.n,
        pos: run.buffers.pos,
        info: run.buffers.info,
        colors,
        trails: t && run.buffers.ring ? { ring: run.buffers.ring, colors: trailColors(t.selected), count: t.selected.length, len: t.recorder.len } : null,
      });
      this.splat.setMapping(this.mesh.mapping);
      this.view.setParticles();
    } else {
      this.colorAttr = new THREE.StorageInstancedBufferAttribute(colors, 4);
      this.sprites = new ParticleSprites({ n: run.n, pos: run.pos, info: run.info, color: this.colorAttr });
      this.sprites.setMapping(this.mesh.mapping);
      if (run.trails) {
        const sel = run.trails.selected;
        this.trailLines = new TrailLines(run.trails.ring, new THREE.StorageInstancedBufferAttribute(trailColors(sel), 4), sel.length, run.trails.recorder.len);
        this.trailLines.setMapping(this.mesh.mapping);
      }
      this.view.setParticles(this.sprites.object, this.trailLines?.object ?? null);
    }
    this.applyLook();
    this.stepsAt = [];
    this.events.rebuilt({ n: run.n, surface: setup.surface, mode: this.mode });
    return null;
  }

  play(): void { this.playing = true; }
  pause(): void { this.playing = false; }
  /** One frame's worth of steps while paused. */
  stepOnce(k = Math.max(1, this.state.stepsPerFrame)): void { this.pendingSteps += k; }
  async reset(): Promise<void> {
    if (!this.offscreen) await this.rebuild(this.state, false);
  }

  get steps(): number { return this.run?.stepsDone ?? 0; }
  /** How particles are drawn: by compute over the cached surface (WebGPU), or as three.js sprites. */
  get particleDrawing(): 'compute' | 'sprites' | null {
    return this.splat ? 'compute' : this.sprites ? 'sprites' : null;
  }
  /** Step of the state snapshot a device loss would resume from (null before the first). */
  get snapshotStep(): number | null { return this.snapshot?.steps ?? null; }
  get surface(): Surface | null { return this.setup?.surface ?? null; }
  /** How the surface is drawn (its sampled loss range): the views' loss scales start from it. */
  get meshMapping(): Mapping | null {
    return this.mesh?.mapping ?? null;
  }
  /** The live run and what it was built from (views reduce its particles). */
  get live(): { run: LiveRun; setup: RunSetup; device: DeviceHandle | null } | null {
    return this.run && this.setup ? { run: this.run, setup: this.setup, device: this.handle } : null;
  }

  resize(): void {
    if (this.offscreen) return; // endOffscreen restores the on-screen size
    const w = this.canvas.clientWidth || 1;
    const h = this.canvas.clientHeight || 1;
    this.view?.resize(w, h);
    this.dirty = this.surfaceDirty = 8;
  }

  private loop = (): void => {
    if (this.disposed) return;
    this.raf = requestAnimationFrame(this.loop);
    if (this.recovering || this.benchmarking || this.offscreen || !this.run) return;
    const now = performance.now();
    const k = (this.playing ? this.state.stepsPerFrame : 0) + this.pendingSteps;
    this.pendingSteps = 0;
    this.run.step(k);
    this.updateTrails();
    // Draw only when something moved: particles stepped, the camera moved, or a setting changed.
    const cameraMoved = this.view.controls.update();
    if (k > 0 || cameraMoved || this.dirty > 0 || this.run.kind === 'cpu') {
      const surfaceChanged = this.surfaceDirty > 0;
      this.dirty = Math.max(0, this.dirty - 1);
      this.surfaceDirty = Math.max(0, this.surfaceDirty - 1);
      this.draw(surfaceChanged);
    }
    this.takeSnapshot();
    this.frameTimes.push(now);
    while (this.frameTimes.length > 0 && now - this.frameTimes[0] > 1000) this.frameTimes.shift();
    this.stepsAt.push({ t: now, steps: this.run.stepsDone });
    while (this.stepsAt.length > 1 && now - this.stepsAt[0].t > 1000) this.stepsAt.shift();
    const first = this.stepsAt[0];
    const dt = (now - first.t) / 1000;
    this.events.frame({
      step: this.run.stepsDone,
      n: this.run.n,
      fps: this.frameTimes.length,
      stepsPerSecond: dt > 0 ? (this.run.stepsDone - first.steps) / dt : 0,
      mode: this.mode,
      adapter: this.adapterName,
      playing: this.playing,
    });
  };

  private updateTrails(): void {
    const t = this.run?.trails;
    if (!t) return;
    this.trailLines?.update(t.recorder.head, t.recorder.filled);
    this.splat?.updateTrails(t.recorder.head, t.recorder.filled);
  }

  /**
   * Draws one frame into the canvas. On the WebGPU path three.js draws the surface only
   * when it may look different (a setting changed, the camera moved, the size changed);
   * then compute passes draw particles and trails over that image.
   */
  private draw(surfaceChanged: boolean): void {
    if (!this.splat) {
      this.view.render();
      return;
    }
    keepCanvasForCompute(this.renderer, this.handle!.device);
    const cam = this.view.camera;
    cam.updateMatrixWorld();
    const key = `${this.canvas.width}x${this.canvas.height} ${cam.matrixWorld.elements.join()} ${cam.projectionMatrix.elements.join()}`;
    const fresh = surfaceChanged || key !== this.backgroundKey || !this.splat.hasCache(this.canvas.width, this.canvas.height);
    if (fresh) {
      // The labels alone first (kept to go over the particles), then the whole surface.
      this.view.renderLabels();
      this.splat.captureLabels(canvasTexture(this.renderer));
      this.view.render();
      this.backgroundKey = key;
    }
    this.splat.draw(canvasTexture(this.renderer), cam, fresh);
  }

  /** Every ~2 s, a state snapshot for device-loss recovery: started here, never awaited here. */
  private snapshotBusy = false;
  private lastSnapshot = 0;
  private takeSnapshot(): void {
    const now = performance.now();
    if (this.snapshotBusy || now - this.lastSnapshot < 2000 || !this.run || this.run.kind !== 'gpu') return;
    this.snapshotBusy = true;
    this.lastSnapshot = now;
    const run = this.run;
    const steps = run.stepsDone;
    run.read().then(
      (state) => { if (run === this.run) this.snapshot = { state, steps }; },
      () => {},
    ).finally(() => { this.snapshotBusy = false; });
  }

  /** The particle drawn nearest to a canvas point (CSS pixels), within `radius`. */
  async pick(px: number, py: number, radius = 14): Promise<{ particle: ParticleView; curve: number[] } | null> {
    if (!this.run || !this.mesh || !this.setup) return null;
    const state = await this.run.read();
    const m = this.mesh.mapping;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const v = new THREE.Vector3();
    let best = -1;
    let bestD = radius * radius;
    for (let i = 0; i < state.n; i++) {
      const x = state.pos[4 * i];
      const y = state.pos[4 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      v.set((x - m.cx) * m.scale, level(m, state.pos[4 * i + 2]) * m.heightScale + PARTICLE_LIFT, -(y - m.cy) * m.scale).project(this.view.camera);
      const sx = ((v.x + 1) / 2) * w;
      const sy = ((1 - v.y) / 2) * h;
      const d = (sx - px) ** 2 + (sy - py) ** 2;
      if (d < bestD && v.z < 1) {
        bestD = d;
        best = i;
      }
    }
    if (best < 0) return null;
    return { particle: particleAt(state, best), curve: this.lossCurve(best, particleSteps(state.info, best)) };
  }

  /** The loss at every step of one particle, re-run exactly by the CPU reference from its start. */
  lossCurve(index: number, steps: number): number[] {
    if (!this.setup) return [];
    const p = this.setup.particles;
    const one = {
      n: 1,
      hyperStride: p.hyperStride,
      stateStride: p.stateStride,
      pos: p.pos.slice(4 * index, 4 * index + 4),
      hyper: p.hyper.slice(p.hyperStride * index, p.hyperStride * (index + 1)),
      state: p.state.slice(p.stateStride * index, p.stateStride * (index + 1)),
      info: p.info.slice(4 * index, 4 * index + 4),
    };
    const { path } = this.cpuPath(one, Math.min(steps, 5000));
    return path.filter((_, k) => k % 3 === 2);
  }

  /**
   * One particle run by the CPU reference until it stops or `steps` ran: its (x, y, loss)
   * after each step, the start first, and its final state.
   */
  private cpuPath(particle: ParticleState, steps: number): { path: number[]; state: ParticleState } {
    const engine = new CpuEngine({ surface: this.setup!.surface, optimizer: this.setup!.optimizer, particles: particle, config: runConfig(this.state) });
    engine.step(0);
    const path: number[] = [engine.state.pos[0], engine.state.pos[1], engine.state.pos[2]];
    for (let t = 0; t < steps && particleStatus(engine.state.info, 0) === Status.Running; t++) {
      engine.step(1);
      path.push(engine.state.pos[0], engine.state.pos[1], engine.state.pos[2]);
    }
    return { path, state: engine.state };
  }

  /** For tests and automation: the canvas's current picture is rendered. */
  renderNow(): void {
    this.dirty = this.surfaceDirty = 8;
  }

  /**
   * Benchmark only: for each of `frames` frames (one per animation frame), the GPU time
   * of one frame of steps and of drawing it, with the surface image cached as in the
   * loop; then the drawing time when the surface must be redrawn too (camera moving).
   * GPU timestamps where the device has them, else the wait for the queue (which adds
   * the browser's polling delay).
   */
  async measureFrames(frames: number): Promise<{ computeMs: number[]; renderMs: number[]; redrawMs: number[]; method: 'timestamp' | 'wait' }> {
    const device = this.handle?.device;
    if (!device || !this.run) throw new Error('measureFrames needs the WebGPU engine');
    const wasPlaying = this.playing;
    this.playing = false;
    this.benchmarking = true;
    const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
    const timer = GpuTimer.create(device, 6 * frames + 2);
    const computeMs: number[] = [];
    const renderMs: number[] = [];
    const redrawMs: number[] = [];
    try {
      await device.queue.onSubmittedWorkDone();
      this.draw(true);
      await device.queue.onSubmittedWorkDone();
      if (timer) {
        for (let f = 0; f < frames; f++) {
          await nextFrame();
          timer.mark();
          this.run.step(this.state.stepsPerFrame);
          this.updateTrails();
          timer.mark();
          this.draw(false);
          timer.mark();
        }
        for (let f = 0; f < frames; f++) {
          await nextFrame();
          timer.mark();
          this.draw(true);
          timer.mark();
        }
        const d = await timer.read();
        for (let f = 0; f < frames; f++) {
          computeMs.push(d[3 * f]);
          renderMs.push(d[3 * f + 1]);
          redrawMs.push(d[3 * frames + 2 * f]);
        }
      } else {
        const timed = async (work: () => void) => {
          await nextFrame();
          const t0 = performance.now();
          work();
          await device.queue.onSubmittedWorkDone();
          return performance.now() - t0;
        };
        for (let f = 0; f < frames; f++) {
          computeMs.push(await timed(() => {
            this.run!.step(this.state.stepsPerFrame);
            this.updateTrails();
          }));
          renderMs.push(await timed(() => this.draw(false)));
        }
        for (let f = 0; f < frames; f++) redrawMs.push(await timed(() => this.draw(true)));
      }
    } finally {
      timer?.destroy();
      this.benchmarking = false;
      this.playing = wasPlaying;
    }
    return { computeMs, renderMs, redrawMs, method: timer ? 'timestamp' : 'wait' };
  }

  /** While recording or snapshotting: the frame loop neither steps nor draws. */
  private offscreen = false;

  /**
   * Hands the run to a recorder: the frame loop stops, and with `restart` the run starts
   * again from step 0. Frames are then made with stepExactly and renderTo; endOffscreen
   * gives the run back.
   */
  async beginOffscreen(restart: boolean): Promise<void> {
    const device = this.handle?.device;
    if (!device) throw new Error('recording needs the WebGPU engine (this page runs the CPU fallback)');
    if (!this.run) throw new Error('there is no run to record yet');
    if (this.offscreen) throw new Error('a recording or snapshot is already running');
    this.offscreen = true;
    this.view.controls.enabled = false; // an orbit drag would move the camera between frames
    try {
      if (restart) {
        const error = await this.rebuild(this.state, false);
        if (error) throw new Error(error);
      }
      if (this.state.camera) this.view.setCamera(this.state.camera);
      await device.queue.onSubmittedWorkDone();
    } catch (e) {
      this.endOffscreen();
      throw e;
    }
  }

  /** Runs exactly k more steps and waits until the GPU has done them. */
  async stepExactly(k: number): Promise<void> {
    const device = this.handle?.device;
    if (!device || !this.run) throw new Error('stepExactly needs the WebGPU engine');
    this.run.step(k);
    this.updateTrails();
    await device.queue.onSubmittedWorkDone();
  }

  /**
   * Renders the 3-D view at width x height device pixels and draws it into `target` at
   * (0, 0), in one task (a WebGPU canvas's picture expires at the end of the task).
   */
  renderTo(target: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, height: number): void {
    if (!this.offscreen) throw new Error('renderTo needs beginOffscreen first');
    // The canvas keeps the output size until endOffscreen (resizing per frame reallocates).
    if (this.offscreenSize !== `${width}x${height}`) {
      this.screenPixelRatio ??= this.renderer.getPixelRatio();
      this.renderer.setPixelRatio(1);
      this.view.resize(width, height);
      this.offscreenSize = `${width}x${height}`;
    }
    this.draw(false);
    target.drawImage(this.canvas, 0, 0, width, height);
  }

  private offscreenSize = '';
  private screenPixelRatio: number | null = null;

  endOffscreen(): void {
    if (this.screenPixelRatio !== null) this.renderer.setPixelRatio(this.screenPixelRatio);
    this.screenPixelRatio = null;
    this.offscreenSize = '';
    this.offscreen = false;
    this.view.controls.enabled = true;
    this.resize();
  }

  /** Linked views: highlight the particles of one bin of the live run (null: none). */
  highlight(h: { binning: { div: number; mod: number }; bin: number } | null): void {
    this.sprites?.setHighlight(h);
    this.splat?.setHighlight(h);
    this.dirty = 8; // particles only: the surface image stays
  }

  private probe: ProbeLine | null = null;

  /**
   * Spawns one particle with these settings (a clicked view bin or map pixel): the CPU
   * reference runs it (up to `steps` steps) and its path is drawn over the surface.
   */
  spawnProbe(settings: { hyper: Record<string, number>; start?: [number, number] }, steps = 2000): { particle: ParticleView; curve: number[] } | null {
    if (!this.setup || !this.mesh) return null;
    const { surface, optimizer } = this.setup;
    const start = settings.start ?? this.state.start ?? surface.spec.defaultStart;
    const { lr, ...rest } = settings.hyper;
    const base = { ...this.state.hyper, ...(this.state.lrY !== null ? { lr_y: this.state.lrY } : {}), ...rest };
    const { path, state } = this.cpuPath(buildParticles({ kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, optimizer, base), steps);
    this.clearProbe();
    this.probe = new ProbeLine(Float32Array.from(path), this.mesh.mapping);
    this.view.scene.add(this.probe.object);
    this.dirty = this.surfaceDirty = 8;
    return { particle: particleAt(state, 0), curve: path.filter((_, k) => k % 3 === 2) };
  }

  clearProbe(): void {
    if (!this.probe) return;
    this.view.scene.remove(this.probe.object);
    this.probe.dispose();
    this.probe = null;
    this.dirty = this.surfaceDirty = 8;
  }

  simulateDeviceLoss(): void {
    this.handle?.device.destroy();
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    this.run?.dispose();
    this.splat?.dispose();
    this.renderer.dispose();
  }
}

function initialState(setup: RunSetup, particles: ParticleState, config: RunConfig): ParticleState {
  const engine = new CpuEngine({ surface: setup.surface, optimizer: setup.optimizer, particles, config });
  engine.step(0);
  return engine.state;
}

