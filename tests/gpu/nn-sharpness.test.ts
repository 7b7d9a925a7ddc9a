// Sharpness and the fractal measure on the GPU, in place on a NetworkEngine's buffers,
// against the float32 CPU references (SharpnessCpu runs the same power-iteration routine
// the kernel prints; fractalMeasure32 is the measure kernel's twin), and the GPU's
// sharpness against an analytic top eigenvalue.

import { describe, expect, test } from 'vitest';
import { makeDataset, type Dataset } from '../../src/core/nn/data';
import { fractalMeasure32 } from '../../src/core/nn/measure';
import { buildModel } from '../../src/core/nn/model';
import { buildNetSetup } from '../../src/core/nn/setup';
import { SharpnessCpu, startDirections } from '../../src/core/nn/sharpness';
import { NetworkTrainerCpu } from '../../src/core/nn/train';
import { eventStep, particleStatus } from '../../src/core/particles';
import { NetworkMeasure, NetworkSharpness } from '../../src/gpu/network-analysis';
import { NetworkEngine } from '../../src/gpu/network-engine';
import { gpuDevice } from '../helpers/gpu';

describe('sharpness on the GPU', () => {
  test('a linear model: the analytic top eigenvalue 2', async () => {
    const model = buildModel({ widths: [3, 1], activation: 'linear' });
    const data: Dataset = { n: 3, d: 3, o: 1, x: Float32Array.from([3, 0, 0, 0, 1, 0, 0, 0, 0.5]), y: Float32Array.from([1, -1, 2]) };
    const setup = buildNetSetup({ model, data, lrLayers: [[0.1], [0.2]], init: { seed: 1, perNetwork: true } });
    const engine = await NetworkEngine.create(await gpuDevice(), setup);
    const sharp = await NetworkSharpness.create(engine, 20);
    const { lambda } = await sharp.run();
    for (const l of lambda) expect(Math.abs(l - 2) / 2).toBeLessThan(1e-5);
    sharp.destroy();
    engine.destroy();
  });

  test('8 tanh networks, at the start and after 10 steps (warm-started): GPU = CPU within 1e-3', async () => {
    const model = buildModel({ widths: [2, 8, 1], activation: 'tanh', bias: true });
    const data = makeDataset('teacher', model, { seed: 3, points: 12 });
    const n = 8;
    const lrLayers = Array.from({ length: n }, (_, i) => [0.05 + 0.01 * i, 0.05 + 0.01 * i]);
    const setup = buildNetSetup({ model, data, lrLayers, init: { seed: 2, perNetwork: true } });
    const engine = await NetworkEngine.create(await gpuDevice(), setup);
    const sharp = await NetworkSharpness.create(engine, 10);
    const trainer = new NetworkTrainerCpu(setup);
    const cpu = new SharpnessCpu(model, data, 10);
    const dirs = startDirections(model.params, n);
    for (const steps of [0, 10]) {
      engine.step(steps);
      trainer.step(steps);
      const g = await sharp.run();
      const c = cpu.run(trainer.state.theta, dirs);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(g.lambda[i] - c.lambda[i]) / Math.abs(c.lambda[i]));
      console.log(`after ${steps} steps: largest relative GPU-CPU difference of lambda ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-3);
    }
    sharp.destroy();
    engine.destroy();
  });
});

describe('the fractal measure on the GPU', () => {
  test('an 8 x 8 lr_layer0 x lr_layer1 map across the boundary: status per pixel = CPU reference', async () => {
    const model = buildModel({ widths: [4, 4, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 });
    const data = makeDataset('teacher', model, { seed: 0 });
    const R = 8;
    const steps = 40;
    const lrLayers: number[][] = [];
    for (let iy = 0; iy < R; iy++) for (let ix = 0; ix < R; ix++) lrLayers.push([10 ** (-0.5 + (2.5 * ix) / (R - 1)), 10 ** (-0.5 + (2.5 * iy) / (R - 1))]);
    const setup = buildNetSetup({ model, data, lrLayers, init: { seed: 0 }, config: { history: steps } });
    const engine = await NetworkEngine.create(await gpuDevice(), setup);
    engine.step(steps);
    const st = await engine.read();
    const measure = await NetworkMeasure.create(engine);
    const g = await measure.run(steps);
    const cpu = Array.from({ length: setup.n }, (_, i) =>
      fractalMeasure32(st.history.subarray(i * steps), particleStatus(st.info, i), eventStep(st.info, i), steps),
    );
    const nc = cpu.filter((m) => m.converged).length;
    console.log(`measure map: ${nc} of ${setup.n} converged`);
    expect(nc).toBeGreaterThan(0);
    expect(nc).toBeLessThan(setup.n);
    expect(Array.from(g.converged, Boolean)).toEqual(cpu.map((m) => m.converged));
    cpu.forEach((m, i) => expect(Math.abs(g.value[i] - m.value)).toBeLessThanOrEqual(1e-5 * Math.abs(m.value)));
    measure.destroy();
    engine.destroy();
  });
});
