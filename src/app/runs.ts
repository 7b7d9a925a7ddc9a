// A live run as the explorer sees it: particles stepping somewhere (the WebGPU engine,
// or the CPU reference in a Worker) and three.js attributes the renderer draws from.

import * as THREE from 'three/webgpu';
import type { EngineSetup } from '../core/engine/engine';
import { INFO_WORDS, POS_FLOATS, type ParticleState } from '../core/particles';
import type { DeviceHandle } from '../gpu/device';
import { GpuEngine } from '../gpu/engine';
import { TrailRecorder, trailSelection } from '../gpu/trails';
import { sharedStorage } from '../render/three-adapter';
import type { WorkerRequest, WorkerReply } from './cpu-worker';

/** The ring buffer the renderer draws, its recorder, and which particles it follows. */
export interface TrailSet {
  ring: THREE.StorageInstancedBufferAttribute;
  recorder: TrailRecorder;
  selected: Uint32Array;
}

export interface LiveRun {
  readonly kind: 'gpu' | 'cpu';
  readonly n: number;
  /** Steps requested so far (the GPU runs them in order; the worker may lag a frame). */
  readonly stepsDone: number;
  readonly pos: THREE.StorageInstancedBufferAttribute;
  readonly info: THREE.StorageInstancedBufferAttribute;
  /** Queues k steps; never waits. */
  step(k: number): void;
  /** The GPU buffers behind pos, info and the trail ring, for particles drawn by compute (null on the CPU fallback). */
  readonly gpuBuffers: { pos: GPUBuffer; info: GPUBuffer; ring: GPUBuffer | null } | null;
  /** GPU trails (null on the CPU fallback). */
  readonly trails: TrailSet | null;
  /** The whole particle state (for inspection and snapshots); not for the frame loop. */
  read(): Promise<ParticleState>;
  dispose(): void;
}

export class GpuRun implements LiveRun {
  readonly kind = 'gpu';
  readonly n: number;
  private constructor(
    readonly engine: GpuEngine,
    /** The GPU buffers behind pos, info and the trail ring (the compute-drawn particles read them). */
    readonly buffers: { pos: GPUBuffer; info: GPUBuffer; ring: GPUBuffer | null },
    readonly pos: THREE.StorageInstancedBufferAttribute,
    readonly info: THREE.StorageInstancedBufferAttribute,
    private readonly renderer: THREE.WebGPURenderer,
    private readonly firstStep: number,
    readonly trails: TrailSet | null,
  ) {
    this.n = engine.n;
  }

  /** `firstStep`: the step count the particles already have (a resumed snapshot). */
  static async create(
    handle: DeviceHandle,
    renderer: THREE.WebGPURenderer,
    setup: EngineSetup,
    opts: { firstStep?: number; trails?: number; trailLength?: number } = {},
  ): Promise<GpuRun> {
    const n = setup.particles.n;
    const pos = sharedStorage(renderer, new Float32Array(4 * n), 4);
    const info = sharedStorage(renderer, new Uint32Array(4 * n), 4);
    const engine = await GpuEngine.create(handle, setup, { pos: pos.buffer, info: info.buffer });
    let trails: TrailSet | null = null;
    let ringBuffer: GPUBuffer | null = null;
    if ((opts.trails ?? 0) > 0) {
      const selected = trailSelection(n, opts.trails!);
      const len = opts.trailLength ?? 40;
      const ring = sharedStorage(renderer, new Float32Array(4 * selected.length * len), 4);
      const recorder = await TrailRecorder.create(handle, pos.buffer, ring.buffer, selected, len);
      trails = { ring: ring.attribute, recorder, selected };
      ringBuffer = ring.buffer;
    }
    return new GpuRun(engine, { pos: pos.buffer, info: info.buffer, ring: ringBuffer }, pos.attribute, info.attribute, renderer, opts.firstStep ?? 0, trails);
  }

  get gpuBuffers(): GpuRun['buffers'] {
    return this.buffers;
  }

  get stepsDone(): number {
    return this.firstStep + this.engine.stepsQueued;
  }

  step(k: number): void {
    if (k > 0) {
      this.engine.step(k);
      this.trails?.recorder.record();
    }
  }

  read(): Promise<ParticleState> {
    return this.engine.read();
  }

  dispose(): void {
    this.engine.destroy();
    this.trails?.recorder.destroy();
    const backend = (this.renderer as unknown as { backend: { destroyAttribute(a: unknown): void } }).backend;
    backend.destroyAttribute(this.pos);
    backend.destroyAttribute(this.info);
    if (this.trails) backend.destroyAttribute(this.trails.ring);
  }
}

/** The CPU reference in a Worker; the main thread only copies finished states into attributes. */
export class WorkerRun implements LiveRun {
  readonly kind = 'cpu';
  readonly trails = null;
  readonly gpuBuffers = null;
  readonly n: number;
  readonly pos: THREE.StorageInstancedBufferAttribute;
  readonly info: THREE.StorageInstancedBufferAttribute;
  stepsDone: number;
  private pending = 0;
  private busy = false;
  private latest: ParticleState;
  private readonly worker: Worker;
  private waiters: ((p: ParticleState) => void)[] = [];

  /** `firstStep`: the step count the particles already have (a resumed snapshot). */
  constructor(spec: WorkerRequest & { kind: 'init' }, initial: ParticleState, firstStep = 0) {
    this.n = initial.n;
    this.stepsDone = firstStep;
    this.latest = initial;
    this.pos = new THREE.StorageInstancedBufferAttribute(new Float32Array(initial.pos), POS_FLOATS);
    this.info = new THREE.StorageInstancedBufferAttribute(new Uint32Array(initial.info), INFO_WORDS);
    this.worker = new Worker(new URL('./cpu-worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => this.receive(e.data);
    this.worker.postMessage(spec);
  }

  private receive(r: WorkerReply): void {
    if (r.kind === 'error') {
      console.warn(`CPU engine: ${r.message}`);
      return;
    }
    this.latest = r.state;
    (this.pos.array as Float32Array).set(r.state.pos);
    (this.info.array as Uint32Array).set(r.state.info);
    this.pos.needsUpdate = true;
    this.info.needsUpdate = true;
    this.busy = false;
    this.waiters.splice(0).forEach((w) => w(r.state));
    this.flush();
  }

  private flush(): void {
    if (this.busy || this.pending === 0) return;
    this.busy = true;
    this.worker.postMessage({ kind: 'step', steps: this.pending } satisfies WorkerRequest);
    this.pending = 0;
  }

  step(k: number): void {
    this.stepsDone += k;
    this.pending += k;
    this.flush();
  }

  read(): Promise<ParticleState> {
    if (!this.busy && this.pending === 0) return Promise.resolve(this.latest);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  dispose(): void {
    this.worker.terminate();
  }
}
