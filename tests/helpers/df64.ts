// Random double-float operands for the df64 tests (CPU reference and GPU).
import { compileModule } from '../../src/gpu/engine';
import { fromDF, toDF, type DF } from '../../src/core/df64';
import { uniform01 } from '../../src/core/random';

/** Signs, exponents over 2^-20..2^20, full 48-bit significands; seeded. */
export function randomDFs(seed: number, n: number, positive = false): DF<number>[] {
  return Array.from({ length: n }, (_, i) => {
    const [u, v, w] = [0, 1, 2].map((c) => uniform01(seed, i, c));
    const sign = positive || u < 0.5 ? 1 : -1;
    // Two draws make the significand's 48 bits (one float32 draw has 24).
    return toDF(sign * (1 + v + w * 2 ** -24) * 2 ** Math.floor(40 * uniform01(seed, i, 3) - 20));
  });
}

/** Uniform double-floats in [lo, hi), 48 random bits each; seeded. */
function uniformDFs(seed: number, n: number, lo: number, hi: number): DF<number>[] {
  return Array.from({ length: n }, (_, i) => toDF(lo + (hi - lo) * (uniform01(seed, i, 0) + uniform01(seed, i, 1) * 2 ** -24)));
}

/** Operands, float64 reference and error bound (units of 2^-48) for each unary df64 function. */
export function dfOperands(op: 'sqrt' | 'exp' | 'tanh', n: number): { xs: DF<number>[]; ref: (x: DF<number>) => number; bound: number } {
  if (op === 'sqrt') return { xs: randomDFs(13, n, true), ref: (x) => Math.sqrt(fromDF(x)), bound: 4 };
  // Below e^-54 (~2^-78) the low word can fall under float32's normal range, where GPUs
  // flush it to 0: df64 keeps its 48 bits for magnitudes in [2^-78, 2^128).
  if (op === 'exp') return { xs: uniformDFs(14, n, -54, 88), ref: (x) => Math.exp(fromDF(x)), bound: 8 };
  // Half the tanh operands near 0, where relative accuracy is hardest. Its bound is wider:
  // expm1 past ln 2 / 2 computes 2^k (1 + e) - 1, which cancels up to 3.4x.
  const near = uniformDFs(15, n / 2, -0.01, 0.01);
  return { xs: [...near, ...uniformDFs(16, n - near.length, -12, 12)], ref: (x) => Math.tanh(fromDF(x)), bound: 12 };
}

/** Largest relative error in units of 2^-48. */
export function worstError(got: DF<number>[], exact: number[]): number {
  let w = 0;
  got.forEach((g, i) => (w = Math.max(w, Math.abs(fromDF(g) - exact[i]) / Math.abs(exact[i]) / 2 ** -48)));
  return w;
}

/**
 * Runs a test kernel (`main`, workgroups of 64 over N threads) with `buffers` bound in
 * order, reads `out` (bytes long) back and destroys every buffer.
 */
export async function runKernel(
  device: GPUDevice,
  code: string,
  label: string,
  buffers: GPUBuffer[],
  out: GPUBuffer,
  bytes: number,
  N: number,
): Promise<Float32Array> {
  const module = await compileModule(device, code, label);
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
  pass.dispatchWorkgroups(Math.ceil(N / 64));
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const buf of [...buffers, staging]) buf.destroy();
  return r;
}
