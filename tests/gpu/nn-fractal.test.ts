// The trainability fractal scene's check (src/core/nn/scenes.ts), on both engines: the
// lr_layer0 x lr_layer1 maps of the fractal's setup narrowed to 4-4-1 at 32 x 32 (so
// that SwiftShader and the CPU reference run it in a test), classified by the fractal
// notebook's measure (on the GPU by the measure kernel); at two zoom levels both
// outcomes are present and the boundary's box-counting dimension is above 1.1 (a smooth
// boundary gives about 1).

import { describe, expect, test } from 'vitest';
import { CpuNetRunner } from '../../src/core/nn/runner';
import { NET_SCENES, type MakeRunner } from '../../src/core/nn/scenes';
import { GpuNetRunner } from '../../src/gpu/network-analysis';
import { gpuDevice } from '../helpers/gpu';

const scene = NET_SCENES.find((s) => s.id === 'nn-fractal')!;

describe('the trainability fractal (lr_layer0 x lr_layer1, fractal measure)', () => {
  const engines: Record<'cpu' | 'gpu', MakeRunner> = {
    cpu: (setup) => Promise.resolve(new CpuNetRunner(setup)),
    gpu: async (setup) => GpuNetRunner.create(await gpuDevice(), setup),
  };
  for (const [engine, make] of Object.entries(engines)) {
    test(`${engine}: at two zoom levels converged and diverged both present, boundary dimension > 1.1`, async () => {
      const check = await scene.run(make, 'test');
      console.log(`nn-fractal (${engine}): ${JSON.stringify(check.measured)}`);
      expect(check.failures).toEqual([]);
      expect(check.pass).toBe(true);
    }, 300_000);
  }
});
