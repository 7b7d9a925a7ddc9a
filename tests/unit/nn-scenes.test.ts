// The network scenes' checks on the CPU reference, at the test sizes (src/core/nn/scenes.ts;
// the same checks run on the GPU in tests/gpu/nn-scenes.test.ts).

import { describe, expect, test } from 'vitest';
import { CpuNetRunner } from '../../src/core/nn/runner';
import { NET_SCENES } from '../../src/core/nn/scenes';

describe('network scenes on the CPU reference', () => {
  for (const scene of NET_SCENES.filter((s) => s.id !== 'nn-fractal')) {
    test(
      scene.title,
      async () => {
        const check = await scene.run((setup) => Promise.resolve(new CpuNetRunner(setup)), 'test');
        console.log(`${scene.id} (cpu): ${JSON.stringify(check.measured)}`);
        expect(check.failures).toEqual([]);
        expect(check.pass).toBe(true);
      },
      120_000,
    );
  }
});
