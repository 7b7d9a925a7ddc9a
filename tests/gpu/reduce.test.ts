// Every GPU reduction (src/gpu/reduce.ts) equals the CPU reduction (src/core/analysis/bins.ts)
// on the same particle state, count for count: the state of the GPU engine, and the CPU
// reference's state uploaded into GPU buffers.

import { describe, expect, test } from 'vitest';
import { Bifurcation, particleSharpness, reduceBins, sweepBinning, type Binning, type HistogramSpec } from '../../src/core/analysis/bins';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, type ParticleState, type RunConfig, particleStatus } from '../../src/core/particles';
import { resolveSurface, type Surface } from '../../src/core/surfaces';
import type { DeviceHandle } from '../../src/gpu/device';
import { GpuEngine } from '../../src/gpu/engine';
import { GpuReducer, type ReduceTarget } from '../../src/gpu/reduce';
import { gpuDevice } from '../helpers/gpu';

interface Case {
  name: string;
  surface: Surface;
  optimizer: string;
  hyper?: Record<string, number>;
  layout: Layout;
  steps: number;
  config?: Partial<RunConfig>;
  binnings: Binning[];
  histograms: Omit<HistogramSpec, 'value'>[];
  /** Statuses this run must contain, so the test covers them. */
  statuses: number[];
}

const lossLog = { buckets: 64, lo: -12, hi: 4, log: true };
const coord = { buckets: 50, lo: -2, hi: 2 };

const CASES: Case[] = [
  {
    // lambda = 1, 10: converges below lr 0.2, diverges above, still oscillating near it.
    name: 'GD on a quadratic (running, converged, diverged)',
    surface: resolveSurface('quadratic', { lambda1: 1, lambda2: 10 }),
    optimizer: 'SGD',
    layout: { kind: 'sweep', start: [1.5, 1.5], lrMin: 0.02, lrMax: 0.3, n: 1000 },
    steps: 150,
    binnings: [sweepBinning(1000, 7), sweepBinning(1000, 64), { div: 1, mod: 3 }],
    histograms: [lossLog, coord],
    statuses: [Status.Running, Status.Converged, Status.Diverged],
  },
  {
    // sqrt(x): large steps jump to x < 0, where the loss is NaN; y diverges past lr 2.
    name: 'GD on (x - 1)^2 + sqrt(x) + y^2/2 (non-finite)',
    surface: resolveSurface('(x - 1)^2 + sqrt(x) + 0.5*y^2'),
    optimizer: 'SGD',
    layout: { kind: 'sweep', start: [1, 1], lrMin: 0.01, lrMax: 4, n: 777 },
    steps: 60,
    binnings: [sweepBinning(777, 10)],
    histograms: [
      { buckets: 32, lo: -3, hi: 3 },
      { buckets: 40, lo: -6, hi: 1, log: true, offset: -0.5 },
    ],
    statuses: [Status.Running, Status.Converged, Status.NonFinite],
  },
  {
    // Two known minima, momentum x lr map: columns and rows as bins.
    name: 'heavy ball on the double well (minima, product layout)',
    surface: resolveSurface('double-well'),
    optimizer: 'SGD',
    layout: {
      kind: 'product',
      start: [-0.95, 0.05],
      x: { param: 'lr', min: 0.005, max: 60, n: 37, scale: 'log' },
      y: { param: 'momentum', min: 0, max: 0.95, n: 23 },
    },
    steps: 400,
    binnings: [{ div: 1, mod: 37 }, { div: 37, mod: 23 }, sweepBinning(37 * 23, 9)],
    histograms: [{ buckets: 30, lo: -2, hi: 0.5 }, lossLog],
    statuses: [Status.Running, Status.Converged, Status.Diverged],
  },
  {
    name: 'Adam on the two-layer net, random starts',
    surface: resolveSurface('two-layer'),
    optimizer: 'Adam',
    layout: { kind: 'random', domain: [-3, 3, -3, 3], perBand: 41, bands: 13, lrMin: 0.001, lrMax: 3, seed: 7 },
    steps: 300,
    config: { gtol: 1e-3, ftol: 1e-5 },
    binnings: [{ div: 41, mod: 13 }, sweepBinning(41 * 13, 5)],
    histograms: [
      { buckets: 48, lo: -3, hi: 3 },
      { buckets: 40, lo: -2, hi: 2, log: true },
    ],
    statuses: [Status.Running, Status.Converged],
  },
];

/** The histogram specs exercised on a case: every value kind over the case's ranges (sharpness on a log range). */
function specsFor(c: Case): HistogramSpec[] {
  return [
    { value: 'loss', ...c.histograms[c.histograms.length - 1] },
    { value: 'x', ...c.histograms[0] },
    { value: 'y', ...c.histograms[0] },
    { value: 'sharpness', buckets: 60, lo: -2, hi: 3, log: true },
    { value: 'sharpness', buckets: 25, lo: -5, hi: 40 },
  ];
}

function write(handle: DeviceHandle, b: GPUBuffer, data: Float32Array | Uint32Array): void {
  handle.device.queue.writeBuffer(b, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

/** The CPU reference's particles in GPU buffers of the engine's layout. */
function upload(handle: DeviceHandle, p: ParticleState): ReduceTarget & { destroy(): void } {
  const make = (data: Float32Array | Uint32Array) => {
    const b = handle.device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    write(handle, b, data);
    return b;
  };
  const pos = make(p.pos);
  const info = make(p.info);
  return {
    n: p.n,
    pos,
    info,
    destroy: () => {
      pos.destroy();
      info.destroy();
    },
  };
}

async function engines(c: Case): Promise<{ gpu: GpuEngine; cpu: CpuEngine }> {
  const opt = getOptimizer(c.optimizer);
  const particles = buildParticles(c.layout, opt, c.hyper ?? {});
  const setup = { surface: c.surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, ...c.config } };
  return { gpu: await GpuEngine.create(await gpuDevice(), setup), cpu: new CpuEngine(setup) };
}

function statusCounts(p: ParticleState): number[] {
  const s = [0, 0, 0, 0];
  for (let i = 0; i < p.n; i++) s[particleStatus(p.info, i)]++;
  return s;
}

describe.each(CASES)('$name', (c) => {
  test("summaries (status, minima, range, histograms of loss, x, y, sharpness): GPU = CPU on both engines' states", async () => {
    const handle = await gpuDevice();
    const { gpu, cpu } = await engines(c);
    gpu.step(c.steps);
    cpu.step(c.steps);
    const gpuState = await gpu.read();
    const cpuState = await cpu.read();
    const counts = statusCounts(cpuState);
    console.log(`${c.name}: status counts (CPU) ${counts.join(', ')}`);
    for (const s of c.statuses) expect(counts[s], `status ${s} present`).toBeGreaterThan(0);
    const cpuTarget = upload(handle, cpuState);
    let compared = 0;
    for (const binning of c.binnings) {
      for (const histogram of specsFor(c)) {
        const spec = { binning, histogram };
        for (const [target, state] of [
          [{ n: gpu.n, ...gpu.buffers }, gpuState],
          [cpuTarget, cpuState],
        ] as const) {
          const reducer = await GpuReducer.create(handle, target, { surface: c.surface, ...spec });
          const got = await reducer.summary();
          reducer.destroy();
          const want = reduceBins(state, c.surface, spec);
          expect(Array.from(got.data), `${JSON.stringify(spec)}`).toEqual(Array.from(want.data));
          // The summary is not vacuous: every particle counted once, by status and by minimum.
          let total = 0;
          let inMinima = 0;
          let histogrammed = 0;
          for (let b = 0; b < binning.mod; b++) {
            total += got.count(b);
            for (let m = 0; m < c.surface.minima.length; m++) inMinima += got.minimum(b, m);
            inMinima += got.minimum(b, null);
            histogrammed += got.histogram(b).reduce((a, v) => a + v, 0);
          }
          expect(total).toBe(state.n);
          expect(inMinima).toBe(state.n);
          const finite = statusCounts(state)[Status.Running] + statusCounts(state)[Status.Converged];
          expect(histogrammed).toBeGreaterThan(0);
          expect(histogrammed).toBeLessThanOrEqual(finite);
          compared++;
        }
      }
    }
    expect(compared).toBe(c.binnings.length * specsFor(c).length * 2);
    cpuTarget.destroy();
    gpu.destroy();
  });

  test('per-particle sharpness: GPU = CPU bit for bit', async () => {
    const { gpu } = await engines(c);
    gpu.step(c.steps);
    const state = await gpu.read();
    const reducer = await GpuReducer.forEngine(gpu, {
      surface: c.surface,
      binning: { div: 1, mod: 1 },
      histogram: { value: 'loss', buckets: 1, lo: 0, hi: 1 },
      sharpness: true,
    });
    const got = await reducer.sharpness();
    const want = particleSharpness(state, c.surface);
    const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
    const differ = Array.from(got.keys()).filter((i) => !same(got[i], want[i]));
    expect(differ.map((i) => `particle ${i}: GPU ${got[i]}, CPU ${want[i]}`)).toEqual([]);
    expect(got.some((v) => Number.isFinite(v) && v !== 0)).toBe(true);
    reducer.destroy();
    gpu.destroy();
  });
});

describe('bifurcation density', () => {
  const surface = resolveSurface('log(cosh(x)) + 0.25*y^2');
  const layout: Layout = { kind: 'sweep', start: [0.5, 0.5], lrMin: 1.5, lrMax: 3.5, n: 1001 };
  const binning = sweepBinning(1001, 24);
  const histogram: HistogramSpec = { value: 'x', buckets: 120, lo: -3, hi: 3 };

  test('accumulated over K iterates of the GPU engine: GPU = CPU', async () => {
    const { gpu } = await engines({ surface, optimizer: 'SGD', layout } as Case);
    const reducer = await GpuReducer.forEngine(gpu, { surface, binning, histogram });
    const cpu = new Bifurcation(surface, { binning, histogram });
    gpu.step(200);
    for (let k = 0; k < 16; k++) {
      gpu.step(1);
      reducer.accumulate();
      cpu.accumulate(await gpu.read());
    }
    const image = await reducer.density();
    expect(Array.from(image)).toEqual(Array.from(cpu.image));
    expect(image.reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
    reducer.clearDensity();
    expect((await reducer.density()).every((v) => v === 0)).toBe(true);
    reducer.destroy();
    gpu.destroy();
  });

  test('accumulated over K iterates of the CPU reference (uploaded each step), log loss and sharpness: GPU = CPU', async () => {
    const handle = await gpuDevice();
    const { cpu: engine } = await engines({ surface, optimizer: 'SGD', layout } as Case);
    engine.step(200);
    const target = upload(handle, engine.state);
    for (const h of [
      { value: 'loss', buckets: 90, lo: -8, hi: 1, log: true },
      { value: 'sharpness', buckets: 33, lo: -0.1, hi: 1.1 },
    ] as HistogramSpec[]) {
      const reducer = await GpuReducer.create(handle, target, { surface, binning, histogram: h });
      const cpu = new Bifurcation(surface, { binning, histogram: h });
      for (let k = 0; k < 12; k++) {
        engine.step(1);
        write(handle, target.pos, engine.state.pos);
        write(handle, target.info, engine.state.info);
        reducer.accumulate();
        cpu.accumulate(engine.state);
      }
      const image = await reducer.density();
      expect(Array.from(image)).toEqual(Array.from(cpu.image));
      expect(new Set(image).size).toBeGreaterThan(2);
      reducer.destroy();
    }
    target.destroy();
  });
});

describe('readback', () => {
  test('staging buffers are pooled: sequential summaries reuse one, overlapping ones get their own, all correct', async () => {
    const c = CASES[0];
    const { gpu } = await engines(c);
    gpu.step(c.steps);
    const spec = { binning: sweepBinning(gpu.n, 16), histogram: { value: 'loss', ...lossLog } as HistogramSpec };
    const want = reduceBins(await gpu.read(), c.surface, spec);
    const reducer = await GpuReducer.forEngine(gpu, { surface: c.surface, ...spec });
    for (let k = 0; k < 4; k++) expect(Array.from((await reducer.summary()).data)).toEqual(Array.from(want.data));
    expect(reducer.stagingBuffers).toBe(1);
    const overlapping = await Promise.all([reducer.summary(), reducer.summary(), reducer.summary()]);
    overlapping.forEach((s) => expect(Array.from(s.data)).toEqual(Array.from(want.data)));
    expect(reducer.stagingBuffers).toBe(3);
    // A new range applies to work queued after it.
    const wide = { ...spec.histogram, lo: -20, hi: 10 };
    reducer.setHistogram(wide);
    expect(Array.from((await reducer.summary()).data)).toEqual(Array.from(reduceBins(await gpu.read(), c.surface, { ...spec, histogram: wide }).data));
    expect(() => reducer.setHistogram({ ...wide, buckets: 3 })).toThrow(/bucket count/);
    reducer.destroy();
    gpu.destroy();
  });
});
