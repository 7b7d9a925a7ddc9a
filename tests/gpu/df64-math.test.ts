// The df64 elementary functions on the GPU (df64Wgsl of shaders/df64.ts) against the
// CPU reference (src/core/df64-math.ts) and float64: 10^3 operands each, in one kernel.
// The functions built from +, -, *, floor and select (sin, cos, abs, sign, floor, min,
// max, positive powi) are bit for bit the CPU's: WGSL rounds those correctly. The rest
// divide or take square roots, which WGSL need not round correctly (SwiftShader's differ
// in the last bit), so they hold the CPU's error bound instead.

import { describe, expect, test } from 'vitest';
import { DF_BINARY, DF_CPU, DF_UNARY, dfPowi, fromDF, toDF, type DF } from '../../src/core/df64';
import { df64Wgsl, wgslFunction, type DFCalls } from '../../shaders/df64';
import { gpuDevice } from '../helpers/gpu';
import { runKernel } from '../helpers/df64';
import { mathCases, worstMathError, type MathCase } from '../helpers/df64-math';

const N = 1000;
const POWI = [3, -2] as const;
type Named = keyof typeof DF_UNARY | keyof typeof DF_BINARY;

interface Call {
  name: string;
  /** The df_ function and its arguments' offsets in the input buffer. */
  fn: string;
  args: DF<number>[][];
  cpu: (...x: DF<number>[]) => DF<number>;
}

/** One dispatch: out[k N + i] = call k on its i-th operands. */
async function runGpu(calls: Call[], library: string): Promise<DF<number>[][]> {
  const { device } = await gpuDevice();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const upload = (data: Float32Array, u = usage) => {
    const buf = device.createBuffer({ size: data.byteLength, usage: u });
    device.queue.writeBuffer(buf, 0, data.buffer as ArrayBuffer);
    return buf;
  };
  const flat = calls.flatMap((c) => c.args.flat());
  const offsets: number[] = [];
  calls.flatMap((c) => c.args).reduce((off, a) => (offsets.push(off), off + a.length), 0);
  const input = upload(new Float32Array(flat.flat()));
  const bytes = 8 * N * calls.length;
  const out = device.createBuffer({ size: bytes, usage });
  const one = upload(new Float32Array([1, 0, 0, 0]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  let arg = 0;
  const lines = calls.map((c, k) => `  out[${k * N}u + i] = df_${c.fn}(${c.args.map(() => `u[${offsets[arg++]}u + i]`).join(', ')});`);
  const code = `${library}
@group(0) @binding(0) var<storage, read> u: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> one: vec4<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  df_one = one.x;
  let i = gid.x;
  if (i >= ${N}u) { return; }
${lines.join('\n')}
}`;
  const r = await runKernel(device, code, 'df64-math-test', [input, out, one], out, bytes, N);
  return calls.map((_, k) => Array.from({ length: N }, (_, i) => [r[2 * (k * N + i)], r[2 * (k * N + i) + 1]] as const));
}

const pad = (xs: DF<number>[]) => Array.from({ length: N }, (_, i) => xs[i % xs.length]);
/** Bit for bit, but for the sign of zeros: SwiftShader compiles 0 - x (dfNeg) as -x, which gives -0 at 0. */
const sameBits = (g: DF<number>[], c: DF<number>[]) => g.every((x, i) => x[0] === c[i][0] && x[1] === c[i][1]);

describe('df64 elementary functions on the GPU', () => {
  const cases = mathCases(N);
  // Integers with a low word either side, fractions, and ties of the high word (floor, min, max).
  const exact = Array.from({ length: N }, (_, i) => toDF((i - N / 2) * 3.25 + (i % 3 === 0 ? (i % 2 ? 1 : -1) * 2 ** -30 : 0)));
  const tied = exact.map((x, i) => (i % 2 ? ([x[0], -x[1]] as const) : exact[(i + 7) % N]));
  // No NaN operand: WGSL does not promise NaN propagation (SwiftShader folds NaN * 0 to 0).
  const limits = pad([0, -1, Infinity, 2 ** -130].map(toDF));
  const near1: DF<number>[] = pad([[1, 2 ** -40]]);
  const calls: Call[] = [
    ...Object.entries(cases).map(([op, c]) => ({
      name: op,
      fn: op,
      args: c.ys ? [c.xs, c.ys] : [c.xs],
      cpu: (x: DF<number>, y?: DF<number>) => (y ? DF_BINARY[op as 'pow'](DF_CPU, x, y) : DF_UNARY[op as 'log'](DF_CPU, x)),
    })),
    ...(['abs', 'sign', 'floor'] as const).map((op) => ({ name: op, fn: op, args: [exact], cpu: (x: DF<number>) => DF_UNARY[op](DF_CPU, x) })),
    ...(['min', 'max'] as const).map((op) => ({ name: op, fn: op, args: [exact, tied], cpu: (x: DF<number>, y: DF<number>) => DF_BINARY[op](DF_CPU, x, y) })),
    ...POWI.map((n) => ({
      name: `powi ${n}`,
      fn: `powi_${n < 0 ? 'm' : ''}${Math.abs(n)}`,
      args: [cases.pow.xs],
      cpu: (x: DF<number>) => dfPowi(DF_CPU, x, n),
    })),
    { name: 'log limits', fn: 'log', args: [limits], cpu: (x: DF<number>) => DF_UNARY.log(DF_CPU, x) },
    { name: 'log near 1', fn: 'log', args: [near1], cpu: (x: DF<number>) => DF_UNARY.log(DF_CPU, x) },
  ];
  const used: DFCalls = new Map();
  const powi = POWI.map((n, k) => wgslFunction(calls[calls.length - 4 + k].fn, ['a'], (o, [a]) => dfPowi(o, a, n), used));
  const names = [...new Set(calls.map((c) => c.fn).filter((f) => !f.startsWith('powi')))] as Named[];
  const results = runGpu(calls, [df64Wgsl(names, used), ...powi].join('\n\n'));
  const byName = async (name: string) => {
    const k = calls.findIndex((c) => c.name === name);
    const c = calls[k];
    return { gpu: (await results)[k], cpu: Array.from({ length: N }, (_, i) => c.cpu(...c.args.map((a) => a[i]))) };
  };

  test.each(Object.keys(cases))('%s: within the CPU bound of float64', async (op) => {
    const c: MathCase = cases[op];
    const { gpu, cpu } = await byName(op);
    const worst = worstMathError(c, gpu);
    // The GPU against the CPU reference, in the same measure.
    const vsCpu = Math.max(...gpu.map((g, i) => c.measure(fromDF(g), fromDF(cpu[i]), fromDF(c.xs[i]), c.ys ? fromDF(c.ys[i]) : 0) / 2 ** -48));
    const same = gpu.filter((g, i) => sameBits([g], [cpu[i]])).length / N;
    console.log(`df64 ${op} (GPU): worst ${worst.toFixed(2)} units of 2^-48, ${vsCpu.toFixed(2)} from the CPU, ${(100 * same).toFixed(1)}% bit-equal`);
    expect(worst).toBeLessThan(c.bound);
    expect(vsCpu).toBeLessThan(c.bound);
    if (op === 'sin' || op === 'cos') expect(same).toBe(1);
  });
  test.each(['abs', 'sign', 'floor', 'min', 'max', 'powi 3'])('%s: bit for bit the CPU reference', async (name) => {
    const { gpu, cpu } = await byName(name);
    expect(sameBits(gpu, cpu)).toBe(true);
  });
  test('powi -2, the limits of log, and log(1 + 2^-40) (no reassociation lost the 2^-40)', async () => {
    const p = await byName('powi -2');
    expect(Math.max(...p.gpu.map((g, i) => Math.abs(fromDF(g) / fromDF(p.cpu[i]) - 1)))).toBeLessThan(2 ** -46);
    const l = await byName('log limits');
    expect(l.gpu.slice(0, 4).map(fromDF)).toEqual([-Infinity, NaN, Infinity, -Infinity]);
    const g = fromDF((await byName('log near 1')).gpu[0]);
    expect(Math.abs(g / (2 ** -40 - 2 ** -81) - 1)).toBeLessThan(2 ** -46);
  });
});
