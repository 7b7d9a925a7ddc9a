// The benchmark's peers compute what they are compared with: TF.js's GD on Rosenbrock
// equals the CPU reference's particles, TF.js's batched networks the CPU reference's
// loss curves, and the multiply-add yardstick the float32 recurrence it claims to run.

import { afterAll, describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { makeDataset } from '../../src/core/nn/data';
import { parseModel } from '../../src/core/nn/model';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerCpu } from '../../src/core/nn/train';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { tfjsClose, tfjsNetworks, tfjsOn, tfjsRosenbrockGD, type Tf } from '../../src/cli/tfjs-peers';
import { FmaKernel } from '../../src/gpu/fma';
import { FMA_CHAINS } from '../../shaders/fma';
import { gpuDevice } from '../helpers/gpu';

let tf: Tf | undefined;
const tfjs = async () => (tf ??= await tfjsOn(await gpuDevice()));
afterAll(() => {
  if (tf) tfjsClose(tf);
});

/** |a - b| <= tol max(1, |b|) everywhere; returns the worst ratio to tol. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (tol * Math.max(1, Math.abs(b[i]))));
  return m;
}

describe('TensorFlow.js peers', () => {
  test('GD on Rosenbrock: the CPU reference particles after 5 steps', async () => {
    const optimizer = getOptimizer('SGD');
    // Learning rates up to 1e-3 from (-1.5, 2): the particles move by O(1) in 5 steps.
    const particles = buildParticles({ kind: 'sweep', start: [-1.5, 2], lrMin: 1e-5, lrMax: 1e-3, n: 64 }, optimizer, {});
    const lr = Float32Array.from({ length: particles.n }, (_, i) => particles.hyper[i * particles.hyperStride]);
    const cpu = new CpuEngine({ surface: resolveSurface('rosenbrock'), optimizer, particles, config: DEFAULT_RUN_CONFIG });
    cpu.step(5);
    const ref = await cpu.read();
    const peer = tfjsRosenbrockGD(await tfjs(), [-1.5, 2], lr);
    for (let s = 0; s < 5; s++) peer.step();
    const { x, y } = await peer.read();
    peer.dispose();
    const rx = Array.from({ length: ref.n }, (_, i) => ref.pos[4 * i]);
    const ry = Array.from({ length: ref.n }, (_, i) => ref.pos[4 * i + 1]);
    expect(Math.abs(rx[ref.n - 1] - -1.5)).toBeGreaterThan(0.1); // the fastest particles did move
    expect(worst(x, rx, 1e-5)).toBeLessThan(1);
    expect(worst(y, ry, 1e-5)).toBeLessThan(1);
  });

  test('batched networks: the CPU reference loss curves over 4 steps', async () => {
    const model = parseModel('mlp:3,5,1:tanh:mean-field:gain=sqrt2');
    const data = makeDataset('teacher', model, { seed: 1 });
    const lrPairs = [
      [0.1, 0.1],
      [0.5, 2],
      [2, 0.3],
    ];
    const steps = 4;
    const setup = buildNetSetup({ model, data, lrLayers: lrPairs, init: { seed: 3, perNetwork: true }, config: { history: steps + 1 } });
    const cpu = new NetworkTrainerCpu(setup);
    cpu.step(steps + 1); // history[t] is L_t, the loss before step t
    const lrLayers = model.layers.map((_, l) => Float32Array.from(lrPairs, (p) => p[l]));
    const peer = tfjsNetworks(await tfjs(), model, data, setup.theta, lrLayers);
    const curves: Float32Array[] = [];
    for (let t = 0; t <= steps; t++) {
      curves.push(await peer.losses());
      peer.step();
    }
    peer.dispose();
    for (let i = 0; i < lrPairs.length; i++) {
      const ref = cpu.state.history.subarray(i * (steps + 1), (i + 1) * (steps + 1));
      expect(ref[steps]).not.toBeCloseTo(ref[0], 3); // training changed the loss
      expect(
        worst(
          curves.map((c) => c[i]),
          ref,
          1e-4,
        ),
      ).toBeLessThan(1);
    }
  });

  test('the multiply-add yardstick runs its float32 recurrence', async () => {
    const b = Float32Array.from({ length: 4 * 70 }, (_, k) => 0.3 + (0.6 * ((k * 37) % 101)) / 101);
    const kernel = await FmaKernel.create(await gpuDevice(), b);
    const iters = 20;
    expect(kernel.step(iters)).toBe(70 * iters * 4 * FMA_CHAINS);
    const got = await kernel.read();
    kernel.destroy();
    const want = Array.from(b, (bk) => {
      let sum = 0;
      for (let c = 0; c < FMA_CHAINS; c++) {
        let a = Math.fround(bk + c);
        for (let k = 0; k < iters; k++) a = Math.fround(Math.fround(a * bk) + 0.25);
        sum = Math.fround(sum + a);
      }
      return sum;
    });
    expect(worst(got, want, 1e-5)).toBeLessThan(1);
  });
});
