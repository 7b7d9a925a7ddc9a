// `etascape bench`: particle-steps per second of the WebGPU engine and of the CPU
// reference on one workload, and fused (K steps per dispatch) vs one step per dispatch.
// `runBench` is the measurement, reusable without the command line.

import { cpus } from 'node:os';
import { CpuEngine } from '../core/engine/cpu';
import type { EngineSetup } from '../core/engine/engine';
import { buildParticles } from '../core/layouts';
import { getOptimizer } from '../core/optimizers';
import { DEFAULT_RUN_CONFIG, particleSteps } from '../core/particles';
import { resolveSurface } from '../core/surfaces';
import type { DeviceHandle } from '../gpu/device';
import { GpuEngine } from '../gpu/engine';
import { MapRunner, type ProductLayout } from '../gpu/map-runner';
import { BareKernel } from '../gpu/bare';
import { runPeerRows, peerLines, type PeerRow } from './bench-peers';
import { ALTERNATIONS, counters, dispatchPlan, timeAlternating, timeEngineAndBare, type Timing } from './bench-timing';
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
  /** The map workload: res x res runs (default min(512, sqrt(n)); 0 leaves it out) of mapSteps steps (default 1000). */
  mapRes?: number;
  mapSteps?: number;
  /** Particles of each peer row, engine vs bare kernel (default n; 0 leaves them out). */
  peerN?: number;
}

export interface BenchWorkload {
  name: string;
  /** bare: the bare kernel (shaders/bare.ts), the same arithmetic without status, checks or loss. */
  engine: 'gpu' | 'cpu' | 'bare';
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
  /** Engine vs bare kernel per optimizer x surface (absent with peerN 0). */
  peers?: PeerRow[];
  /** The map workload (absent with mapRes 0). */
  map?: MapBench;
  ratios: { gpu_vs_cpu: number; fused_vs_unfused: number; engine_vs_bare: number; map_gpu_vs_cpu?: number };
}

/** A hyperparameter map, whole, on the GPU against the CPU reference on a subset of its rows. */
interface MapBench {
  surface: string;
  optimizer: string;
  x: string;
  y: string;
  res: number;
  steps: number;
  /** GPU: the whole map, from engine creation (kernel compilation included) to the image read back. */
  gpu_seconds: number;
  gpu_particle_steps: number;
  /** CPU reference: `cpu_rows` rows spread over the map, timed, and scaled to all rows. */
  cpu_rows: number;
  cpu_seconds_measured: number;
  cpu_seconds_extrapolated: number;
  cpu_particle_steps: number;
  note: string;
}

const MAP_BENCH = {
  surface: 'rosenbrock',
  x: { param: 'lr', min: 1e-5, max: 3e-3, scale: 'log' as const },
  y: { param: 'x0', min: -2, max: 2 },
  start: [-1.5, 2] as [number, number],
};

function executedSteps(info: Uint32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += particleSteps(info, i);
  return s;
}

/** GD on Rosenbrock, lr (log) x start x: the GPU runs the whole map, the CPU reference some rows. */
async function runMapBench(handle: DeviceHandle, res: number, steps: number, cpuSeconds: number, log: (m: string) => void): Promise<MapBench> {
  const w = MAP_BENCH;
  const surface = resolveSurface(w.surface);
  const optimizer = getOptimizer('SGD');
  const layout: ProductLayout = { kind: 'product', start: w.start, x: { ...w.x, n: res }, y: { ...w.y, n: res } };
  checkGpuCapacity(handle, optimizer, res * res);
  const spec = { surface, optimizer, base: {}, config: DEFAULT_RUN_CONFIG, layout, steps, coloring: 'outcome' as const, coarse: 0 };
  log(`map: ${res}x${res} runs of ${steps} steps on the GPU`);
  let t = performance.now();
  const runner = new MapRunner(spec, { kind: 'gpu', handle }, { keepParticles: true });
  const image = await runner.run(res * res * 100);
  const gpuSeconds = (performance.now() - t) / 1000;
  runner.destroy();
  const gpuSteps = executedSteps(image.particles!.info, 0, res * res);

  // The CPU reference on rows spread evenly over the map (rows differ in how soon runs stop).
  const cpu = new CpuEngine({ surface, optimizer, particles: buildParticles(layout, optimizer, {}), config: DEFAULT_RUN_CONFIG });
  const mid = Math.floor(res / 2);
  t = performance.now();
  cpu.stepRange(steps, mid * res, (mid + 1) * res);
  const rowSeconds = Math.max((performance.now() - t) / 1000, 1e-6);
  const rows = Math.max(1, Math.min(res - 1, Math.round(cpuSeconds / rowSeconds)));
  const picked = Array.from(new Set(Array.from({ length: rows }, (_, k) => Math.floor(((k + 0.5) * res) / rows)))).filter((r) => r !== mid);
  log(`map: the CPU reference on ${picked.length + 1} of ${res} rows`);
  t = performance.now();
  for (const r of picked) cpu.stepRange(steps, r * res, (r + 1) * res);
  const measured = (performance.now() - t) / 1000 + rowSeconds;
  const info = cpu.state.info;
  const cpuSteps = [mid, ...picked].reduce((a, r) => a + executedSteps(info, r * res, (r + 1) * res), 0);
  const cpuRows = picked.length + 1;
  return {
    surface: w.surface,
    optimizer: 'SGD (plain GD)',
    x: `lr ${w.x.min}..${w.x.max} (log)`,
    y: `x0 ${w.y.min}..${w.y.max} (start y ${w.start[1]})`,
    res,
    steps,
    gpu_seconds: gpuSeconds,
    gpu_particle_steps: gpuSteps,
    cpu_rows: cpuRows,
    cpu_seconds_measured: measured,
    cpu_seconds_extrapolated: (measured * res) / cpuRows,
    cpu_particle_steps: cpuSteps,
    note: `the CPU reference ran ${cpuRows} of ${res} rows (spread over the map); its time for the whole map is that time x ${res}/${cpuRows}`,
  };
}

export const BENCH_WORKLOAD = {
  surface: 'rosenbrock',
  optimizer: 'SGD',
  lrMin: 1e-6,
  lrMax: 1e-4,
  start: [-1.5, 2] as [number, number],
};

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
  let map: MapBench | undefined;
  let peers: PeerRow[] = [];
  const entry = (
    name: string,
    engine: BenchWorkload['engine'],
    k: number,
    dispatches: number,
    particleSteps: number,
    seconds: number,
    stopped: number,
  ): BenchWorkload => ({
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

    log(`gpu: compiling the step kernel for ${n} particles, and the bare kernel`);
    const gpu = await GpuEngine.create(handle, { ...setup, stepsPerDispatch: K });
    const bareKernel = await BareKernel.create(handle, setup);
    let bare: Timing;
    try {
      await gpu.done();
      const maxRounds = Math.max(1, Math.floor(maxSteps / steps));
      const plan = dispatchPlan(steps, K);
      // The engine and its bare twin in turns, so that the two share the machine's states.
      log(`gpu fused and bare kernel in turns: ${plan.length} dispatch(es) of ${K} steps per round`);
      const [fused, b] = await timeEngineAndBare(gpu, bareKernel, n, plan, minSeconds, maxRounds);
      bare = b;
      workloads.push(entry(`gpu, ${K} steps per dispatch`, 'gpu', K, fused.dispatches, fused.particleSteps, fused.seconds, fused.stopped));
      log(`gpu unfused: dispatches of 1 step`);
      const [unfused] = await timeAlternating([{ target: gpu, count: () => counters(gpu) }], [1], minSeconds, maxSteps);
      workloads.push(entry('gpu, 1 step per dispatch', 'gpu', 1, unfused.dispatches, unfused.particleSteps, unfused.seconds, unfused.stopped));
    } finally {
      gpu.destroy();
      bareKernel.destroy();
    }

    log(`cpu reference: calibrating`);
    const cpu = new CpuEngine(setup);
    const probe = Math.min(n, 16384);
    let t = performance.now();
    cpu.stepRange(1, 0, probe); // also warms up the JIT
    const probeSeconds = Math.max((performance.now() - t) / 1000, 1e-6);
    const perStep = (probeSeconds * n) / probe;
    // Its fastest of ALTERNATIONS timings, as the GPU workloads'.
    const k = Math.max(1, Math.min(steps, Math.round(cpuSeconds / ALTERNATIONS / perStep)));
    log(`cpu reference: ${ALTERNATIONS} x ${k} step(s) on ${n} particles (about ${(ALTERNATIONS * k * perStep).toFixed(1)} s)`);
    let best = { steps: 0, seconds: Infinity, stopped: 0 };
    for (let turn = 0; turn < ALTERNATIONS; turn++) {
      const before = await counters(cpu);
      t = performance.now();
      cpu.step(k);
      const seconds = (performance.now() - t) / 1000;
      const after = await counters(cpu);
      const done = after.steps - before.steps;
      if (done / seconds > best.steps / best.seconds) best = { steps: done, seconds, stopped: after.stopped };
    }
    workloads.push(entry('cpu reference', 'cpu', k, 1, best.steps, best.seconds, best.stopped));
    workloads.push(entry(`bare kernel, ${K} steps per dispatch`, 'bare', K, bare.dispatches, bare.particleSteps, bare.seconds, 0));
    const peerN = opts.peerN ?? n;
    if (peerN > 0) {
      checkCount(peerN, '--peer-n');
      peers = await runPeerRows(handle, peerN, steps, K, minSeconds, log);
    }
    const mapRes = opts.mapRes ?? Math.min(512, Math.floor(Math.sqrt(n)));
    if (mapRes > 0) map = await runMapBench(handle, mapRes, opts.mapSteps ?? 1000, cpuSeconds, log);
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
    ...(peers.length ? { peers } : {}),
    ...(map ? { map } : {}),
    ratios: {
      gpu_vs_cpu: rate(0) / rate(2),
      fused_vs_unfused: rate(0) / rate(1),
      engine_vs_bare: rate(0) / rate(3),
      ...(map ? { map_gpu_vs_cpu: map.cpu_seconds_extrapolated / map.gpu_seconds } : {}),
    },
  };
}

export function benchTable(r: BenchResult): string {
  const w0 = r.workloads[0];
  const rows = [['workload', 'engine', 'steps/dispatch', 'dispatches', 'particle-steps', 'seconds', 'particle-steps/s', 'stopped']];
  for (const w of r.workloads) {
    rows.push([
      w.name,
      w.engine,
      String(w.steps_per_dispatch),
      String(w.dispatches),
      String(w.particle_steps),
      w.seconds.toFixed(3),
      w.particle_steps_per_second.toExponential(3),
      String(w.stopped),
    ]);
  }
  const ratio = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)}x`;
  return [
    `etascape bench: ${w0.optimizer} on ${w0.surface}, ${w0.particles} particles, lr ${fmt(w0.lr_min)}..${fmt(w0.lr_max)} log-spaced, start (${w0.start.join(', ')})`,
    `adapter: ${r.adapter}`,
    `node ${r.node}, cpu ${r.cpu}, ${r.date}`,
    '',
    padTable(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']),
    `(each workload: its fastest of ${ALTERNATIONS} turns, the engine's and the bare kernel's alternating)`,
    '',
    `gpu vs cpu:        ${ratio(r.ratios.gpu_vs_cpu)}  (${r.workloads[0].name} / ${r.workloads[2].name})`,
    `fused vs unfused:  ${ratio(r.ratios.fused_vs_unfused)}  (${r.workloads[0].name} / ${r.workloads[1].name})`,
    `engine vs bare:    ${ratio(r.ratios.engine_vs_bare)}  (${r.workloads[0].name} / ${r.workloads[3].name})`,
    ...peerLines(r.peers ?? []),
    ...(r.map ? mapBenchLines(r.map, ratio(r.ratios.map_gpu_vs_cpu!)) : []),
  ].join('\n');
}

function mapBenchLines(m: MapBench, ratio: string): string[] {
  return [
    '',
    `map: ${m.res}x${m.res} runs of ${m.steps} steps, ${m.optimizer} on ${m.surface}, ${m.x} x ${m.y}`,
    `  gpu:  ${m.gpu_seconds.toFixed(2)} s for the whole map (compilation and readback included), ${m.gpu_particle_steps} particle-steps`,
    `  cpu:  ${m.cpu_seconds_extrapolated.toFixed(1)} s extrapolated (${m.cpu_seconds_measured.toFixed(2)} s measured on ${m.cpu_rows} rows)`,
    `  map gpu vs cpu:  ${ratio}  (${m.note})`,
  ];
}
