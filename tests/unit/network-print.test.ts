// The training kernel's printed point loop (shaders/network-print.ts): unrolled in full
// for the fractal setup (constant indexes, each data element loaded once per point, one
// activation call per unit), left as loops for a body over the budget. The unrolled
// kernels' results are checked against the CPU reference in tests/gpu/nn-engine.test.ts.

import { describe, expect, test } from 'vitest';
import { buildModel } from '../../src/core/nn/model';
import { makeDataset } from '../../src/core/nn/data';
import { buildNetSetup } from '../../src/core/nn/setup';
import { buildNetworkKernel } from '../../shaders/network';

function gradFunction(widths: number[], points?: number): string {
  const model = buildModel({ widths, activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 });
  const data = makeDataset('teacher', model, { seed: 0, ...(points ? { points } : {}) });
  const setup = buildNetSetup({ model, data, lrLayers: [model.layers.map(() => 0.1)], init: { seed: 0 } });
  const text = buildNetworkKernel({ model, points: data.n, optimizer: setup.optimizer, config: setup.config });
  return text.slice(text.indexOf('fn net_grad('), text.indexOf('fn net_loss('));
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('the network kernel printer', () => {
  test('the fractal setup: the point body unrolled in full', () => {
    const g = gradFunction([16, 16, 1]);
    expect(count(g, /for \(var v_p /g)).toBe(1);
    expect(count(g, /for \(var v_[ijko] /g)).toBe(0);
    // 16 inputs and 1 target loaded once per point; tanh called once per hidden unit.
    expect(count(g, /let ld\d+ = data\[/g)).toBe(17);
    expect(count(g, /act_eval\(/g)).toBe(16);
    // The first-layer gradient's last term, at a constant index.
    expect(g).toContain('gr[255u] = (gr[255u] + (ld');
  });

  test('a body over the budget (2-128-1) keeps its loops', () => {
    const g = gradFunction([2, 128, 1], 16);
    expect(count(g, /for \(var v_j /g)).toBeGreaterThan(0);
    expect(count(g, /act_eval\(/g)).toBe(1);
  });
});
