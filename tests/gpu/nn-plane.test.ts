// The plane view's GPU kernels (gpu/network-plane.ts) against their CPU twins: the loss
// on a grid of the plane against NetworkEvaluator at the same points, and each trained
// network's place on the plane and loss against projectOnPlane and the engine's state.

import { describe, expect, test } from 'vitest';
import { makeDataset } from '../../src/core/nn/data';
import { parseModel } from '../../src/core/nn/model';
import { initialTheta, NetworkEvaluator } from '../../src/core/nn/network';
import { drawnOnPlane, inverseGram, planeCoord, randomPlane } from '../../src/core/nn/plane';
import { buildNetSetup } from '../../src/core/nn/setup';
import { INFO_WORDS, POS_FLOATS, Status } from '../../src/core/particles';
import { NetworkEngine } from '../../src/gpu/network-engine';
import { NetworkPlane } from '../../src/gpu/network-plane';
import { ReadbackPool } from '../../src/gpu/queue';
import { gpuDevice } from '../helpers/gpu';

const model = parseModel('mlp:2,4,1:tanh:bias');
const data = makeDataset('teacher', model, { seed: 2, points: 12 });

describe('the networks’ plane on the GPU = the CPU reference', () => {
  test('the loss grid and the projection of trained networks', async () => {
    const handle = await gpuDevice();
    const plane = await NetworkPlane.create(handle, model, data);
    const theta0 = initialTheta(model, 1, { seed: 5 });
    const p = randomPlane(model, theta0, 9, 1.5);
    plane.setPlane(p);
    const res = 5;
    const grid = await plane.lossGrid(res);
    const ev = new NetworkEvaluator(model, data, 'loss');
    for (let j = 0; j < res; j++)
      for (let i = 0; i < res; i++) {
        const [a, b] = planeCoord(p, res, i, j);
        const th = p.c.map((c, q) => Math.fround(c + Math.fround(a * p.d1[q]) + Math.fround(b * p.d2[q])));
        expect(Math.abs(grid[j * res + i] - ev.run(th).loss) / ev.run(th).loss, `(${i}, ${j})`).toBeLessThan(1e-4);
      }
    // Far from the centre the loss differs: the grid is not one value.
    expect(new Set(Array.from(grid, (v) => v.toPrecision(4))).size).toBeGreaterThan(10);

    // The last network diverges at once (lr 1e4): it is never drawn off the plane.
    const n = 6;
    const lr = (i: number) => (i === n - 1 ? 1e4 : 0.05 * (i + 1));
    const setup = buildNetSetup({
      model,
      data,
      lrLayers: Array.from({ length: n }, (_, i) => [lr(i), lr(i)]),
      theta: initialTheta(model, n, { seed: 5, perNetwork: true }),
    });
    const engine = await NetworkEngine.create(handle, setup);
    engine.step(7);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const pos = handle.device.createBuffer({ size: 4 * POS_FLOATS * n, usage });
    const info = handle.device.createBuffer({ size: 4 * INFO_WORDS * n, usage });
    plane.bindProjection({ n, theta: engine.buffers.theta, losses: engine.buffers.losses, netInfo: engine.buffers.info, pos, info });
    plane.projectNow();
    const pool = new ReadbackPool(handle.device);
    const drawn = new Float32Array(await pool.read(pos, 4 * POS_FLOATS * n));
    const drawnInfo = new Uint32Array(await pool.read(info, 4 * INFO_WORDS * n));
    const st = await engine.read();
    const inv = inverseGram(p);
    const P = model.params;
    expect(st.info[INFO_WORDS * (n - 1)]).toBeGreaterThanOrEqual(Status.Diverged);
    expect(Array.from(drawn.subarray(POS_FLOATS * (n - 1), POS_FLOATS * n))).toEqual([0, 0, 0, 0]);
    for (let k = 0; k < n - 1; k++) {
      const [a, b] = drawnOnPlane(p, st.theta.subarray(k * P, (k + 1) * P), inv);
      expect(drawn[POS_FLOATS * k]).toBeCloseTo(a, 4);
      expect(drawn[POS_FLOATS * k + 1]).toBeCloseTo(b, 4);
      expect(drawn[POS_FLOATS * k + 2]).toBe(st.losses[2 * k + 1]);
    }
    expect(Array.from(drawnInfo)).toEqual(Array.from(st.info));
    // Networks with different weights land at different places (per-network draws: some beyond the edge).
    expect(new Set(Array.from({ length: n - 1 }, (_, k) => drawn[POS_FLOATS * k].toFixed(3))).size).toBe(n - 1);
    [pos, info].forEach((b) => b.destroy());
    pool.destroy();
    engine.destroy();
    plane.destroy();
  });
});
