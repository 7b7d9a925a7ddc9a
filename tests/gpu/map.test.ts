// Map images: the GPU kernel against the CPU reference (bit for bit), and the map
// runner: GPU vs CPU engines, chunked vs one go, coarse to fine, zoom.

import { describe, expect, test } from 'vitest';
import { mapImage, lossFloor, CONVERGED_LUT, DIVERGED_LUT, RUNNING_LUT, BASIN_PALETTE, type MapColorOptions } from '../../src/core/analysis/map';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, NO_MINIMUM, Status, particleStatus, setParticleInfo } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { MapColorizer } from '../../src/gpu/map';
import { MapRunner, type MapBackend, type MapImage, type MapRunSpec, type ProductLayout } from '../../src/gpu/map-runner';
import { gpuDevice } from '../helpers/gpu';

/** A deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random particle outcomes, with the losses that need care: NaN, +-inf, negative, zero, subnormal, huge. */
function randomOutcomes(n: number, steps: number, seed: number) {
  const r = rng(seed);
  const pos = new Float32Array(4 * n);
  const start = new Float32Array(4 * n);
  const info = new Uint32Array(4 * n);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.2e-38, 3e38, -3e38, 1, -1.43, -1.4309, 2.5e-7];
  const randomLoss = () => {
    if (r() < 0.25) return special[Math.floor(r() * special.length)];
    bits[0] = Math.floor(r() * 2 ** 32);
    return r() < 0.5 ? asFloat[0] : (r() * 2 - 0.5) * 10 ** Math.floor(r() * 12 - 8);
  };
  for (let i = 0; i < n; i++) {
    const status = Math.floor(r() * 4);
    const taken = Math.floor(r() * (steps + 1));
    const event = r() < 0.1 ? Math.floor(r() * 2 ** 31) : Math.floor(r() * (steps + 2));
    setParticleInfo(info, i, status, taken, event, r() < 0.3 ? NO_MINIMUM : Math.floor(r() * 20));
    pos[4 * i + 2] = randomLoss();
    start[4 * i + 2] = randomLoss();
  }
  return { n, pos, start, info };
}

async function gpuImage(o: ReturnType<typeof randomOutcomes>, opts: MapColorOptions): Promise<Uint32Array> {
  const handle = await gpuDevice();
  const { device } = handle;
  const upload = (data: Float32Array | Uint32Array) => {
    const b = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    return b;
  };
  const bufs = { pos: upload(o.pos), info: upload(o.info), start: upload(o.start) };
  const colorizer = await MapColorizer.create(handle);
  const image = await colorizer.render(bufs, o.n, opts);
  colorizer.destroy();
  Object.values(bufs).forEach((b) => b.destroy());
  return image;
}

function firstDifference(a: Uint32Array, b: Uint32Array): string {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `pixel ${i}: ${a[i].toString(16)} vs ${b[i].toString(16)}`;
  return a.length === b.length ? 'none' : `lengths ${a.length} vs ${b.length}`;
}

describe('map kernel vs CPU reference', () => {
  for (const coloring of ['outcome', 'basin'] as const) {
    for (const [steps, floor] of [
      [1000, 0],
      [7, -1.4309489],
      [0, 2.5],
      [300000, 1e-3],
    ] as const) {
      test(`${coloring}: steps ${steps}, floor ${floor}: identical pixels on random outcomes`, async () => {
        const o = randomOutcomes(20000, steps, 17 + steps);
        const opts: MapColorOptions = { coloring, steps, floor: lossFloor([floor]) };
        const cpu = mapImage(
          { n: o.n, pos: o.pos, info: o.info },
          Float32Array.from({ length: o.n }, (_, i) => o.start[4 * i + 2]),
          opts,
        );
        const gpu = await gpuImage(o, opts);
        expect(firstDifference(gpu, cpu)).toBe('none');
        // The test covers the scales, not one colour.
        const used = new Set(cpu);
        if (coloring === 'outcome') {
          const hit = (lut: Uint32Array) => Array.from(lut).filter((c) => used.has(c)).length;
          if (steps > 0) {
            // event steps 0 .. steps (and beyond, clamped): at least min(steps + 1, 30) buckets
            expect(hit(CONVERGED_LUT)).toBeGreaterThanOrEqual(Math.min(steps + 1, 30));
            expect(hit(DIVERGED_LUT)).toBeGreaterThanOrEqual(Math.min(steps + 1, 30));
          }
          expect(hit(RUNNING_LUT)).toBeGreaterThan(10);
        } else {
          expect(Array.from(BASIN_PALETTE).every((c) => used.has(c))).toBe(true);
        }
      });
    }
  }
});

// ---------------------------------------------------------------- the runner

const quadratic = resolveSurface('quadratic', { lambda1: 2, lambda2: 50, angle: 30 });

/** Heavy ball on the quadratic: lr x momentum, converging, diverging and still running pixels. */
function heavyBall(nx: number, ny: number, steps: number, coarse = 0, coloring: 'outcome' | 'basin' = 'outcome'): MapRunSpec {
  const layout: ProductLayout = {
    kind: 'product',
    start: [1, 1],
    x: { param: 'lr', min: 0.01, max: 0.2, n: nx, scale: 'log' },
    y: { param: 'momentum', min: 0, max: 0.95, n: ny },
  };
  return { surface: quadratic, optimizer: getOptimizer('SGD'), base: {}, config: DEFAULT_RUN_CONFIG, layout, steps, coloring, coarse };
}

async function backend(kind: 'gpu' | 'cpu'): Promise<MapBackend> {
  return kind === 'cpu' ? { kind } : { kind, handle: await gpuDevice() };
}

async function runMap(spec: MapRunSpec, kind: 'gpu' | 'cpu', budget?: number): Promise<{ images: MapImage[]; final: MapImage; ticks: number }> {
  const images: MapImage[] = [];
  const runner = new MapRunner(spec, await backend(kind), { onImage: (im) => images.push(im), keepParticles: true });
  let ticks = 0;
  const final = await runner.run(budget, () => ticks++);
  runner.destroy();
  return { images, final, ticks };
}

function statusCounts(im: MapImage): number[] {
  const c = [0, 0, 0, 0];
  for (let i = 0; i < im.particles!.n; i++) c[particleStatus(im.particles!.info, i)]++;
  return c;
}

describe('map runner', () => {
  test('GPU and CPU engines give the same image (heavy ball on a quadratic, both colourings)', async () => {
    for (const coloring of ['outcome', 'basin'] as const) {
      const spec = heavyBall(24, 16, 150, 0, coloring);
      const gpu = await runMap(spec, 'gpu');
      const cpu = await runMap(spec, 'cpu');
      const counts = statusCounts(cpu.final);
      // every outcome is on the map
      expect(counts[Status.Converged]).toBeGreaterThan(20);
      expect(counts[Status.Running]).toBeGreaterThan(20);
      expect(counts[Status.Diverged] + counts[Status.NonFinite]).toBeGreaterThan(20);
      expect(firstDifference(gpu.final.rgba, cpu.final.rgba)).toBe('none');
      expect(Array.from(gpu.final.particles!.info)).toEqual(Array.from(cpu.final.particles!.info));
    }
  });

  test('chunked runs equal one run (GPU: 7 steps a tick; CPU: 500 particle-steps a tick)', async () => {
    const spec = heavyBall(20, 12, 120);
    const n = 20 * 12;
    const whole = await runMap(spec, 'gpu');
    const gpuChunks = await runMap(spec, 'gpu', 7 * n);
    expect(gpuChunks.ticks).toBeGreaterThanOrEqual(Math.ceil(120 / 7));
    expect(firstDifference(gpuChunks.final.rgba, whole.final.rgba)).toBe('none');
    expect(Array.from(gpuChunks.final.particles!.pos)).toEqual(Array.from(whole.final.particles!.pos));
    const cpuWhole = await runMap(spec, 'cpu');
    const cpuChunks = await runMap(spec, 'cpu', 500);
    expect(cpuChunks.ticks).toBeGreaterThanOrEqual((n * 120) / 500);
    expect(firstDifference(cpuChunks.final.rgba, cpuWhole.final.rgba)).toBe('none');
    expect(Array.from(cpuChunks.final.particles!.pos)).toEqual(Array.from(cpuWhole.final.particles!.pos));
  });

  test('a CPU tick does at most its budget of particle-steps', async () => {
    const runner = new MapRunner(heavyBall(10, 10, 50), { kind: 'cpu' });
    let last = 0;
    while (!runner.finished) {
      runner.tick(37);
      await runner.idle();
      const p = runner.progress;
      if (!p.finished) expect(p.done - last).toBeLessThanOrEqual(37);
      last = p.done;
    }
    expect(runner.progress.done).toBe(runner.progress.total);
  });

  test('coarse to fine: a 16x16 image first (the same as a 16x16 run), then the full 40x30, progress to the end', async () => {
    for (const kind of ['gpu', 'cpu'] as const) {
      const spec = heavyBall(40, 30, 100, 16);
      const images: MapImage[] = [];
      const runner = new MapRunner(spec, await backend(kind), { onImage: (im) => images.push(im) });
      const seen: number[] = [];
      await runner.run(40 * 30 * 25, (p) => seen.push(p.done / p.total));
      expect(images.map((im) => [im.nx, im.ny, im.level, im.final])).toEqual([
        [16, 16, 0, false],
        [40, 30, 1, true],
      ]);
      expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true);
      expect(seen[seen.length - 1]).toBe(1);
      const direct = await runMap(
        { ...heavyBall(16, 16, 100), layout: { ...spec.layout, x: { ...spec.layout.x, n: 16 }, y: { ...spec.layout.y, n: 16 } } },
        kind,
      );
      expect(firstDifference(images[0].rgba, direct.final.rgba)).toBe('none');
      runner.destroy();
    }
  });

  test('zoom starts a fresh run on the new window, even mid-run', async () => {
    const spec = heavyBall(32, 8, 100);
    const runner = new MapRunner(spec, await backend('gpu'), { keepParticles: true });
    runner.tick(32 * 8 * 10);
    await runner.idle();
    runner.tick(32 * 8 * 10);
    runner.zoom([0.05, 0.1], [0.5, 0.9]); // while a chunk is in flight
    const zoomed = await runner.run();
    runner.destroy();
    const fresh = await runMap({ ...spec, layout: runner.layout }, 'gpu');
    expect(runner.layout.x).toMatchObject({ min: 0.05, max: 0.1, n: 32, scale: 'log' });
    expect(zoomed.particles!.hyper[0]).toBeCloseTo(0.05, 7);
    expect(firstDifference(zoomed.rgba, fresh.final.rgba)).toBe('none');
  });
});
