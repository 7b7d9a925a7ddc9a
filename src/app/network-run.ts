// A live run of networks (state.model set): the NetworkEngine trains n networks, many
// steps per dispatch; after each dispatch the plane's projection kernel writes each
// network's (a, b, loss) into the particle buffers the renderer and the trails read, so
// networks are drawn, coloured and trailed as the surface's particles are, with no
// readback in the frame loop. The plane's loss grid is computed on the GPU on request.

import * as THREE from 'three/webgpu';
import { INFO_WORDS, POS_FLOATS, type ParticleState } from '../core/particles';
import type { DeviceHandle } from '../gpu/device';
import { NetworkEngine } from '../gpu/network-engine';
import { NetworkPlane } from '../gpu/network-plane';
import { ReadbackPool } from '../gpu/queue';
import { TrailRecorder, trailSelection } from '../gpu/trails';
import type { SurfaceGrid } from '../render/surface-mesh';
import { sharedStorage } from '../render/three-adapter';
import { planeFor, planeResFor, type NetworkRunSetup } from '../model/network';
import type { ExplorerState } from '../model/state';
import type { LiveRun, TrailSet } from './runs';

export class NetworkRun implements LiveRun {
  readonly kind = 'gpu';
  readonly n: number;
  private readonly pool: ReadbackPool;

  private constructor(
    readonly engine: NetworkEngine,
    readonly plane: NetworkPlane,
    readonly built: NetworkRunSetup,
    /** The GPU buffers behind pos, info and the trail ring (the compute-drawn particles read them). */
    readonly buffers: { pos: GPUBuffer; info: GPUBuffer; ring: GPUBuffer | null },
    readonly pos: THREE.StorageInstancedBufferAttribute,
    readonly info: THREE.StorageInstancedBufferAttribute,
    private readonly renderer: THREE.WebGPURenderer,
    readonly trails: TrailSet | null,
  ) {
    this.n = engine.n;
    this.pool = new ReadbackPool(engine.handle.device, 'network particles readback');
  }

  static async create(
    handle: DeviceHandle,
    renderer: THREE.WebGPURenderer,
    built: NetworkRunSetup,
    opts: { trails?: number; trailLength?: number } = {},
  ): Promise<NetworkRun> {
    const n = built.setup.n;
    const engine = await NetworkEngine.create(handle, built.setup);
    let plane: NetworkPlane | null = null;
    try {
      plane = await NetworkPlane.create(handle, built.model, built.data);
      const pos = sharedStorage(renderer, new Float32Array(POS_FLOATS * n), POS_FLOATS);
      const info = sharedStorage(renderer, new Uint32Array(INFO_WORDS * n), INFO_WORDS);
      plane.bindProjection({ n, theta: engine.buffers.theta, losses: engine.buffers.losses, netInfo: engine.buffers.info, pos: pos.buffer, info: info.buffer });
      let trails: TrailSet | null = null;
      let ring: GPUBuffer | null = null;
      if ((opts.trails ?? 0) > 0) {
        const selected = trailSelection(n, opts.trails!);
        const len = opts.trailLength ?? 40;
        const r = sharedStorage(renderer, new Float32Array(4 * selected.length * len), 4);
        const recorder = await TrailRecorder.create(handle, pos.buffer, r.buffer, selected, len);
        trails = { ring: r.attribute, recorder, selected };
        ring = r.buffer;
      }
      return new NetworkRun(engine, plane, built, { pos: pos.buffer, info: info.buffer, ring }, pos.attribute, info.attribute, renderer, trails);
    } catch (e) {
      engine.destroy();
      plane?.destroy();
      throw e;
    }
  }

  get gpuBuffers(): NetworkRun['buffers'] {
    return this.buffers;
  }

  get stepsDone(): number {
    return this.engine.stepsQueued;
  }

  /** Measures taken every `every` steps (the sharpness view): the steps are split at its multiples. */
  observer: { every: number; measure(step: number): void } | null = null;

  /** k training steps of every network, then their places on the plane (queued; never waits). */
  step(k: number): void {
    if (k <= 0) return;
    for (let left = k; left > 0;) {
      const every = this.observer?.every ?? Infinity;
      const chunk = Math.min(left, every - (this.engine.stepsQueued % every));
      this.engine.step(chunk);
      left -= chunk;
      if (this.engine.stepsQueued % every === 0) this.observer?.measure(this.engine.stepsQueued);
    }
    this.plane.projectNow();
    this.trails?.recorder.record();
  }

  /**
   * A new plane for `state` through the networks as they are now, and its loss on a grid
   * (on the GPU); the networks are projected onto it at once. Not for the frame loop.
   */
  async computePlane(state: ExplorerState, software: boolean): Promise<SurfaceGrid> {
    const st = await this.engine.read();
    const P = this.built.model.params;
    const plane = planeFor(state, this.built.model, this.n, (i) => st.theta.slice(i * P, (i + 1) * P));
    this.plane.setPlane(plane);
    this.plane.projectNow();
    const res = planeResFor(state, this.built, software);
    const grid = await this.plane.lossGrid(res);
    return { res, losses: Float64Array.from(grid), domain: plane.domain };
  }

  /** Every network's place on the plane and its status, as a particle state (snapshots, picking). */
  async read(): Promise<ParticleState> {
    const n = this.n;
    const [pos, info] = await Promise.all([this.pool.read(this.buffers.pos, 4 * POS_FLOATS * n), this.pool.read(this.buffers.info, 4 * INFO_WORDS * n)]);
    return {
      n,
      hyperStride: 1,
      stateStride: 0,
      pos: new Float32Array(pos),
      hyper: this.built.lr.slice(),
      state: new Float32Array(0),
      info: new Uint32Array(info),
    };
  }

  dispose(): void {
    this.engine.destroy();
    this.plane.destroy();
    this.pool.destroy();
    this.trails?.recorder.destroy();
    const backend = (this.renderer as unknown as { backend: { destroyAttribute(a: unknown): void } }).backend;
    backend.destroyAttribute(this.pos);
    backend.destroyAttribute(this.info);
    if (this.trails) backend.destroyAttribute(this.trails.ring);
  }
}
