// n networks trained at once in double-float (shaders/network-df64.ts), one thread each:
// NetworkEngine's driver with the weights, hyperparameters and optimizer state as
// (hi, lo) pairs. read() returns the state NetworkTrainerWide keeps in df64, in the
// same layout, so the two compare bit for bit.

import { buildNetworkKernelDF64 } from '../../shaders/network-df64';
import { NetParams } from '../../shaders/network';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { toPairs } from '../core/nn/interp-df64';
import { checkNetSetup, initialNetState, stateStride, type NetSetup } from '../core/nn/train';
import type { WideState } from '../core/nn/train-wide';
import { INFO_WORDS } from '../core/particles';
import { stepPipeline } from './engine';
import { ReadbackPool, submitPass, dispatchGrid, uploadBuffer } from './queue';
import type { DeviceHandle } from './device';

const ORDER = ['params', 'theta', 'hyper', 'ostate', 'info', 'losses', 'hist', 'data', 'one'] as const;

export class NetworkEngineDF64 {
  private readonly pool: ReadbackPool;
  private readonly groupsX: number;
  private readonly groupsY: number;
  private readonly paramData = new ArrayBuffer(NetParams.size);

  private constructor(
    readonly handle: DeviceHandle,
    readonly setup: NetSetup,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly buffers: Record<(typeof ORDER)[number], GPUBuffer>,
    readonly kernel: string,
  ) {
    this.pool = new ReadbackPool(handle.device, 'network df64 readback');
    [this.groupsX, this.groupsY] = dispatchGrid(handle.limits, Math.ceil(setup.n / WORKGROUP_SIZE));
  }

  /** `hyper`: the setup's hyperparameters in float64 (wideHyper). */
  static async create(handle: DeviceHandle, setup: NetSetup, hyper: Float64Array): Promise<NetworkEngineDF64> {
    checkNetSetup(setup);
    if (hyper.length !== setup.hyper.length) throw new Error(`hyper holds ${hyper.length} values, ${setup.hyper.length} expected`);
    const { device } = handle;
    const kernel = buildNetworkKernelDF64({ model: setup.model, points: setup.data.n, optimizer: setup.optimizer, config: setup.config });
    // Cached by kernel text: a map's levels and zooms rebuild the same kernel (engine.ts).
    const pipeline = await stepPipeline(device, kernel, `network-df64:${setup.model.params}`);
    const st = initialNetState(setup);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: string, data: ArrayBufferView, use = usage) =>
      uploadBuffer(handle, data, { label, name: `df64 ${label}`, usage: use, fewer: 'fewer networks' });
    const data = new Float32Array(setup.data.x.length + setup.data.y.length);
    data.set(setup.data.x);
    data.set(setup.data.y, setup.data.x.length);
    const buffers = {
      params: device.createBuffer({ label: 'network df64 params', size: NetParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      theta: make('theta', toPairs(setup.theta)),
      hyper: make('hyper', toPairs(hyper)),
      ostate: make('ostate', new Float32Array(2 * st.ostate.length)),
      info: make('info', st.info),
      losses: make('losses', st.losses),
      hist: make('hist', st.history),
      data: make('data', data),
      one: make('one', new Float32Array([1, 0, 0, 0]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
    };
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: ORDER.map((k, binding) => ({ binding, resource: { buffer: buffers[k] } })),
    });
    const engine = new NetworkEngineDF64(handle, setup, pipeline, bindGroup, buffers, kernel);
    engine.step(0); // the loss at the start
    return engine;
  }

  /** One dispatch of k steps per network; returns without waiting. */
  step(k: number): void {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`steps per dispatch must be a whole number >= 0, got ${k}`);
    const cfg = this.setup.config;
    NetParams.write(
      {
        n: this.setup.n,
        steps: k,
        groupsX: this.groupsX,
        history: cfg.history,
        divergeRatio: cfg.divergeRatio,
        convergeLoss: cfg.convergeLoss,
        seed: cfg.seed,
      },
      this.paramData,
    );
    this.handle.device.queue.writeBuffer(this.buffers.params, 0, this.paramData);
    submitPass(this.handle.device, this.pipeline, this.bindGroup, this.groupsX, this.groupsY);
  }

  async read(): Promise<WideState> {
    const s = this.setup;
    const n = s.n;
    const sizes = { theta: 8 * n * s.model.params, ostate: 8 * n * stateStride(s), info: 4 * INFO_WORDS * n, losses: 8 * n, hist: 4 * n * s.config.history };
    const keys = ['theta', 'ostate', 'info', 'losses', 'hist'] as const;
    const [theta, ostate, info, losses, hist] = await Promise.all(keys.map((k) => this.pool.read(this.buffers[k], Math.max(16, Math.ceil(sizes[k] / 4) * 4))));
    return {
      n,
      theta: new Float32Array(theta, 0, 2 * n * s.model.params),
      ostate: new Float32Array(ostate, 0, 2 * n * stateStride(s)),
      info: new Uint32Array(info, 0, INFO_WORDS * n),
      losses: Float64Array.from(new Float32Array(losses, 0, 2 * n)),
      history: Float64Array.from(new Float32Array(hist, 0, n * s.config.history)),
    };
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.pool.destroy();
  }
}
