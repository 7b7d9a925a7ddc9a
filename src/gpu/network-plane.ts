// The plane view's GPU work (shaders/network-plane.ts): the loss on a res x res grid of
// a plane through parameter space, and the projection of n trained networks onto it,
// written into the particle buffers the renderer draws. The CPU twins are
// NetworkEvaluator at planeCoord (core/nn) and projectOnPlane.

import { buildPlaneLossKernel, buildProjectKernel, PlaneParams, ProjectParams } from '../../shaders/network-plane';
import { WORKGROUP_SIZE } from '../../shaders/common';
import type { Dataset } from '../core/nn/data';
import type { Model } from '../core/nn/model';
import { inverseGram, type Plane } from '../core/nn/plane';
import { compileModule } from './engine';
import { encodePass, ReadbackPool, dispatchGrid } from './queue';
import type { DeviceHandle } from './device';

/** The most grid points per side (res^2 networks evaluated at once). */
const MAX_PLANE_RES = 128;

/** What the projection reads (a NetworkEngine's buffers) and writes (the drawn particles). */
export interface ProjectionBuffers {
  n: number;
  theta: GPUBuffer;
  losses: GPUBuffer;
  netInfo: GPUBuffer;
  pos: GPUBuffer;
  info: GPUBuffer;
}

export class NetworkPlane {
  plane: Plane | null = null;
  private readonly pool: ReadbackPool;
  private readonly planeBuf: GPUBuffer;
  private readonly dataBuf: GPUBuffer;
  private readonly projectParams: GPUBuffer;
  private projection: { bind: GPUBindGroup; gx: number; gy: number } | null = null;
  private gram: [number, number, number] = [1, 0, 1];
  private projectionN = 0;
  private projectionGx = 1;

  private constructor(
    readonly handle: DeviceHandle,
    readonly model: Model,
    private readonly lossPipeline: GPUComputePipeline,
    private readonly projectPipeline: GPUComputePipeline,
    data: Dataset,
  ) {
    const { device } = handle;
    this.pool = new ReadbackPool(device, 'plane readback');
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    this.planeBuf = device.createBuffer({ label: 'plane c d1 d2', size: 12 * model.params, usage: storage });
    const all = new Float32Array(data.x.length + data.y.length);
    all.set(data.x);
    all.set(data.y, data.x.length);
    this.dataBuf = device.createBuffer({ label: 'plane data', size: Math.max(16, all.byteLength), usage: storage });
    device.queue.writeBuffer(this.dataBuf, 0, all);
    this.projectParams = device.createBuffer({ label: 'project params', size: ProjectParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  static async create(handle: DeviceHandle, model: Model, data: Dataset): Promise<NetworkPlane> {
    const { device } = handle;
    const make = async (code: string, label: string) =>
      device.createComputePipelineAsync({ layout: 'auto', compute: { module: await compileModule(device, code, label), entryPoint: 'main' } });
    const [loss, project] = await Promise.all([
      make(buildPlaneLossKernel({ model, points: data.n }), `plane-loss:${model.params}`),
      make(buildProjectKernel({ model }), `plane-project:${model.params}`),
    ]);
    return new NetworkPlane(handle, model, loss, project, data);
  }

  /** The plane the grid and the projection use from now on (throws on a degenerate one). */
  setPlane(p: Plane): void {
    const [g11, g12, g22] = inverseGram(p);
    const P = this.model.params;
    const buf = new Float32Array(3 * P);
    buf.set(p.c);
    buf.set(p.d1, P);
    buf.set(p.d2, 2 * P);
    this.handle.device.queue.writeBuffer(this.planeBuf, 0, buf);
    this.gram = [g11, g12, g22];
    this.plane = p;
    this.writeProjectParams();
  }

  private writeProjectParams(): void {
    const [g11, g12, g22] = this.gram;
    const [a0, a1, b0, b1] = this.plane?.domain ?? [0, 0, 0, 0];
    this.handle.device.queue.writeBuffer(
      this.projectParams,
      0,
      ProjectParams.write({ n: this.projectionN, groupsX: this.projectionGx, g11, g12, g22, a0, a1, b0, b1 }),
    );
  }

  /** The loss at res x res points of the plane (rows of a from b0 upwards); not for the frame loop. */
  async lossGrid(res: number): Promise<Float32Array> {
    const p = this.plane;
    if (!p) throw new Error('no plane set');
    if (!Number.isInteger(res) || res < 2 || res > MAX_PLANE_RES)
      throw new RangeError(`plane resolution must be a whole number from 2 to ${MAX_PLANE_RES}, got ${res}`);
    const { device, limits } = this.handle;
    const [gx, gy] = dispatchGrid(limits, Math.ceil((res * res) / WORKGROUP_SIZE));
    const params = device.createBuffer({ label: 'plane params', size: PlaneParams.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(params, 0, PlaneParams.write({ res, groupsX: gx, a0: p.domain[0], a1: p.domain[1], b0: p.domain[2], b1: p.domain[3] }));
    const bytes = 4 * res * res;
    const grid = device.createBuffer({ label: 'plane grid', size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const bind = device.createBindGroup({
      layout: this.lossPipeline.getBindGroupLayout(0),
      entries: [params, this.planeBuf, grid, this.dataBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = device.createCommandEncoder({ label: 'plane loss' });
    encodePass(enc, this.lossPipeline, bind, gx, gy);
    device.queue.submit([enc.finish()]);
    try {
      return new Float32Array(await this.pool.read(grid, bytes));
    } finally {
      params.destroy();
      grid.destroy();
    }
  }

  /** The buffers the projection reads and writes from now on. */
  bindProjection(b: ProjectionBuffers): void {
    const { device, limits } = this.handle;
    const [gx, gy] = dispatchGrid(limits, Math.ceil(b.n / WORKGROUP_SIZE));
    this.projectionN = b.n;
    this.projectionGx = gx;
    this.writeProjectParams();
    const bind = device.createBindGroup({
      layout: this.projectPipeline.getBindGroupLayout(0),
      entries: [this.projectParams, this.planeBuf, b.theta, b.losses, b.netInfo, b.pos, b.info].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    this.projection = { bind, gx, gy };
  }

  /** Encodes the projection of every network onto the plane (after the training dispatch). */
  project(enc: GPUCommandEncoder): void {
    if (!this.projection || !this.plane) return;
    encodePass(enc, this.projectPipeline, this.projection.bind, this.projection.gx, this.projection.gy);
  }

  /** Submits the projection alone. */
  projectNow(): void {
    const enc = this.handle.device.createCommandEncoder({ label: 'plane projection' });
    this.project(enc);
    this.handle.device.queue.submit([enc.finish()]);
  }

  destroy(): void {
    [this.planeBuf, this.dataBuf, this.projectParams].forEach((b) => b.destroy());
    this.pool.destroy();
  }
}
