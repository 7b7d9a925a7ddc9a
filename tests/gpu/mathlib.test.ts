// The float32 libm: the WGSL (shaders/mathlib.ts) and the TypeScript twin
// (src/core/expr/mathlib.ts) give the same numbers, and both are accurate.

import { describe, expect, test } from 'vitest';
import * as m from '../../src/core/expr/mathlib';
import { MATHLIB_WGSL } from '../../shaders/mathlib';
import { compileModule } from '../../src/gpu/engine';
import { gpuDevice } from '../helpers/gpu';
import { Graph } from '../../src/core/expr/graph';
import { parseExpression } from '../../src/core/expr/parse';
import { compileProgram, Evaluator } from '../../src/core/expr/program';
import { emitWGSL } from '../../shaders/codegen';

type Case = { name: string; wgsl: string; ts: (x: number) => number; ref: (x: number) => number; lo: number; hi: number; maxUlp: number };

const cases: Case[] = [
  { name: 'exp', wgsl: 'es_exp(x)', ts: m.exp32, ref: Math.exp, lo: -87, hi: 88, maxUlp: 2 },
  { name: 'log', wgsl: 'es_log(x)', ts: m.log32, ref: Math.log, lo: 1e-30, hi: 1e30, maxUlp: 3 },
  { name: 'log near 1', wgsl: 'es_log(x)', ts: m.log32, ref: Math.log, lo: 0.5, hi: 2, maxUlp: 2 },
  { name: 'log1p', wgsl: 'es_log1p(x)', ts: m.log1p32, ref: Math.log1p, lo: -0.5, hi: 4, maxUlp: 3 },
  { name: 'sin', wgsl: 'es_sin(x)', ts: m.sin32, ref: Math.sin, lo: -100, hi: 100, maxUlp: 2 },
  { name: 'cos', wgsl: 'es_cos(x)', ts: m.cos32, ref: Math.cos, lo: -100, hi: 100, maxUlp: 2 },
  { name: 'sincos.x', wgsl: 'es_sincos(x).x', ts: m.sin32, ref: Math.sin, lo: -100, hi: 100, maxUlp: 2 },
  { name: 'sincos.y', wgsl: 'es_sincos(x).y', ts: m.cos32, ref: Math.cos, lo: -100, hi: 100, maxUlp: 2 },
  { name: 'tan', wgsl: 'es_tan(x)', ts: m.tan32, ref: Math.tan, lo: -1.5, hi: 1.5, maxUlp: 4 },
  { name: 'atan', wgsl: 'es_atan(x)', ts: m.atan32, ref: Math.atan, lo: -50, hi: 50, maxUlp: 2 },
  { name: 'tanh', wgsl: 'es_tanh(x)', ts: m.tanh32, ref: Math.tanh, lo: -12, hi: 12, maxUlp: 4 },
  { name: 'sinh', wgsl: 'es_sinh(x)', ts: m.sinh32, ref: Math.sinh, lo: -20, hi: 20, maxUlp: 4 },
  { name: 'cosh', wgsl: 'es_cosh(x)', ts: m.cosh32, ref: Math.cosh, lo: -20, hi: 20, maxUlp: 3 },
  { name: 'sigmoid', wgsl: 'es_sigmoid(x)', ts: m.sigmoid32, ref: (x) => 1 / (1 + Math.exp(-x)), lo: -30, hi: 30, maxUlp: 4 },
  { name: 'softplus', wgsl: 'es_softplus(x)', ts: m.softplus32, ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), lo: -30, hi: 30, maxUlp: 4 },
];

const N = 1 << 16;

/** Distance in units of the last place of the float32 nearest the true value. */
function ulps(got: number, exact: number): number {
  const t = Math.fround(exact);
  if (got === t) return 0;
  if (!Number.isFinite(t) || !Number.isFinite(got)) return Infinity;
  const ulp = Math.max(Math.pow(2, Math.floor(Math.log2(Math.abs(t))) - 23), 2 ** -149);
  return Math.abs(got - exact) / ulp;
}

async function runGpu(expr: string, xs: Float32Array, body = ''): Promise<Float32Array> {
  const { device } = await gpuDevice();
  const code = `${MATHLIB_WGSL}
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let x = a[gid.x];
  ${body}
  a[gid.x] = ${expr};
}`;
  const module = await compileModule(device, code, 'mathlib-test');
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const buf = device.createBuffer({ size: xs.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, xs.buffer as ArrayBuffer, xs.byteOffset, xs.byteLength);
  const staging = device.createBuffer({ size: xs.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  pass.dispatchWorkgroups(xs.length / 64);
  pass.end();
  enc.copyBufferToBuffer(buf, 0, staging, 0, xs.byteLength);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  buf.destroy();
  staging.destroy();
  return out;
}

describe('float32 libm: WGSL and TypeScript agree bit for bit, and are accurate', () => {
  for (const c of cases) {
    test(c.name, async () => {
      // Log-spaced for log's wide range, linear otherwise.
      const wide = c.hi / c.lo > 1e6 && c.lo > 0;
      const xs = new Float32Array(N).map((_, i) => {
        const t = (i + 0.5) / N;
        return wide ? c.lo * Math.pow(c.hi / c.lo, t) : c.lo + (c.hi - c.lo) * t;
      });
      const gpu = await runGpu(c.wgsl, xs);
      let mismatches = 0;
      let first = '';
      let worst = 0;
      for (let i = 0; i < N; i++) {
        const cpu = c.ts(xs[i]);
        if (!Object.is(cpu, gpu[i]) && !(Number.isNaN(cpu) && Number.isNaN(gpu[i]))) {
          mismatches++;
          first ||= `x=${xs[i]}: cpu ${cpu}, gpu ${gpu[i]}`;
        }
        worst = Math.max(worst, ulps(cpu, c.ref(xs[i])));
      }
      expect(mismatches, first).toBe(0);
      expect(worst).toBeLessThanOrEqual(c.maxUlp);
    });
  }

  test('special values', async () => {
    // No subnormals: whether a GPU flushes them to zero is up to the implementation.
    const specials = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-30, 89, -80, 1e10, -1e10];
    const xs = new Float32Array(64).map((_, i) => specials[i % specials.length]);
    for (const c of cases) {
      const gpu = await runGpu(c.wgsl, xs);
      for (let i = 0; i < specials.length; i++) {
        const cpu = c.ts(xs[i]);
        const same = Object.is(cpu, gpu[i]) || (Number.isNaN(cpu) && Number.isNaN(gpu[i])) || (cpu === 0 && gpu[i] === 0);
        expect(same, `${c.name}(${xs[i]}): cpu ${cpu}, gpu ${gpu[i]}`).toBe(true);
      }
    }
  });
});

describe('pow with a constant base (bias corrections, schedules): as the kernels print it, bit for bit', () => {
  const ys = new Float32Array(N).map((_, i) => -300 + (600 * (i + 0.5)) / N);
  ys.set([0, -0, Infinity, -Infinity, NaN, 1, 2, 1e6], 0);
  for (const c of ['0.9', '0.999', '2', '1', '1e-3', '3.5e30', '0', '(-2)']) {
    test(`${c}^y`, async () => {
      const g = new Graph();
      const program = compileProgram(['y'], { v: parseExpression(g, `${c}^y`, { variables: ['y'] }) });
      const em = emitWGSL(program, { inputs: { y: 'x' }, prefix: 'p' });
      const gpu = await runGpu(em.outputs.v, ys, em.code);
      const ev = new Evaluator(program);
      for (let i = 0; i < N; i++) {
        const cpu = ev.run(ys[i]).out('v');
        const same = Object.is(cpu, gpu[i]) || (Number.isNaN(cpu) && Number.isNaN(gpu[i]));
        if (!same) expect.fail(`${c}^${ys[i]}: cpu ${cpu}, gpu ${gpu[i]}`);
      }
    });
  }
});
