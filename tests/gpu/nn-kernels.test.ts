// Every generated network kernel variant compiles on Dawn (both training layouts and
// the Hessian-vector product; activation x parameterisation x loss x biases, every optimizer), and the GPU's exact
// Hessian-vector product, gradient and loss equal the float32 CPU reference's.

import { describe, expect, test } from 'vitest';
import { ACTIVATIONS, buildModel, MAX_PARAMS, PARAMETERIZATIONS, type Activation } from '../../src/core/nn/model';
import { makeDataset } from '../../src/core/nn/data';
import { initialTheta, NetworkEvaluator } from '../../src/core/nn/network';
import { compileOptimizer, OPTIMIZER_DEFS } from '../../src/core/optimizers';
import { compileModule } from '../../src/gpu/engine';
import { NetworkHvp } from '../../src/gpu/network-hvp';
import { buildHvpKernel, buildNetworkKernel } from '../../shaders/network';
import { buildNetworkKernelWG } from '../../shaders/network-wg';
import { gpuDevice } from '../helpers/gpu';

const sgd = compileOptimizer(
  OPTIMIZER_DEFS.find((d) => d.name === 'SGD')!,
  { momentum: 0, dampening: 0, weight_decay: 0, nesterov: 0 },
);

describe('every network kernel variant compiles', () => {
  for (const activation of Object.keys(ACTIVATIONS) as Activation[]) {
    test(activation, async () => {
      const { device } = await gpuDevice();
      for (const parameterization of PARAMETERIZATIONS) {
        for (const [loss, bias] of [
          ['mse', false],
          ['mse', true],
          ['softmax-ce', true],
        ] as const) {
          const model = buildModel({ widths: [3, 4, 5, loss === 'mse' ? 1 : 3], activation, parameterization, loss, bias, gain: 1.5 });
          const label = `${activation}:${parameterization}:${loss}:${bias}`;
          await expect(compileModule(device, buildNetworkKernel({ model, points: 7, optimizer: sgd }), label)).resolves.toBeDefined();
          await expect(compileModule(device, buildHvpKernel({ model, points: 7 }), `hvp:${label}`)).resolves.toBeDefined();
          await expect(compileModule(device, buildNetworkKernelWG({ model, points: 7, optimizer: sgd }), `wg:${label}`)).resolves.toBeDefined();
        }
      }
    });
  }

  test('both layouts at the parameter limit make pipelines (private and workgroup memory within limits)', async () => {
    const { device } = await gpuDevice();
    const model = buildModel({ widths: [31, 32, 1], activation: 'tanh', parameterization: 'mean-field' });
    expect(model.params).toBe(MAX_PARAMS);
    for (const build of [buildNetworkKernel, buildNetworkKernelWG]) {
      const module = await compileModule(device, build({ model, points: 40, optimizer: sgd }), 'limit');
      await expect(device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } })).resolves.toBeDefined();
    }
  });

  test('with every optimizer (lr free; the rest at their defaults, compiled in)', async () => {
    const { device } = await gpuDevice();
    const model = buildModel({ widths: [2, 4, 1], activation: 'tanh', parameterization: 'mean-field' });
    for (const def of OPTIMIZER_DEFS) {
      const fixed = Object.fromEntries(def.hyper.filter((h) => h.name !== 'lr' && !h.defaultFrom).map((h) => [h.name, h.default]));
      const code = buildNetworkKernel({ model, points: 5, optimizer: compileOptimizer(def, fixed) });
      await expect(compileModule(device, code, def.name)).resolves.toBeDefined();
    }
  });
});

describe('the Hessian-vector product on the GPU = the CPU reference', () => {
  const cases: [Activation, 'standard' | 'mean-field', boolean][] = [
    ['tanh', 'mean-field', false],
    ['gelu', 'standard', true],
    ['sigmoid', 'standard', true],
  ];
  for (const [activation, parameterization, ce] of cases) {
    test(`${activation} ${parameterization}${ce ? ' softmax-ce' : ''}`, async () => {
      const handle = await gpuDevice();
      const model = buildModel({ widths: ce ? [2, 6, 3] : [4, 6, 5, 1], activation, parameterization, bias: ce, loss: ce ? 'softmax-ce' : 'mse', gain: 1.2 });
      const data = makeDataset('teacher', model, { seed: 4, points: 11 });
      if (ce) for (let p = 0; p < data.n; p++) for (let o = 0; o < 3; o++) data.y[3 * p + o] = o === p % 3 ? 1 : 0;
      const n = 5;
      const theta = initialTheta(model, n, { seed: 9, perNetwork: true, scale: 0.9 });
      const dir = Float32Array.from(theta, (_, q) => Math.sin(0.37 * q));
      const gpu = await (await NetworkHvp.create(handle, model, data)).run(theta, dir);
      const ref = new NetworkEvaluator(model, data, 'hvp');
      const P = model.params;
      for (let i = 0; i < n; i++) {
        const c = ref.run(theta.subarray(i * P, (i + 1) * P), dir.subarray(i * P, (i + 1) * P));
        const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
          let e = 0;
          let m = 0;
          for (let q = 0; q < b.length; q++) {
            e = Math.max(e, Math.abs(a[q] - b[q]));
            m = Math.max(m, Math.abs(b[q]));
          }
          return e / m;
        };
        expect(Math.abs(gpu.loss[i] - c.loss) / c.loss).toBeLessThan(1e-5);
        expect(close(gpu.grad.subarray(i * P, (i + 1) * P), c.grad!)).toBeLessThan(1e-5);
        expect(close(gpu.hv.subarray(i * P, (i + 1) * P), c.hv!)).toBeLessThan(1e-5);
        expect(Math.hypot(...c.hv!)).toBeGreaterThan(1e-3);
      }
    });
  }
});
