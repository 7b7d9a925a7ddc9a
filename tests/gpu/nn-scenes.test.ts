// The network scenes' checks on the GPU engine (sharpness and the fractal measure by the
// analysis kernels), at the test sizes; the CPU reference runs the same checks in
// tests/unit/nn-scenes.test.ts (and the fractal's in tests/gpu/nn-fractal.test.ts).

import { describe, expect, test } from 'vitest';
import { NET_SCENES } from '../../src/core/nn/scenes';
import { GpuNetRunner } from '../../src/gpu/network-analysis';
import { gpuDevice } from '../helpers/gpu';

describe('network scenes on the GPU', () => {
  for (const scene of NET_SCENES.filter((s) => s.id !== 'nn-fractal')) {
    test(
      scene.title,
      async () => {
        const handle = await gpuDevice();
        const check = await scene.run((setup) => GpuNetRunner.create(handle, setup), 'test');
        console.log(`${scene.id} (gpu): ${JSON.stringify(check.measured)}`);
        expect(check.failures).toEqual([]);
        expect(check.pass).toBe(true);
      },
      120_000,
    );
  }
});
