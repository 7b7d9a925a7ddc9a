// The CPU reference engine in a Worker: the fallback when WebGPU is missing.

import { CpuEngine } from '../core/engine/cpu';
import type { ParticleState } from '../core/particles';
import { buildRun, runConfig } from '../model/setup';
import type { ExplorerState } from '../model/state';

export type WorkerRequest = { kind: 'init'; state: ExplorerState; n: number; snapshot?: ParticleState } | { kind: 'step'; steps: number };
export type WorkerReply = { kind: 'state'; state: ParticleState } | { kind: 'error'; message: string };

let engine: CpuEngine | null = null;

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const msg = e.data;
  try {
    if (msg.kind === 'init') {
      const run = buildRun(msg.state, msg.n);
      engine = new CpuEngine({ surface: run.surface, optimizer: run.optimizer, particles: msg.snapshot ?? run.particles, config: runConfig(msg.state) });
      engine.step(0);
    } else if (engine) {
      engine.step(msg.steps);
      const state = await engine.read();
      (self as unknown as Worker).postMessage({ kind: 'state', state } satisfies WorkerReply, [state.pos.buffer, state.info.buffer]);
    }
  } catch (err) {
    (self as unknown as Worker).postMessage({ kind: 'error', message: (err as Error).message } satisfies WorkerReply);
  }
};
