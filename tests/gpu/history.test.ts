// Per-particle histories: the GPU recorder (src/gpu/history.ts) gives the same samples,
// bit for bit, as the CPU reference built from CpuEngine states; the ring keeps the
// newest `capacity` samples in order; sharpness is the top Hessian eigenvalue.

import { describe, expect, test } from 'vitest';
import { HistoryBuilder, HistoryError, sharpness, type HistoryData } from '../../src/core/analysis/history';
import { topEigenvalue } from '../../src/core/analysis/sharpness';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status } from '../../src/core/particles';
import { compileSchedule, resolveSchedule, scheduleValues } from '../../src/core/schedules';
import { resolveSurface, type Surface } from '../../src/core/surfaces';
import { GpuEngine } from '../../src/gpu/engine';
import { HistoryRecorder } from '../../src/gpu/history';
import { openGpuRun } from '../../src/gpu/lr-finder';
import { openCpuRun, runLrRangeTest } from '../../src/core/analysis/lr-range-test';
import { gpuDevice } from '../helpers/gpu';

interface Case {
  name: string;
  surface: Surface;
  optimizer: string;
  hyper?: Record<string, number>;
  schedule?: string;
  layout: Layout;
}

const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Runs both engines with `chunks` dispatches of varying size, recording after each (and at the start). */
async function histories(
  c: Case,
  selected: Uint32Array,
  capacity: number,
  chunks: number[],
): Promise<{ cpu: HistoryData; gpu: HistoryData; recordedSteps: number[] }> {
  const opt = getOptimizer(c.optimizer, { schedule: c.schedule ? resolveSchedule(c.schedule) : undefined });
  const particles = buildParticles(c.layout, opt, c.hyper ?? {});
  const setup = { surface: c.surface, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG };
  const cpu = new CpuEngine(setup);
  const gpu = await GpuEngine.create(await gpuDevice(), setup);
  const rec = await HistoryRecorder.create(gpu, setup, selected, capacity);
  const ref = new HistoryBuilder(c.surface, opt, particles.n, selected, capacity);
  const recordedSteps = [0];
  cpu.step(0);
  rec.record();
  ref.record(cpu.state);
  for (const k of chunks) {
    cpu.step(k);
    gpu.step(k);
    rec.record();
    ref.record(cpu.state);
    recordedSteps.push(recordedSteps.at(-1)! + k);
  }
  const out = { cpu: ref.result(), gpu: await rec.read(), recordedSteps };
  rec.destroy();
  gpu.destroy();
  return out;
}

function mismatches(a: HistoryData, b: HistoryData): string[] {
  const bad: string[] = [];
  for (const key of ['step', 'status', 'x', 'y', 'loss', 'sharpness', 'lr'] as const) {
    for (let o = 0; o < a[key].length; o++) {
      if (!sameBits(a[key][o], b[key][o]))
        bad.push(`${key}[particle ${a.selected[Math.floor(o / a.length)]}, sample ${o % a.length}]: cpu ${a[key][o]} gpu ${b[key][o]}`);
    }
  }
  return bad;
}

const twoLayer = resolveSurface('two-layer');
const chunks = [1, 1, 2, 3, 1, 5, 1, 1, 4, 2, 1, 1, 3, 1, 2, 1, 1, 6, 1, 1];

const CASES: Case[] = [
  {
    // Random starts x 8 lr bands: some converge, some oscillate, the largest diverge.
    name: 'two-layer, GD, lr per particle (no schedule: lr from hyper)',
    surface: twoLayer,
    optimizer: 'gd',
    layout: { kind: 'random', domain: [-2, 2, -2, 2], perBand: 32, bands: 8, lrMin: 0.02, lrMax: 1.2, seed: 5 },
  },
  {
    name: 'quadratic, SGD momentum, LRRangeTest (lr from the schedule state)',
    surface: resolveSurface('quadratic', { lambda1: 1, lambda2: 20, angle: 30 }),
    optimizer: 'sgd',
    hyper: { momentum: 0.5 },
    schedule: 'LRRangeTest(start_lr=1e-3, end_lr=1, num_it=40)',
    layout: { kind: 'random', domain: [-2, 2, -2, 2], perBand: 128, bands: 2, lrMin: 0.01, lrMax: 0.02, seed: 1 },
  },
  {
    name: 'rosenbrock, Adam, StepLR',
    surface: resolveSurface('rosenbrock'),
    optimizer: 'adam',
    schedule: 'StepLR(step_size=4, gamma=0.5)',
    layout: { kind: 'sweep', start: [-1.5, 2], lrMin: 1e-3, lrMax: 0.5, n: 200 },
  },
];

describe('history: GPU samples equal the CPU reference bit for bit', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const n = c.layout.kind === 'sweep' ? c.layout.n : c.layout.kind === 'random' ? c.layout.perBand * c.layout.bands : 0;
      const selected = Uint32Array.from({ length: Math.floor(n / 3) }, (_, k) => 3 * k + 1);
      const capacity = 12;
      const { cpu, gpu, recordedSteps } = await histories(c, selected, capacity, chunks);
      const bad = mismatches(cpu, gpu);
      expect(bad.length, bad.slice(0, 5).join('\n')).toBe(0);
      // The ring kept the newest `capacity` of 21 samples, oldest first.
      expect(gpu.length).toBe(capacity);
      expect(gpu.count).toBe(selected.length);
      const kept = recordedSteps.slice(-capacity);
      let running = 0;
      for (let j = 0; j < gpu.count; j++) {
        const row = Array.from(gpu.step.subarray(j * capacity, (j + 1) * capacity));
        if (gpu.status[(j + 1) * capacity - 1] === Status.Running) {
          running++;
          expect(row).toEqual(kept);
        } else {
          // A stopped particle's step count freezes: still never decreasing.
          expect(row.every((s, k) => k === 0 || s >= row[k - 1])).toBe(true);
        }
      }
      expect(running).toBeGreaterThan(0);
    });
  }

  test('the lr is the one of the step that led to the sample (the base lr before any step)', async () => {
    const c = CASES[1];
    const selected = Uint32Array.from([0, 7]);
    const { gpu } = await histories(c, selected, 64, [1, 1, 1, 1, 1]);
    const lr = Array.from(gpu.lr.subarray(0, 6));
    expect(lr[0]).toBe(Math.fround(0.01)); // particle 0's base lr
    // LRRangeTest: start_lr * (end_lr/start_lr)^(t/num_it) for steps t = 0 .. 4.
    for (let t = 0; t < 5; t++) expect(lr[t + 1]).toBeCloseTo(1e-3 * 1000 ** (t / 40), 9);
  });

  test('few samples: the ring holds what was recorded, not the capacity', async () => {
    const { cpu, gpu } = await histories(CASES[0], Uint32Array.from([0, 1, 2]), 50, [2, 2]);
    expect(gpu.length).toBe(3);
    expect(mismatches(cpu, gpu)).toEqual([]);
    expect(Array.from(gpu.step.subarray(0, 3))).toEqual([0, 2, 4]);
  });

  test('bad selections and capacities are refused with a clear message', async () => {
    const opt = getOptimizer('gd');
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.1, lrMax: 0.2, n: 10 }, opt);
    const setup = { surface: twoLayer, optimizer: opt, particles, config: DEFAULT_RUN_CONFIG };
    const gpu = await GpuEngine.create(await gpuDevice(), setup);
    await expect(HistoryRecorder.create(gpu, setup, Uint32Array.from([3, 10]), 5)).rejects.toThrow(/particle 10 is selected .* only 10/);
    await expect(HistoryRecorder.create(gpu, setup, Uint32Array.from([1]), 0)).rejects.toThrow(HistoryError);
    await expect(HistoryRecorder.create(gpu, setup, new Uint32Array(4097), 5)).rejects.toThrow(/1 to 4096 particles, got 4097/);
    gpu.destroy();
  });
});

describe('the LR range test through the history: the same curve on both engines', () => {
  test("rosenbrock, SGD momentum, 64 random starts: GPU curve == CPU curve; lr per step is the schedule's", async () => {
    const spec = {
      surface: resolveSurface('rosenbrock'),
      optimizer: 'sgd',
      hyper: { momentum: 0.9 },
      lrMin: 1e-6,
      lrMax: 1e-2,
      steps: 60,
      particles: 64,
      seed: 2,
    };
    const gpu = await runLrRangeTest(spec, openGpuRun(await gpuDevice()));
    const cpu = await runLrRangeTest(spec, openCpuRun);
    expect(gpu.curve).toEqual(cpu.curve);
    expect(gpu.suggestions).toEqual(cpu.suggestions);
    expect(gpu.curve.lr.length).toBe(60);
    const lr = scheduleValues(compileSchedule(resolveSchedule('LRRangeTest(start_lr=1e-6, end_lr=1e-2, num_it=60)')), 1, 60);
    expect(gpu.curve.lr).toEqual(Array.from(lr));
    expect(gpu.schedule).toMatch(/^LRRangeTest\(/);
  });

  test('a particle that leaves the domain ends the curve (it counts as a stop)', async () => {
    // One start; the lr reaches 100 on a bowl of curvature 10: |x| passes the bound of 1e4.
    const spec = {
      surface: resolveSurface('quadratic', { lambda1: 10, lambda2: 10 }),
      optimizer: 'gd',
      lrMin: 0.01,
      lrMax: 100,
      steps: 40,
      particles: 1,
      start: [1, 1] as [number, number],
    };
    const r = await runLrRangeTest({ ...spec, stopDiv: false }, openGpuRun(await gpuDevice()));
    expect(r.stop).toBe('nonfinite');
    const firstInf = r.curve.loss.findIndex((l) => l === Infinity);
    expect(firstInf).toBeGreaterThan(0);
    expect(r.stopIndex).toBe(firstInf - 1);
    expect(r.raw.length).toBe(firstInf);
  });
});

describe('sharpness: the top eigenvalue of the Hessian in float32', () => {
  test('two-layer at a minimum ab = 1: a^2 + b^2', () => {
    for (const [a, b] of [
      [1, 1],
      [2, 0.5],
      [0.25, 4],
      [-3, -1 / 3],
    ]) {
      expect(sharpness(twoLayer, a, Math.fround(b))).toBeCloseTo(a * a + b * b, 4);
    }
  });

  test('agrees with the float64 eigenvalues of the Hessian within float32 rounding', () => {
    const s = resolveSurface('himmelblau');
    for (let k = 0; k < 200; k++) {
      const x = Math.fround(-4 + 0.04 * k);
      const y = Math.fround(3 - 0.03 * k);
      const exact = s.eigenvaluesAt(x, y)[1];
      expect(Math.abs(sharpness(s, x, y) - exact)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(exact)));
    }
  });

  test('closed form: diagonal and rotated matrices', () => {
    expect(topEigenvalue(3, 0, 7)).toBe(7);
    expect(topEigenvalue(-2, 0, -5)).toBe(-2);
    expect(topEigenvalue(2, 1, 2)).toBe(3);
  });
});
