// Engine mechanics on the GPU: the PRNG matches its TypeScript twin, particle counts
// up to 4 million run, device limits give a clear error, and dispatch splitting does
// not change results.

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, layoutParticles } from '../../src/core/layouts';
import { compileOptimizer, getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, ParticleError, type ParticleRanges, type ParticleState, particleStatus, particleSteps, rangesOf } from '../../src/core/particles';
import { hash3 } from '../../src/core/random';
import { resolveSurface } from '../../src/core/surfaces';
import { compileModule, GpuEngine, maxParticlesFor, ShaderCompileError, stepPipeline } from '../../src/gpu/engine';
import { TrailRecorder, trailSelection } from '../../src/gpu/trails';
import randomWgsl from '../../shaders/random.wgsl?raw';
import { gpuDevice, runBoth } from '../helpers/gpu';

describe('PRNG', () => {
  test('hash3 in WGSL equals hash3 in TypeScript', async () => {
    const { device } = await gpuDevice();
    const N = 4096;
    const code = `${randomWgsl}
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  out[g.x] = hash3(12345u, g.x, g.x % 7u);
}`;
    const module = await compileModule(device, code, 'prng');
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const buf = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
    pass.dispatchWorkgroups(N / 64);
    pass.end();
    enc.copyBufferToBuffer(buf, 0, staging, 0, N * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const gpu = new Uint32Array(staging.getMappedRange().slice(0));
    const cpu = Uint32Array.from({ length: N }, (_, i) => hash3(12345, i, i % 7));
    expect(Array.from(gpu)).toEqual(Array.from(cpu));
    expect(new Set(cpu).size).toBeGreaterThan(N * 0.99);
  });
});

describe('particle counts', () => {
  test('4 million particles run on the GPU and match the CPU reference on a sample', async () => {
    const surface = resolveSurface('rosenbrock');
    const opt = getOptimizer('SGD');
    const n = 1 << 22;
    const layout = { kind: 'sweep' as const, start: [-1.5, 2] as [number, number], lrMin: 1e-6, lrMax: 1e-3, n };
    const particles = buildParticles(layout, opt, { momentum: 0.5 });
    const engine = await GpuEngine.create(await gpuDevice(), { surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG });
    engine.step(20);
    const gpu = await engine.read();
    engine.destroy();
    // The CPU reference on every 4099th particle (same layout, same steps).
    const idx = Array.from({ length: 1024 }, (_, k) => (k * 4099) % n);
    const sample = buildParticles(layout, opt, { momentum: 0.5 });
    const cpuEngine = new CpuEngine({ surface, optimizer: opt, particles: sample, config: DEFAULT_RUN_CONFIG });
    for (const i of idx) cpuEngine.stepRange(20, i, i + 1);
    const cpu = await cpuEngine.read();
    for (const i of idx) {
      expect(particleSteps(gpu.info, i), `steps of ${i}`).toBe(20);
      for (let c = 0; c < 3; c++) {
        const a = cpu.pos[4 * i + c];
        const b = gpu.pos[4 * i + c];
        expect(Math.abs(a - b) / Math.max(Math.abs(a), 1e-3), `particle ${i} component ${c}`).toBeLessThan(1e-5);
      }
    }
  });

  test('the starting particles are made and uploaded a range at a time, and run as if given whole', async () => {
    // A sweep one range and a bit long, whose last particle alone has another momentum:
    // specialized on the first range only, the kernel would give it the wrong one.
    const surface = resolveSurface('rosenbrock');
    const opt = getOptimizer('SGD');
    const n = (1 << 16) + 37;
    const layout = { kind: 'sweep' as const, start: [-1.5, 2] as [number, number], lrMin: 1e-5, lrMax: 1e-3, n };
    const whole = buildParticles(layout, opt, { momentum: 0.5 });
    const last = (n - 1) * whole.hyperStride + opt.def.hyper.findIndex((h) => h.name === 'momentum');
    whole.hyper[last] = 0.9;
    const source = rangesOf(whole);
    let most = 0;
    let made = 0;
    const spied: ParticleRanges = {
      ...source,
      range: (first, count) => {
        most = Math.max(most, count);
        made += count;
        return source.range(first, count);
      },
    };
    const engine = await GpuEngine.create(await gpuDevice(), { surface, optimizer: opt, particles: spied, config: DEFAULT_RUN_CONFIG });
    expect(made).toBe(n);
    expect(most).toBeLessThanOrEqual(1 << 16);
    engine.step(20);
    const gpu = await engine.readRange(n - 3, 3);
    engine.destroy();
    const cpuEngine = new CpuEngine({ surface, optimizer: opt, particles: whole, config: DEFAULT_RUN_CONFIG });
    cpuEngine.stepRange(20, n - 3, n);
    const cpu = await cpuEngine.readRange(n - 3, 3);
    expect(Array.from(gpu.hyper)).toEqual(Array.from(cpu.hyper));
    for (let i = 0; i < 3; i++) {
      for (let c = 0; c < 3; c++) {
        const a = cpu.pos[4 * i + c];
        const b = gpu.pos[4 * i + c];
        expect(Math.abs(a - b) / Math.max(Math.abs(a), 1e-3), `particle ${n - 3 + i} component ${c}`).toBeLessThan(1e-5);
      }
    }
    // A layout made a range at a time uploads the same particles as the whole state.
    const ranged = await GpuEngine.create(await gpuDevice(), {
      surface,
      optimizer: opt,
      particles: layoutParticles(layout, opt, { momentum: 0.5 }),
      config: DEFAULT_RUN_CONFIG,
    });
    const got = await ranged.read();
    ranged.destroy();
    const want = buildParticles(layout, opt, { momentum: 0.5 });
    expect(got.hyper).toEqual(want.hyper);
    expect(Array.from(got.pos.filter((_, k) => k % 4 < 2))).toEqual(Array.from(want.pos.filter((_, k) => k % 4 < 2)));
  });

  test('more particles than the device allows: a clear error naming the limit', async () => {
    const real = await gpuDevice();
    const small = { ...real, limits: { ...real.limits, maxStorageBufferBindingSize: 1 << 20 } };
    const surface = resolveSurface('quadratic');
    const opt = getOptimizer('Adam');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 1e-3, lrMax: 1e-1, n: 100_000 }, opt);
    expect(maxParticlesFor(small, particles)).toBe(Math.floor((1 << 20) / 24));
    const setup = { surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG };
    await expect(GpuEngine.create(small, setup)).rejects.toThrow(ParticleError);
    await expect(GpuEngine.create(small, setup)).rejects.toThrow(/too many particles for this GPU: 100000 > 43690.*maxStorageBufferBindingSize/);
  });
});

describe('dispatch splitting', () => {
  function same(a: ParticleState, b: ParticleState) {
    expect(Array.from(a.pos)).toEqual(Array.from(b.pos));
    expect(Array.from(a.info)).toEqual(Array.from(b.info));
  }
  test('300 steps as 1 x 300, 3 x 100 and 300 x 1 dispatches give identical particles', async () => {
    const surface = resolveSurface('himmelblau');
    const layout = {
      kind: 'random' as const,
      domain: [-5, 5, -5, 5] as [number, number, number, number],
      perBand: 256,
      bands: 4,
      lrMin: 1e-3,
      lrMax: 3e-2,
      seed: 9,
    };
    const a = await runBoth(surface, 'SGD', layout, { steps: 300, perDispatch: 300, hyper: { momentum: 0.8 } });
    const b = await runBoth(surface, 'SGD', layout, { steps: 300, perDispatch: 100, hyper: { momentum: 0.8 } });
    const c = await runBoth(surface, 'SGD', layout, { steps: 300, perDispatch: 1, hyper: { momentum: 0.8 } });
    same(a.gpu, b.gpu);
    same(a.gpu, c.gpu);
    same(a.cpu, c.cpu);
    // The run includes every outcome: converged and diverged particles are frozen identically.
    const statuses = new Set(Array.from({ length: a.gpu.n }, (_, i) => particleStatus(a.gpu.info, i)));
    expect(statuses.size).toBeGreaterThan(1);
  });
});

describe('step pipelines cached by kernel text', () => {
  test('the same text gives the same pipeline, another text another; a failed compile is not kept', async () => {
    const { device } = await gpuDevice();
    const code = (v: number) => `@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(1) fn main() { o[0] = ${v}u; }`;
    const a = await stepPipeline(device, code(1), 'a');
    expect(await stepPipeline(device, code(1), 'a again')).toBe(a);
    expect(await stepPipeline(device, code(2), 'b')).not.toBe(a);
    const broken = 'fn main() { let a: f32 = 1u; }';
    const first = stepPipeline(device, broken, 'broken');
    await expect(first).rejects.toThrow(ShaderCompileError);
    const second = stepPipeline(device, broken, 'broken');
    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(ShaderCompileError);
  });
});

describe('trails', () => {
  test("the ring holds each selected particle's position at the last len frames, as the CPU reference had them", async () => {
    const handle = await gpuDevice();
    const { device } = handle;
    const surface = resolveSurface('himmelblau');
    const opt = getOptimizer('SGD');
    const layout = {
      kind: 'random' as const,
      domain: [-4, 4, -4, 4] as [number, number, number, number],
      perBand: 64,
      bands: 4,
      lrMin: 1e-3,
      lrMax: 1e-2,
      seed: 5,
    };
    const particles = buildParticles(layout, opt, { momentum: 0.5 });
    const setup = { surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } };
    const engine = await GpuEngine.create(handle, setup);
    const selected = trailSelection(particles.n, 16);
    const len = 5;
    const ring = device.createBuffer({ size: selected.length * len * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const recorder = await TrailRecorder.create(handle, engine.buffers.pos, ring, selected, len);
    const cpu = new CpuEngine(setup);
    const history: number[][][] = []; // frame -> trail -> [x, y, loss]
    const frames = 7;
    for (let f = 0; f < frames; f++) {
      engine.step(3);
      recorder.record();
      cpu.step(3);
      history.push(Array.from(selected, (i) => [0, 1, 2].map((c) => cpu.state.pos[4 * i + c])));
    }
    expect(recorder.head).toBe((frames - 1) % len);
    expect(recorder.filled).toBe(len);
    const staging = device.createBuffer({ size: ring.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(ring, 0, staging, 0, ring.size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    for (let age = 0; age < len; age++) {
      const frame = frames - 1 - age;
      const slot = (recorder.head - age + len) % len;
      selected.forEach((_, j) => {
        for (let c = 0; c < 3; c++) {
          const want = history[frame][j][c];
          const have = got[4 * (j * len + slot) + c];
          expect(Math.abs(have - want) / Math.max(Math.abs(want), 1e-3), `trail ${j}, age ${age}, component ${c}`).toBeLessThan(1e-5);
        }
      });
    }
    expect(Array.from(selected)).toEqual(Array.from(trailSelection(256, 16)));
    expect(new Set(selected).size).toBe(16);
    recorder.destroy();
    engine.destroy();
    ring.destroy();
  });
});

describe('stateless optimizers', () => {
  test('an optimizer without state slots runs on the GPU and agrees with the CPU reference', async () => {
    const def = {
      name: 'TestGD',
      doc: 'plain GD with no state, defined in the test',
      hyper: [{ name: 'lr', default: 0.01, min: 0, openMin: true, doc: 'lr' }],
      state: [],
      update: 'p = p - lr * g',
    };
    const opt = compileOptimizer(def);
    expect(opt.stateStride).toBe(0);
    const surface = resolveSurface('quadratic');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 0.15, n: 64 }, opt);
    const setup = { surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } };
    const gpu = await GpuEngine.create(await gpuDevice(), setup);
    gpu.step(50);
    const cpu = new CpuEngine(setup);
    cpu.step(50);
    const a = await gpu.read();
    const b = await cpu.read();
    expect(Array.from(a.info.filter((_, k) => k % 4 === 1))).toEqual(new Array(64).fill(50));
    for (let i = 0; i < 64 * 4; i++) expect(Math.abs(a.pos[i] - b.pos[i])).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(b.pos[i])));
    gpu.destroy();
  });
});

describe('reading back in ranges', () => {
  test('readRange gives the same particles as slices of read(), on both engines, and refuses a range outside the run', async () => {
    const surface = resolveSurface('himmelblau');
    const optimizer = getOptimizer('Adam');
    const setup = {
      surface,
      optimizer,
      particles: buildParticles({ kind: 'sweep', start: [-4, 4], lrMin: 1e-3, lrMax: 1, n: 1000 }, optimizer, {}),
      config: DEFAULT_RUN_CONFIG,
    };
    const gpu = await GpuEngine.create(await gpuDevice(), setup);
    const cpu = new CpuEngine(setup);
    gpu.step(50);
    cpu.step(50);
    for (const engine of [gpu, cpu]) {
      const whole = await engine.read();
      // Ranges that split the run unevenly, the last one short, and an empty one.
      for (const [first, count] of [
        [0, 384],
        [384, 384],
        [768, 232],
        [1000, 0],
      ]) {
        const part = await engine.readRange(first, count);
        expect(part.n).toBe(count);
        expect(Array.from(part.pos)).toEqual(Array.from(whole.pos.subarray(4 * first, 4 * (first + count))));
        expect(Array.from(part.hyper)).toEqual(Array.from(whole.hyper.subarray(whole.hyperStride * first, whole.hyperStride * (first + count))));
        expect(Array.from(part.state)).toEqual(Array.from(whole.state.subarray(whole.stateStride * first, whole.stateStride * (first + count))));
        expect(Array.from(part.info)).toEqual(Array.from(whole.info.subarray(4 * first, 4 * (first + count))));
      }
      await expect(engine.readRange(900, 101)).rejects.toThrow('particles 900 .. 1000 are not all among the 1000');
    }
    gpu.destroy();
  });
});
