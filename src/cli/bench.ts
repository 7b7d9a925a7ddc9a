// `etascape bench`: particle-steps per second of the WebGPU engine and of the CPU
// reference on one workload, and fused (K steps per dispatch) vs one step per dispatch.
// `runBench` is the measurement, reusable without the command line.

import { cpus } from 'node:os';
import { CpuEngine } from '../core/engine/cpu';
import type { Engine, EngineSetup } from '../core/engine/engine';
import { buildParticles } from '../core/layouts';
import { getOptimizer } from '../core/optimizers';
import { DEFAULT_RUN_CONFIG, Status } from '../core/particles';
import { resolveSurface } from '../core/surfaces';
import type { DeviceHandle } from '../gpu/device';
import { GpuEngine } from '../gpu/engine';
import { checkCount, checkGpuCapacity, fmt, openGpu, padTable } from './common';

export interface BenchOptions {
  /** Particles (default 2^20). */
  n?: number;
  /** Steps per round of the GPU workloads (default 100). */
  steps?: number;
  /** Steps fused into one dispatch in the fused workload (default min(100, steps)). */
  stepsPerDispatch?: number;
  /** The CPU reference runs enough steps (at most `steps`) for about this long (default 2). */
  cpuSeconds?: number;
  /** GPU workloads repeat their round until they have run at least this long (default 1). */
  minSeconds?: number;
  /** Bound on the steps any particle takes in one GPU workload (keeps them all running). */
  maxStepsPerParticle?: number;
  /** An open device (default: opens one and destroys it at the end). */
  handle?: DeviceHandle;
  /** Progress messages. */
  log?: (message: string) => void;
}

export interface BenchWorkload {
  name: string;
  engine: 'gpu' | 'cpu';
  surface: string;
  optimizer: string;
  particles: number;
  lr_min: number;
  lr_max: number;
  start: [number, number];
  steps_per_dispatch: number;
  dispatches: number;
  /** Executed particle-steps, from the engines' per-particle step counters. */
  particle_steps: number;
  seconds: number;
  particle_steps_per_second: number;
  /** Particles that stopped (converged/diverged) by the end: should be 0. */
  stopped: number;
}

export interface BenchResult {
  adapter: string;
  date: string;
  node: string;
  cpu: string;
  workloads: BenchWorkload[];
  ratios: { gpu_vs_cpu: number; fused_vs_unfused: number };
}

export const BENCH_WORKLOAD = {
  surface: 'rosenbrock',
  optimizer: 'SGD',
  lrMin: 1e-6,
  lrMax: 1e-4,
  start: [-1.5, 2] as [number, number],
};

async function counters(engine: Engine): Promise<{ steps: number; stopped: number }> {
  const s = await engine.read();
  let steps = 0;
  let stopped = 0;
  for (let i = 0; i < s.n; i++) {
    steps += s.info[4 * i + 1];
    if (s.info[4 * i] !== Status.Running) stopped++;
  }
  return { steps, stopped };
}

/** `steps` as dispatches of k steps (the last one shorter when k does not divide steps). */
export function dispatchPlan(steps: number, k: number): number[] {
  const plan: number[] = [];
  for (let done = 0; done < steps; done += k) plan.push(Math.min(k, steps - done));
  return plan;
}

/**
 * Times rounds of dispatches (`plan`: steps per dispatch) after a one-step warm-up
 * dispatch (not counted). Submits batches of 1, 2, 4, ... rounds, waiting for the GPU
 * after each, until `minSeconds` have passed or `maxRounds` rounds ran.
 */
async function timeGpu(engine: GpuEngine, plan: number[], minSeconds: number, maxRounds: number) {
  engine.step(1);
  await engine.done();
  const before = await counters(engine);
  const t = performance.now();
  let rounds = 0;
  for (let batch = 1; ; batch *= 2) {
    const b = Math.min(batch, maxRounds - rounds);
    for (let r = 0; r < b; r++) for (const k of plan) engine.step(k);
    rounds += b;
    await engine.done();
    if (performance.now() - t >= minSeconds * 1000 || rounds >= maxRounds) break;
  }
  const seconds = (performance.now() - t) / 1000;
  const after = await counters(engine);
  return { dispatches: rounds * plan.length, particleSteps: after.steps - before.steps, seconds, stopped: after.stopped };
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const n = opts.n ?? 1 << 20;
  const steps = opts.steps ?? 100;
  const K = Math.min(opts.stepsPerDispatch ?? 100, steps);
  const cpuSeconds = opts.cpuSeconds ?? 2;
  const minSeconds = opts.minSeconds ?? 1;
  const maxSteps = opts.maxStepsPerParticle ?? 20000;
  const log = opts.log ?? (() => {});
  checkCount(n, '--n');
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`steps must be a whole number >= 1, got ${steps}`);
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`steps per dispatch must be a whole number >= 1, got ${K}`);

  const w = BENCH_WORKLOAD;
  const surface = resolveSurface(w.surface);
  const optimizer = getOptimizer(w.optimizer);
  const handle = opts.handle ?? (await openGpu());
  const workloads: BenchWorkload[] = [];
  const entry = (name: string, engine: 'gpu' | 'cpu', k: number, dispatches: number, particleSteps: number, seconds: number, stopped: number): BenchWorkload => ({
    name,
    engine,
    surface: w.surface,
    optimizer: `${w.optimizer} (plain GD)`,
    particles: n,
    lr_min: w.lrMin,
    lr_max: w.lrMax,
    start: w.start,
    steps_per_dispatch: k,
    dispatches,
    particle_steps: particleSteps,
    seconds,
    particle_steps_per_second: particleSteps / seconds,
    stopped,
  });
  try {
    checkGpuCapacity(handle, optimizer, n);
    const particles = buildParticles({ kind: 'sweep', start: w.start, lrMin: w.lrMin, lrMax: w.lrMax, n }, optimizer, {});
    const setup: EngineSetup = { surface, optimizer, particles, config: DEFAULT_RUN_CONFIG };

    log(`gpu: compiling the step kernel for ${n} particles`);
    const gpu = await GpuEngine.create(handle, setup);
    try {
      await gpu.done();
      const maxRounds = Math.max(1, Math.floor(maxSteps / steps));
      const plan = dispatchPlan(steps, K);
      log(`gpu fused: ${plan.length} dispatch(es) of ${K} steps per round`);
      const fused = await timeGpu(gpu, plan, minSeconds, maxRounds);
      workloads.push(entry(`gpu, ${K} steps per dispatch`, 'gpu', K, fused.dispatches, fused.particleSteps, fused.seconds, fused.stopped));
      log(`gpu unfused: dispatches of 1 step`);
      const unfused = await timeGpu(gpu, [1], minSeconds, maxSteps);
      workloads.push(entry('gpu, 1 step per dispatch', 'gpu', 1, unfused.dispatches, unfused.particleSteps, unfused.seconds, unfused.stopped));
    } finally {
      gpu.destroy();
    }

    log(`cpu reference: calibrating`);
    const cpu = new CpuEngine(setup);
    const probe = Math.min(n, 16384);
    let t = performance.now();
    cpu.stepRange(1, 0, probe); // also warms up the JIT
    const probeSeconds = Math.max((performance.now() - t) / 1000, 1e-6);
    const perStep = (probeSeconds * n) / probe;
    const k = Math.max(1, Math.min(steps, Math.round(cpuSeconds / perStep)));
    log(`cpu reference: ${k} step(s) on ${n} particles (about ${(k * perStep).toFixed(1)} s)`);
    const before = await counters(cpu);
    t = performance.now();
    cpu.step(k);
    const seconds = (performance.now() - t) / 1000;
    const after = await counters(cpu);
    workloads.push(entry('cpu reference', 'cpu', k, 1, after.steps - before.steps, seconds, after.stopped));
  } finally {
    if (!opts.handle) handle.device.destroy();
  }

  const rate = (i: number) => workloads[i].particle_steps_per_second;
  return {
    adapter: handle.adapterName,
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model?.trim() ?? 'unknown'} x ${cpus().length}`,
    workloads,
    ratios: { gpu_vs_cpu: rate(0) / rate(2), fused_vs_unfused: rate(0) / rate(1) },
  };
}

export function benchTable(r: BenchResult): string {
  const w0 = r.workloads[0];
  const rows = [['workload', 'engine', 'steps/dispatch', 'dispatches', 'particle-steps', 'seconds', 'particle-steps/s', 'stopped']];
  for (const w of r.workloads) {
    rows.push([w.name, w.engine, String(w.steps_per_dispatch), String(w.dispatches), String(w.particle_steps), w.seconds.toFixed(3), w.particle_steps_per_second.toExponential(3), String(w.stopped)]);
  }
  const ratio = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)}x`;
  return [
    `etascape bench: ${w0.optimizer} on ${w0.surface}, ${w0.particles} particles, lr ${fmt(w0.lr_min)}..${fmt(w0.lr_max)} log-spaced, start (${w0.start.join(', ')})`,
    `adapter: ${r.adapter}`,
    `node ${r.node}, cpu ${r.cpu}, ${r.date}`,
    '',
    padTable(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
    `gpu vs cpu:        ${ratio(r.ratios.gpu_vs_cpu)}  (${r.workloads[0].name} / ${r.workloads[2].name})`,
    `fused vs unfused:  ${ratio(r.ratios.fused_vs_unfused)}  (${r.workloads[0].name} / ${r.workloads[1].name})`,
  ].join('\n');
}
