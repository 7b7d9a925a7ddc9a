// Every generated kernel variant compiles on the device; the WGSL of two variants is
// snapshotted so a change to the generator shows up in review.

import { describe, expect, test } from 'vitest';
import { minimaTable } from '../../src/core/engine/engine';
import { getOptimizer, OPTIMIZER_DEFS } from '../../src/core/optimizers';
import { PRESET_NAMES, resolveSurface, Surface } from '../../src/core/surfaces';
import { compileModule, ShaderCompileError } from '../../src/gpu/engine';
import { buildStepKernel } from '../../shaders/step';
import { gpuDevice } from '../helpers/gpu';
import { randomExpression } from '../helpers/random-expr';

describe('every kernel variant compiles (getCompilationInfo has no errors)', () => {
  const surfaces = [
    ...PRESET_NAMES.map((n) => resolveSurface(n)),
    resolveSurface('quadratic', { lambda1: 3, lambda2: 7, angle: 45 }),
    resolveSurface('double-well', { sharpWidth: 0.05, flatDepth: 3 }),
    ...[101, 102, 103, 104].map((s) => Surface.fromExpression(randomExpression(s, 5))),
    // Every whitelisted function at once, and the non-finite constant path (1e39 -> Inf).
    Surface.fromExpression('exp(x) + log(1+y^2) + ln(2+x^2) + log2(3+y^2) + log10(4+x^2) + sqrt(1+x^2) + abs(x) + sign(y) + sin(x) + cos(y) + tan(x/3) + atan(y) + sinh(x/4) + cosh(y/4) + tanh(x) + sigmoid(y) + softplus(x) + square(y) + pow(2+x^2, 0.3) + min(x, y, 1) + max(x, y) + x^y'),
    Surface.fromExpression('x^2 + y^2 + 0*1e39'),
  ];
  for (const def of OPTIMIZER_DEFS) {
    test(def.name, async () => {
      const { device } = await gpuDevice();
      const opt = getOptimizer(def.name);
      for (const s of surfaces) {
        const code = buildStepKernel({ surface: s, optimizer: opt, minima: minimaTable(s) });
        await expect(compileModule(device, code, `${s.id}:${def.name}`)).resolves.toBeDefined();
      }
    });
  }

  test('the gradient-clipping variants compile', async () => {
    const { device } = await gpuDevice();
    const s = resolveSurface('rosenbrock');
    for (const clip of [{ norm: true, value: false }, { norm: false, value: true }, { norm: true, value: true }]) {
      for (const def of OPTIMIZER_DEFS) {
        const code = buildStepKernel({ surface: s, optimizer: getOptimizer(def.name), minima: minimaTable(s), clip });
        expect(code.includes('params.clipNorm /')).toBe(clip.norm);
        expect(code.includes('clamp(cgx')).toBe(clip.value);
        await expect(compileModule(device, code, `clip:${def.name}`)).resolves.toBeDefined();
      }
    }
  });

  test('a broken kernel is reported with the compiler message and line', async () => {
    const { device } = await gpuDevice();
    await expect(compileModule(device, 'fn main() { let a: f32 = 1u; }', 'broken')).rejects.toThrow(ShaderCompileError);
    await expect(compileModule(device, 'fn main() { let a: f32 = 1u; }', 'broken')).rejects.toThrow(/broken:1:/);
  });
});

describe('generated WGSL snapshots', () => {
  for (const [surface, optimizer] of [['quadratic', 'SGD'], ['double-well', 'Adam']] as const) {
    test(`${surface} x ${optimizer}`, async () => {
      const s = resolveSurface(surface);
      const code = buildStepKernel({ surface: s, optimizer: getOptimizer(optimizer), minima: minimaTable(s) });
      await expect(code).toMatchFileSnapshot(`./__snapshots__/step-${surface}-${optimizer}.wgsl`);
    });
  }
});
