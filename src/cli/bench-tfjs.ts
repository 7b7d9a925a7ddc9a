// The TensorFlow.js comparison of `npm run bench` (issues 11 and 14), in one run on one
// Dawn device: GD on Rosenbrock (TF.js vs the engine vs the bare kernel, bench.ts's
// workload) and the fractal's networks (TF.js vs the network engine vs the CPU
// reference, with each one's multiply-adds per second as a fraction of the device's
// plain FP32 multiply-add rate). TF.js is loaded only here (tfjs-peers.ts).

import { cpus } from 'node:os';
import type { EngineSetup } from '../core/engine/engine';
import { buildParticles } from '../core/layouts';
import { makeDataset } from '../core/nn/data';
import { parseModel, type Model } from '../core/nn/model';
import { initialTheta } from '../core/nn/network';
import { buildNetSetup } from '../core/nn/setup';
import { NetworkTrainerCpu, type NetState } from '../core/nn/train';
import { getOptimizer } from '../core/optimizers';
import { DEFAULT_RUN_CONFIG, particleStatus, particleSteps, Status } from '../core/particles';
import { resolveSurface } from '../core/surfaces';
import { BareKernel } from '../gpu/bare';
import type { DeviceHandle } from '../gpu/device';
import { GpuEngine } from '../gpu/engine';
import { measureFmaRate } from '../gpu/fma';
import { NetworkEngine } from '../gpu/network-engine';
import { BENCH_WORKLOAD } from './bench';
import { counters, dispatchPlan, timeGpu } from './bench-timing';
import { padTable } from './common';
import { tfjsClose, tfjsNetworks, tfjsOn, tfjsRosenbrockGD, type Tf } from './tfjs-peers';

/** The fractal notebook's setup (issue 11): 16 inputs, 16 tanh units, 1 output, mean-field, teacher data. */
const FRACTAL_MODEL = 'mlp:16,16,1:tanh:mean-field:gain=sqrt2';
/** Learning rates per layer spread over [0.05, 0.5]: every network keeps training (none stops early). */
const NET_LR = { min: 0.05, max: 0.5 };
/** The network map's steps per dispatch (cli/model.ts, trainNetMap). */
const NET_CHUNK = 50;
/** Losses recorded per network: a 500-step map with the fractal measure keeps them all. */
const NET_HISTORY = 500;

export interface TfjsBenchOptions {
  /** Particles of the surface workload (default 2^20; 0 leaves the surface workload out). */
  n?: number;
  /** Steps per round of the surface workload (default 100, 100 per dispatch on the engines). */
  steps?: number;
  /** Networks (default 256, a 16 x 16 lr_layer0 x lr_layer1 grid: TF.js takes seconds per step on SwiftShader). */
  nets?: number;
  /** Steps per round of the TF.js network peer (default 1). */
  netSteps?: number;
  /**
   * Steps per dispatch (one round) of the network engine, with every step's loss
   * recorded, as `etascape map --model` runs (default NET_CHUNK).
   */
  netChunk?: number;
  /** Each workload repeats its round until at least this long (default 1 s). */
  minSeconds?: number;
  log?: (message: string) => void;
}

interface Rate {
  seconds: number;
  /** Executed particle-steps (surface) or network-steps (networks). */
  steps: number;
  per_second: number;
  /** Networks: multiply-adds per second (steps x the workload's multiply-adds per network-step). */
  multiply_adds_per_second?: number;
  /** Fraction of the device's plain FP32 multiply-add rate. */
  fma_fraction?: number;
  stopped?: number;
}

export interface TfjsBenchResult {
  adapter: string;
  date: string;
  node: string;
  cpu: string;
  surface?: {
    workload: string;
    particles: number;
    steps_per_round: number;
    tfjs: Rate;
    engine: Rate;
    bare: Rate;
    ratios: { engine_vs_tfjs: number; bare_vs_tfjs: number; engine_vs_bare: number };
  };
  networks: {
    model: string;
    params: number;
    points: number;
    networks: number;
    multiply_adds_per_network_step: number;
    engine_steps_per_dispatch: number;
    tfjs: Rate;
    engine: Rate;
    cpu: Rate;
    fma: { threads: number; iters: number; seconds: number; multiply_adds_per_second: number };
    ratios: { engine_vs_tfjs: number; engine_vs_cpu: number; tfjs_vs_cpu: number };
  };
}

/**
 * Multiply-adds of one full-batch GD step: the forward pass and the weights' gradient
 * (points x weights each) and the backpropagation to every layer but the first.
 */
function multiplyAddsPerStep(model: Model, points: number): number {
  return points * (2 * model.params + model.layers.slice(1).reduce((a, ly) => a + ly.fanIn * ly.fanOut, 0));
}

/** Rounds of `round()` (after a warm-up call), each awaited, until minSeconds have passed. */
async function timeRounds(round: () => Promise<number>, minSeconds: number): Promise<{ seconds: number; steps: number }> {
  await round();
  const t = performance.now();
  let steps = 0;
  do steps += await round();
  while (performance.now() - t < minSeconds * 1000);
  return { seconds: (performance.now() - t) / 1000, steps };
}

const rate = (r: { seconds: number; steps: number }, extra: Partial<Rate> = {}): Rate => ({ ...r, per_second: r.steps / r.seconds, ...extra });

async function surfaceBench(handle: DeviceHandle, tf: Tf, n: number, steps: number, minSeconds: number, log: (m: string) => void) {
  const w = BENCH_WORKLOAD;
  const optimizer = getOptimizer(w.optimizer);
  const particles = buildParticles({ kind: 'sweep', start: w.start, lrMin: w.lrMin, lrMax: w.lrMax, n }, optimizer, {});
  const setup: EngineSetup = { surface: resolveSurface(w.surface), optimizer, particles, config: DEFAULT_RUN_CONFIG };
  const plan = dispatchPlan(steps, Math.min(100, steps));
  const maxRounds = Math.max(1, Math.floor(20000 / steps)); // every particle keeps running

  log(`surface: TF.js, ${n} particles, rounds of ${steps} steps`);
  const lr = Float32Array.from({ length: n }, (_, i) => particles.hyper[i * particles.hyperStride]);
  const peer = tfjsRosenbrockGD(tf, w.start, lr);
  let tfjs: Rate;
  try {
    tfjs = rate(
      await timeRounds(async () => {
        for (let s = 0; s < steps; s++) peer.step();
        if (!Number.isFinite(await peer.finish())) throw new Error('the TF.js surface peer went non-finite');
        return n * steps;
      }, minSeconds),
    );
  } finally {
    peer.dispose();
  }

  log(`surface: the engine and the bare kernel, ${plan.length} dispatch(es) per round`);
  const gpu = await GpuEngine.create(handle, { ...setup, stepsPerDispatch: plan[0] });
  let engine: Rate;
  try {
    const r = await timeGpu(gpu, plan, minSeconds, maxRounds, () => counters(gpu));
    engine = rate({ seconds: r.seconds, steps: r.particleSteps }, { stopped: r.stopped });
  } finally {
    gpu.destroy();
  }
  const bareKernel = await BareKernel.create(handle, setup);
  let bare: Rate;
  try {
    const r = await timeGpu(bareKernel, plan, minSeconds, maxRounds, n);
    bare = rate({ seconds: r.seconds, steps: r.particleSteps });
  } finally {
    bareKernel.destroy();
  }
  return {
    workload: `${w.optimizer} (plain GD) on ${w.surface}, lr ${w.lrMin}..${w.lrMax} log-spaced, start (${w.start.join(', ')})`,
    particles: n,
    steps_per_round: steps,
    tfjs,
    engine,
    bare,
    ratios: {
      engine_vs_tfjs: engine.per_second / tfjs.per_second,
      bare_vs_tfjs: bare.per_second / tfjs.per_second,
      engine_vs_bare: engine.per_second / bare.per_second,
    },
  };
}

function netCounters(st: NetState): { steps: number; stopped: number } {
  let steps = 0;
  let stopped = 0;
  for (let i = 0; i < st.n; i++) {
    steps += particleSteps(st.info, i);
    if (particleStatus(st.info, i) !== Status.Running) stopped++;
  }
  return { steps, stopped };
}

async function networkBench(handle: DeviceHandle, tf: Tf, nets: number, netSteps: number, netChunk: number, minSeconds: number, log: (m: string) => void) {
  const model = parseModel(FRACTAL_MODEL);
  const data = makeDataset('teacher', model, { seed: 0 });
  const side = Math.ceil(Math.sqrt(nets));
  const at = (k: number) => NET_LR.min + ((NET_LR.max - NET_LR.min) * k) / Math.max(1, side - 1);
  const lrLayers = Array.from({ length: nets }, (_, i) => [at(i % side), at(Math.floor(i / side))]);
  const theta = new Float32Array(nets * model.params);
  const shared = initialTheta(model, 1, { seed: 0 }); // one shared draw, as the fractal notebook
  for (let i = 0; i < nets; i++) theta.set(shared, i * model.params);
  const macs = multiplyAddsPerStep(model, data.n);

  log('networks: the FP32 multiply-add rate of the device');
  const fma = await measureFmaRate(handle, { minSeconds });
  const withMacs = (r: { seconds: number; steps: number }, extra: Partial<Rate> = {}) => {
    const m = (r.steps * macs) / r.seconds;
    return rate(r, { multiply_adds_per_second: m, fma_fraction: m / fma.multiply_adds_per_second, ...extra });
  };

  log(`networks: TF.js, ${nets} networks, rounds of ${netSteps} step(s)`);
  const peer = tfjsNetworks(
    tf,
    model,
    data,
    theta,
    model.layers.map((_, l) => Float32Array.from(lrLayers, (p) => p[l])),
  );
  let tfjs: Rate;
  try {
    tfjs = withMacs(
      await timeRounds(async () => {
        for (let s = 0; s < netSteps; s++) peer.step();
        if (!Number.isFinite(await peer.finish())) throw new Error('the TF.js network peer went non-finite');
        return nets * netSteps;
      }, minSeconds),
    );
  } finally {
    peer.dispose();
  }

  log(`networks: the engine, ${nets} networks, dispatches of ${netChunk} step(s)`);
  const setup = buildNetSetup({ model, data, lrLayers, theta, config: { history: NET_HISTORY } });
  const gpu = await NetworkEngine.create(handle, setup);
  let engine: Rate;
  try {
    let before = netCounters(await gpu.read());
    const timed = await timeRounds(async () => {
      gpu.step(netChunk);
      await gpu.done();
      const now = netCounters(await gpu.read());
      const done = now.steps - before.steps;
      before = now;
      return done;
    }, minSeconds);
    engine = withMacs(timed, { stopped: before.stopped });
  } finally {
    gpu.destroy();
  }

  log('networks: the CPU reference, 2 networks x 1 step');
  const cpuTrainer = new NetworkTrainerCpu(buildNetSetup({ model, data, lrLayers: lrLayers.slice(0, 2), theta: theta.slice(0, 2 * model.params) }));
  const cpu = withMacs(
    await timeRounds(async () => {
      cpuTrainer.step(1);
      return 2;
    }, 0),
  );
  return {
    model: FRACTAL_MODEL,
    params: model.params,
    points: data.n,
    networks: nets,
    multiply_adds_per_network_step: macs,
    engine_steps_per_dispatch: netChunk,
    tfjs,
    engine,
    cpu,
    fma,
    ratios: {
      engine_vs_tfjs: engine.per_second / tfjs.per_second,
      engine_vs_cpu: engine.per_second / cpu.per_second,
      tfjs_vs_cpu: tfjs.per_second / cpu.per_second,
    },
  };
}

export async function runTfjsBench(handle: DeviceHandle, opts: TfjsBenchOptions = {}): Promise<TfjsBenchResult> {
  const log = opts.log ?? (() => {});
  const minSeconds = opts.minSeconds ?? 1;
  const tf = await tfjsOn(handle);
  try {
    const n = opts.n ?? 1 << 20;
    const surface = n > 0 ? await surfaceBench(handle, tf, n, opts.steps ?? 100, minSeconds, log) : undefined;
    const networks = await networkBench(handle, tf, opts.nets ?? 256, opts.netSteps ?? 1, opts.netChunk ?? NET_CHUNK, minSeconds, log);
    return {
      adapter: handle.adapterName,
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model?.trim() ?? 'unknown'} x ${cpus().length}`,
      surface,
      networks,
    };
  } finally {
    tfjsClose(tf);
  }
}

export function tfjsBenchTable(r: TfjsBenchResult): string {
  const e = (v: number | undefined) => (v === undefined ? '' : v.toExponential(3));
  const x = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)}x`;
  const s = r.surface;
  const nw = r.networks;
  const pct = (v: number | undefined) => (v === undefined ? '' : `${(100 * v).toFixed(v < 0.01 ? 2 : 1)}%`);
  const surface = s
    ? [
        `surface: ${s.workload}, ${s.particles} particles, rounds of ${s.steps_per_round} steps`,
        padTable(
          [
            ['implementation', 'particle-steps/s', 'seconds'],
            ['TF.js on WebGPU (one op per term, tf.tidy per step)', e(s.tfjs.per_second), s.tfjs.seconds.toFixed(2)],
            ['etascape engine (100 steps per dispatch)', e(s.engine.per_second), s.engine.seconds.toFixed(2)],
            ['bare kernel (same arithmetic, no checks)', e(s.bare.per_second), s.bare.seconds.toFixed(2)],
          ],
          ['l', 'r', 'r'],
        ),
        `engine vs TF.js: ${x(s.ratios.engine_vs_tfjs)}   bare vs TF.js: ${x(s.ratios.bare_vs_tfjs)}   engine vs bare: ${x(s.ratios.engine_vs_bare)}`,
        '',
      ]
    : [];
  return [
    `TensorFlow.js peers (tfjs-core and tfjs-backend-webgpu 4.22 on this device), ${r.date}`,
    `adapter: ${r.adapter}; node ${r.node}, cpu ${r.cpu}`,
    '',
    ...surface,
    `networks: ${nw.model} (${nw.params} parameters, ${nw.points} points), ${nw.networks} networks, ${nw.multiply_adds_per_network_step} multiply-adds per network-step`,
    padTable(
      [
        ['implementation', 'network-steps/s', 'multiply-adds/s', 'of FP32 peak', 'seconds'],
        [
          'TF.js on WebGPU (batched matmul per layer, 1 step per round)',
          e(nw.tfjs.per_second),
          e(nw.tfjs.multiply_adds_per_second),
          pct(nw.tfjs.fma_fraction),
          nw.tfjs.seconds.toFixed(2),
        ],
        [
          `etascape network engine (${nw.engine_steps_per_dispatch} steps per dispatch, every loss kept)`,
          e(nw.engine.per_second),
          e(nw.engine.multiply_adds_per_second),
          pct(nw.engine.fma_fraction),
          nw.engine.seconds.toFixed(2),
        ],
        ['CPU reference (float32, 1 core)', e(nw.cpu.per_second), e(nw.cpu.multiply_adds_per_second), '', nw.cpu.seconds.toFixed(2)],
        ['FP32 multiply-add kernel (the peak)', '', e(nw.fma.multiply_adds_per_second), '100%', nw.fma.seconds.toFixed(2)],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
    `engine vs TF.js: ${x(nw.ratios.engine_vs_tfjs)}   engine vs CPU reference: ${x(nw.ratios.engine_vs_cpu)}   TF.js vs CPU reference: ${x(nw.ratios.tfjs_vs_cpu)}` +
      (nw.engine.stopped ? `   (${nw.engine.stopped} networks stopped early)` : ''),
  ].join('\n');
}
