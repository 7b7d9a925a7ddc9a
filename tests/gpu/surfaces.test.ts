// Every surface program (loss, gradient, Hessian) gives the same float32 bits on the
// GPU as in the CPU reference: the graph folds the constant chains GPU compilers would
// otherwise reassociate on their own.

import { describe, expect, test } from 'vitest';
import common from '../../shaders/common.wgsl?raw';
import { MATHLIB_WGSL } from '../../shaders/mathlib';
import { surfaceFunctions } from '../../shaders/step';
import { Evaluator } from '../../src/core/expr/program';
import { uniform01 } from '../../src/core/random';
import { PRESET_NAMES, resolveSurface, type Surface } from '../../src/core/surfaces';
import { compileModule } from '../../src/gpu/engine';
import { gpuDevice } from '../helpers/gpu';
import { randomExpression } from '../helpers/random-expr';

const N = 4096;

/** loss, gx, gy, hxx, hxy, hyy at N points of the domain, on the GPU. */
async function onGpu(surface: Surface, pts: Float32Array<ArrayBuffer>): Promise<Float32Array> {
  const { device } = await gpuDevice();
  const code = `${common}\n${MATHLIB_WGSL}\n${surfaceFunctions(surface)}
@group(0) @binding(0) var<storage, read> p: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  let e = surface_step(p[i].x, p[i].y);
  let h = surface_hessian(p[i].x, p[i].y);
  o[6u * i] = e.x; o[6u * i + 1u] = e.y; o[6u * i + 2u] = e.z;
  o[6u * i + 3u] = h.x; o[6u * i + 4u] = h.y; o[6u * i + 5u] = h.z;
}`;
  const module = await compileModule(device, code, `surface:${surface.id}`);
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const pb = device.createBuffer({ size: pts.byteLength, usage });
  const ob = device.createBuffer({ size: 24 * N, usage });
  const rb = device.createBuffer({ size: 24 * N, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(pb, 0, pts);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: pb } },
        { binding: 1, resource: { buffer: ob } },
      ],
    }),
  );
  pass.dispatchWorkgroups(N / 64);
  pass.end();
  enc.copyBufferToBuffer(ob, 0, rb, 0, 24 * N);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  [pb, ob, rb].forEach((b) => b.destroy());
  return out;
}

/** Points where a value's bits differ (or, with `rel`, where it differs by more than rel relative). */
async function mismatches(surface: Surface, domain: readonly number[], rel = 0): Promise<string[]> {
  const pts = new Float32Array(2 * N);
  for (let i = 0; i < N; i++) {
    pts[2 * i] = domain[0] + (domain[1] - domain[0]) * uniform01(3, i, 0);
    pts[2 * i + 1] = domain[2] + (domain[3] - domain[2]) * uniform01(3, i, 1);
  }
  const gpu = await onGpu(surface, pts);
  const step = new Evaluator(surface.step);
  const hess = new Evaluator(surface.hessian);
  const bad: string[] = [];
  const names = ['loss', 'gx', 'gy', 'hxx', 'hxy', 'hyy'];
  for (let i = 0; i < N; i++) {
    step.run(pts[2 * i], pts[2 * i + 1]);
    hess.run(pts[2 * i], pts[2 * i + 1]);
    const cpu = [step.out('loss'), step.out('gx'), step.out('gy'), hess.out('hxx'), hess.out('hxy'), hess.out('hyy')];
    cpu.forEach((v, k) => {
      const g = gpu[6 * i + k];
      // Subnormals: GPUs may flush them (a documented difference).
      const same =
        Object.is(v, g) ||
        (Number.isNaN(v) && Number.isNaN(g)) ||
        (Math.abs(v) < 1.2e-38 && Math.abs(g) < 1.2e-38) ||
        Math.abs(v - g) <= rel * Math.max(Math.abs(v), Math.abs(g), 1e-3);
      if (!same) bad.push(`${names[k]}(${pts[2 * i]}, ${pts[2 * i + 1]}): cpu ${v} gpu ${g}`);
    });
  }
  return bad;
}

describe('surface programs: GPU bits equal CPU reference bits', () => {
  for (const name of PRESET_NAMES) {
    test(`${name}: loss, gradient and Hessian at ${N} points`, async () => {
      const s = resolveSurface(name);
      expect((await mismatches(s, s.spec.domain)).slice(0, 5)).toEqual([]);
    });
  }
  // A compiler may still reassociate a sum like a - ((c - y) - z): arbitrary expressions
  // agree to a few ulps, not always to the bit.
  test('16 random expressions: within 1e-6 relative', async () => {
    for (let seed = 1; seed <= 16; seed++) {
      const s = resolveSurface(randomExpression(seed));
      expect((await mismatches(s, [-2, 2, -2, 2], 1e-6)).slice(0, 3), s.spec.expression).toEqual([]);
    }
  });
});
