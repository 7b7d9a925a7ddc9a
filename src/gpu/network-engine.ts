// The WebGPU engine for networks: n networks trained at once, one thread each, many
// steps per dispatch. Buffers hold the state NetworkTrainerCpu keeps (core/nn/train.ts),
// in the same layout, so read() returns the same NetState.

import { buildNetworkKernel, NetParams } from '../../shaders/network';
import { WORKGROUP_SIZE } from '../../shaders/common';
import { buildNetworkKernelWG } from '../../shaders/network-wg';
import { checkNetSetup, initialNetState, stateStride, type NetSetup, type NetState } from '../core/nn/train';
import { INFO_WORDS } from '../core/particles';
import { stepPipeline } from './engine';
import { ReadbackPool, submitPass, dispatchGrid, uploadBuffer } from './queue';
import type { DeviceHandle } from './device';

/**
 * 'thread': one thread per network (parameters and gradient in private arrays);
 * 'workgroup': one workgroup per network (parameters shared in workgroup memory, the
 * points split over the threads). See shaders/network.ts and shaders/network-wg.ts.
 * 'thread' is the default: on Dawn/SwiftShader, 10^4 networks of the fractal setup ran
 * 363 network-steps/s against 157 (bench/nn-layouts.bench.ts). 'workgroup' stays as an
 * option until it is measured on a real GPU, where 2 x 272 private floats per thread
 * may spill and the balance may turn.
 */
export type NetworkLayout = 'thread' | 'workgroup';

export class NetworkEngine {
  readonly n: number;
  readonly kernel: string;
  stepsQueued = 0;
  private readonly pool: ReadbackPool;
  private readonly groupsX: number;
  private readonly groupsY: number;
  private readonly paramData = new ArrayBuffer(NetParams.size);

  private constructor(
    readonly handle: DeviceHandle,
    readonly setup: NetSetup,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    readonly buffers: Record<'params' | 'theta' | 'hyper' | 'ostate' | 'info' | 'losses' | 'hist' | 'data', GPUBuffer>,
    kernel: string,
    readonly layout: NetworkLayout,
  ) {
    this.n = setup.n;
    this.kernel = kernel;
    this.pool = new ReadbackPool(handle.device, 'network readback');
    [this.groupsX, this.groupsY] = dispatchGrid(handle.limits, layout === 'thread' ? Math.ceil(this.n / WORKGROUP_SIZE) : this.n);
  }

  static async create(handle: DeviceHandle, setup: NetSetup, layout: NetworkLayout = 'thread'): Promise<NetworkEngine> {
    checkNetSetup(setup);
    const { device } = handle;
    const build = layout === 'thread' ? buildNetworkKernel : buildNetworkKernelWG;
    const kernel = build({ model: setup.model, points: setup.data.n, optimizer: setup.optimizer, config: setup.config });
    // Cached by text: the unrolled kernel takes seconds to compile on a software GPU, and
    // a map's zoom levels, a rerun or a test's cases often build the same one.
    const pipeline = await stepPipeline(device, kernel, `network-${layout}:${setup.model.params}`);
    const st = initialNetState(setup);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (label: string, data: ArrayBufferView) => uploadBuffer(handle, data, { label, usage, fewer: 'fewer networks or a shorter history' });
    const data = new Float32Array(setup.data.x.length + setup.data.y.length);
    data.set(setup.data.x);
    data.set(setup.data.y, setup.data.x.length);
    const buffers = {
      params: device.createBuffer({ label: 'network params', size: NetParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      theta: make('theta', st.theta),
      hyper: make('hyper', setup.hyper),
      ostate: make('ostate', st.ostate),
      info: make('info', st.info),
      losses: make('losses', st.losses),
      hist: make('hist', st.history),
      data: make('data', data),
    };
    const order = ['params', 'theta', 'hyper', 'ostate', 'info', 'losses', 'hist', 'data'] as const;
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: order.map((k, binding) => ({ binding, resource: { buffer: buffers[k] } })),
    });
    const engine = new NetworkEngine(handle, setup, pipeline, bindGroup, buffers, kernel, layout);
    engine.step(0); // the loss at the start
    return engine;
  }

  /** Encodes and submits one dispatch of k steps per network; returns without waiting. */
  step(k: number): void {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`steps per dispatch must be a whole number >= 0, got ${k}`);
    const cfg = this.setup.config;
    NetParams.write(
      { n: this.n, steps: k, groupsX: this.groupsX, history: cfg.history, divergeRatio: cfg.divergeRatio, convergeLoss: cfg.convergeLoss, seed: cfg.seed },
      this.paramData,
    );
    this.handle.device.queue.writeBuffer(this.buffers.params, 0, this.paramData);
    submitPass(this.handle.device, this.pipeline, this.bindGroup, this.groupsX, this.groupsY);
    this.stepsQueued += k;
  }

  async read(): Promise<NetState> {
    const s = this.setup;
    const sizes = {
      theta: 4 * s.n * s.model.params,
      ostate: 4 * s.n * stateStride(s),
      info: 4 * INFO_WORDS * s.n,
      losses: 8 * s.n,
      hist: 4 * s.n * s.config.history,
    };
    const keys = ['theta', 'ostate', 'info', 'losses', 'hist'] as const;
    const bufs = await Promise.all(keys.map((k) => this.pool.read(this.buffers[k], Math.max(16, Math.ceil(sizes[k] / 4) * 4))));
    const [theta, ostate, info, losses, hist] = bufs;
    return {
      n: s.n,
      theta: new Float32Array(theta, 0, s.n * s.model.params),
      ostate: new Float32Array(ostate, 0, s.n * stateStride(s)),
      info: new Uint32Array(info, 0, INFO_WORDS * s.n),
      losses: new Float32Array(losses, 0, 2 * s.n),
      history: new Float32Array(hist, 0, s.n * s.config.history),
    };
  }

  done(): Promise<void> {
    return this.handle.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.pool.destroy();
  }
}
