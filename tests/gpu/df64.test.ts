// Double-float arithmetic on the GPU (shaders/df64.ts) against the CPU reference
// (src/core/df64.ts) and float64, on 10^5 random operand pairs per operation, so the
// error-free transformations are checked as this device's compiler built them.
// (Measured on SwiftShader: the same results without the fence; it is there for
// compilers that reassociate by default, such as Metal's fast math.)

import { describe, expect, test } from 'vitest';
import { DF_BINARY, DF_CPU, DF_UNARY, fromDF, type DF } from '../../src/core/df64';
import { DF64_WGSL } from '../../shaders/df64';
import { compileModule } from '../../src/gpu/engine';
import { gpuDevice } from '../helpers/gpu';
import { randomDFs } from '../helpers/df64';

const N = 100_000;
const OPS = ['add', 'sub', 'mul', 'div', 'sqrt'] as const;
type Op = (typeof OPS)[number];

function kernel(): string {
  const calls = OPS.map((op, k) => `  out[${OPS.length} * i + ${k}] = df_${op}(a[i]${op === 'sqrt' ? '' : ', b[i]'});`).join('\n');
  return `${DF64_WGSL}
@group(0) @binding(0) var<storage, read> a: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> one: vec4<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  df_one = one.x;
  let i = gid.x;
  if (i >= arrayLength(&a)) { return; }
${calls}
}`;
}

async function runGpu(a: DF<number>[], b: DF<number>[]): Promise<Float32Array> {
  const { device } = await gpuDevice();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const upload = (data: Float32Array, u = usage) => {
    const buf = device.createBuffer({ size: data.byteLength, usage: u });
    device.queue.writeBuffer(buf, 0, data.buffer as ArrayBuffer);
    return buf;
  };
  const bufA = upload(new Float32Array(a.flat()));
  const bufB = upload(new Float32Array(b.flat()));
  const bytes = 8 * OPS.length * N;
  const out = device.createBuffer({ size: bytes, usage });
  const one = upload(new Float32Array([1, 0, 0, 0]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const module = await compileModule(device, kernel(), 'df64-test');
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  const entries = [bufA, bufB, out, one].map((buffer, binding) => ({ binding, resource: { buffer } }));
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
  pass.dispatchWorkgroups(Math.ceil(N / 64));
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const buf of [bufA, bufB, out, one, staging]) buf.destroy();
  return result;
}

const a = randomDFs(11, N);
const b = randomDFs(12, N);
const positive = a.map(([hi, lo]) => [Math.abs(hi), hi < 0 ? -lo : lo] as const);

function cpu(op: Op, i: number): DF<number> {
  return op === 'sqrt' ? DF_UNARY.sqrt(DF_CPU, positive[i]) : DF_BINARY[op](DF_CPU, a[i], b[i]);
}
function exact(op: Op, i: number): number {
  const [x, y] = [fromDF(a[i]), fromDF(b[i])];
  return { add: x + y, sub: x - y, mul: x * y, div: x / y, sqrt: Math.sqrt(fromDF(positive[i])) }[op];
}

/** Per operation: the worst relative error (units of 2^-48) and the share of results bit-equal to the CPU's. */
function compare(gpu: Float32Array): Record<Op, { worst: number; sameBits: number }> {
  const r = {} as Record<Op, { worst: number; sameBits: number }>;
  OPS.forEach((op, k) => {
    let worst = 0;
    let same = 0;
    for (let i = 0; i < N; i++) {
      const got: DF<number> = [gpu[2 * (OPS.length * i + k)], gpu[2 * (OPS.length * i + k) + 1]];
      const ref = cpu(op, i);
      if (Object.is(got[0], ref[0]) && Object.is(got[1], ref[1])) same++;
      const e = exact(op, i);
      worst = Math.max(worst, Math.abs(fromDF(got) - e) / Math.abs(e) / 2 ** -48);
    }
    r[op] = { worst, sameBits: same / N };
  });
  return r;
}

describe('df64 on the GPU', () => {
  test('every operation within 4 units of 2^-48 of float64; +, -, * bit-equal to the CPU reference', async () => {
    // sqrt reads its operands from `a`, so the GPU gets the positive copy there.
    const gpuSqrt = compare(await runGpu(positive, b)).sqrt;
    const r = { ...compare(await runGpu(a, b)), sqrt: gpuSqrt };
    console.log('df64 GPU vs float64 (worst, units of 2^-48) and bit-equal share vs CPU:', JSON.stringify(r));
    for (const op of OPS) expect(r[op].worst, op).toBeLessThan(4);
    // +, - and * are correctly rounded in WGSL, so every conforming device gives the CPU's bits.
    for (const op of ['add', 'sub', 'mul'] as const) expect(r[op].sameBits, op).toBe(1);
  });
});
