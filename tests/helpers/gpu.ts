// One Dawn device per test file (SwiftShader here), destroyed after the file.
import { afterAll } from 'vitest';
import { buildParticles, type Layout } from '../../src/core/layouts';
import { CpuEngine } from '../../src/core/engine/cpu';
import { getOptimizer } from '../../src/core/optimizers';
import { resolveSchedule } from '../../src/core/schedules';
import { DEFAULT_RUN_CONFIG, type ParticleState, type RunConfig } from '../../src/core/particles';
import type { Surface } from '../../src/core/surfaces';
import type { DeviceHandle } from '../../src/gpu/device';
import { GpuEngine } from '../../src/gpu/engine';
import { nodeDevice } from '../../src/gpu/node';

let handle: Promise<DeviceHandle> | undefined;

export function gpuDevice(): Promise<DeviceHandle> {
  if (!handle) {
    handle = nodeDevice();
    // Files may share this module (vitest without isolation): the next file opens its own device.
    afterAll(async () => {
      const h = handle!;
      handle = undefined;
      (await h).device.destroy();
    });
  }
  return handle;
}

export interface PairRun {
  cpu: ParticleState;
  gpu: ParticleState;
}

/** Runs the same particles on both engines: `steps` in dispatches of `perDispatch`. */
export async function runBoth(
  surface: Surface,
  optimizer: string,
  layout: Layout,
  opts: {
    hyper?: Record<string, number | undefined>;
    steps: number;
    perDispatch?: number;
    config?: Partial<RunConfig>;
    schedule?: string;
    perCoordinateLr?: boolean;
  },
): Promise<PairRun> {
  const opt = getOptimizer(optimizer, { schedule: opts.schedule ? resolveSchedule(opts.schedule) : undefined, perCoordinateLr: opts.perCoordinateLr });
  const particles = buildParticles(layout, opt, opts.hyper ?? {});
  const setup = { surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, ...opts.config } };
  const cpu = new CpuEngine(setup);
  const k = opts.perDispatch ?? opts.steps;
  // The kernel the engine picks for this many steps per dispatch (fast pass from FAST_PASS_MIN_STEPS).
  const gpu = await GpuEngine.create(await gpuDevice(), { ...setup, stepsPerDispatch: k });
  for (let done = 0; done < opts.steps; done += k) {
    const s = Math.min(k, opts.steps - done);
    cpu.step(s);
    gpu.step(s);
  }
  const result = { cpu: await cpu.read(), gpu: await gpu.read() };
  gpu.destroy();
  return result;
}

/** Largest relative difference |a-b| / max(|a|, |b|, floor) over x, y and loss of every particle. */
export function maxRelativeDiff(a: ParticleState, b: ParticleState, floor = 1e-3): { diff: number; index: number } {
  let diff = 0;
  let index = -1;
  for (let i = 0; i < a.n; i++) {
    for (let c = 0; c < 3; c++) {
      const u = a.pos[4 * i + c];
      const v = b.pos[4 * i + c];
      if (Object.is(u, v) || (Number.isNaN(u) && Number.isNaN(v))) continue;
      const d = Math.abs(u - v) / Math.max(Math.abs(u), Math.abs(v), floor);
      if (!(d <= diff)) {
        diff = Number.isNaN(d) ? Infinity : d;
        index = i;
      }
    }
  }
  return { diff, index };
}
