// `etascape bench`'s peer rows: the engine against the bare kernel (the same arithmetic
// with no status, no checks, no loss; shaders/bare.ts) for GD, SGD with momentum and
// Adam on quadratic, Rosenbrock and Rastrigin. The engine's fraction of the bare
// kernel's rate is what its bookkeeping costs.

import type { EngineSetup } from '../core/engine/engine';
import { buildParticles } from '../core/layouts';
import { getOptimizer } from '../core/optimizers';
import { DEFAULT_RUN_CONFIG } from '../core/particles';
import { resolveSurface } from '../core/surfaces';
import { BareKernel } from '../gpu/bare';
import type { DeviceHandle } from '../gpu/device';
import { GpuEngine } from '../gpu/engine';
import { dispatchPlan, timeEngineAndBare } from './bench-timing';
import { padTable } from './common';

/** Small learning rates from (-1.5, 2): no particle stops within PEER_MAX_STEPS steps. */
const PEER_LR = { lrMin: 1e-7, lrMax: 1e-6, start: [-1.5, 2] as [number, number] };
const PEER_MAX_STEPS = 2000;
export const PEER_OPTIMIZERS = [
  { label: 'GD', optimizer: 'SGD', hyper: {} },
  { label: 'SGD momentum 0.9', optimizer: 'SGD', hyper: { momentum: 0.9 } },
  { label: 'Adam', optimizer: 'Adam', hyper: {} },
];
export const PEER_SURFACES = ['quadratic', 'rosenbrock', 'rastrigin'];

interface Timed {
  dispatches: number;
  particle_steps: number;
  seconds: number;
  particle_steps_per_second: number;
  stopped: number;
}

export interface PeerRow {
  optimizer: string;
  surface: string;
  particles: number;
  steps_per_dispatch: number;
  engine: Timed;
  bare: Timed;
  /** engine.particle_steps_per_second / bare.particle_steps_per_second */
  engine_vs_bare: number;
}

const timed = (r: { dispatches: number; particleSteps: number; seconds: number; stopped: number }): Timed => ({
  dispatches: r.dispatches,
  particle_steps: r.particleSteps,
  seconds: r.seconds,
  particle_steps_per_second: r.particleSteps / r.seconds,
  stopped: r.stopped,
});

/** Times the engine and its bare twin in turns (timeAlternating), for each optimizer x surface. */
export async function runPeerRows(handle: DeviceHandle, n: number, steps: number, K: number, minSeconds: number, log: (m: string) => void): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  const plan = dispatchPlan(steps, K);
  const maxRounds = Math.max(1, Math.floor(PEER_MAX_STEPS / steps));
  for (const o of PEER_OPTIMIZERS) {
    for (const s of PEER_SURFACES) {
      const optimizer = getOptimizer(o.optimizer);
      const setup: EngineSetup = {
        surface: resolveSurface(s),
        optimizer,
        config: DEFAULT_RUN_CONFIG,
        particles: buildParticles({ kind: 'sweep', start: PEER_LR.start, lrMin: PEER_LR.lrMin, lrMax: PEER_LR.lrMax, n }, optimizer, o.hyper),
      };
      log(`peers: ${o.label} on ${s}, engine and bare kernel`);
      const engine = await GpuEngine.create(handle, { ...setup, stepsPerDispatch: K });
      const bare = await BareKernel.create(handle, setup);
      try {
        const [te, tb] = await timeEngineAndBare(engine, bare, n, plan, minSeconds, maxRounds);
        const [e, b] = [timed(te), timed(tb)];
        rows.push({
          optimizer: o.label,
          surface: s,
          particles: n,
          steps_per_dispatch: K,
          engine: e,
          bare: b,
          engine_vs_bare: e.particle_steps_per_second / b.particle_steps_per_second,
        });
      } finally {
        engine.destroy();
        bare.destroy();
      }
    }
  }
  return rows;
}

export function peerLines(rows: PeerRow[]): string[] {
  if (!rows.length) return [];
  const table = [['optimizer', 'surface', 'engine particle-steps/s', 'bare particle-steps/s', 'engine / bare', 'stopped']];
  for (const r of rows) {
    table.push([
      r.optimizer,
      r.surface,
      r.engine.particle_steps_per_second.toExponential(3),
      r.bare.particle_steps_per_second.toExponential(3),
      `${r.engine_vs_bare.toFixed(2)}x`,
      String(r.engine.stopped),
    ]);
  }
  const r0 = rows[0];
  return [
    '',
    `engine vs bare kernel (the same arithmetic, no status, no checks, no loss): ${r0.particles} particles, ${r0.steps_per_dispatch} steps per dispatch, lr ${PEER_LR.lrMin}..${PEER_LR.lrMax} from (${PEER_LR.start.join(', ')})`,
    padTable(table, ['l', 'l', 'r', 'r', 'r', 'r']),
  ];
}
