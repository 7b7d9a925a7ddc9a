// Training with sharpness every K steps on either engine: the interface the network
// scenes (scenes.ts) run against, and its CPU reference. The GPU twin is GpuNetRunner
// (src/gpu/network-analysis.ts).

import { eventStep, particleStatus } from '../particles';
import { fractalMeasure32 } from './measure';
import { DEFAULT_POWER_ITERS, SharpnessCpu, startDirections } from './sharpness';
import { NetworkTrainerCpu, type NetSetup, type NetState } from './train';

export interface NetRunner {
  readonly setup: NetSetup;
  /** k more steps of every running network. */
  step(k: number): void;
  read(): Promise<NetState>;
  /** Every network's top Hessian eigenvalue now (power iteration, warm-started from the last call's). */
  sharpness(): Promise<Float32Array>;
  /** The fractal measure over L_0 .. L_{steps-1} (needs config.history >= steps): per network 1 if converged, and the ranking value. */
  measure(steps: number): Promise<FractalMeasures>;
  destroy(): void;
}

export interface FractalMeasures {
  converged: Uint8Array;
  value: Float32Array;
}

export class CpuNetRunner implements NetRunner {
  private readonly trainer: NetworkTrainerCpu;
  private power?: SharpnessCpu;
  private readonly dirs: Float32Array;

  constructor(
    readonly setup: NetSetup,
    private readonly iters = DEFAULT_POWER_ITERS,
  ) {
    this.trainer = new NetworkTrainerCpu(setup);
    this.dirs = startDirections(setup.model.params, setup.n);
  }

  step(k: number): void {
    this.trainer.step(k);
  }

  read(): Promise<NetState> {
    return Promise.resolve(this.trainer.state);
  }

  sharpness(): Promise<Float32Array> {
    this.power ??= new SharpnessCpu(this.setup.model, this.setup.data, this.iters);
    return Promise.resolve(this.power.run(this.trainer.state.theta, this.dirs).lambda);
  }

  measure(steps: number): Promise<FractalMeasures> {
    const st = this.trainer.state;
    const H = this.setup.config.history;
    if (steps < 1 || steps > H) throw new RangeError(`measure over 1 .. ${H} steps, got ${steps}`);
    const converged = new Uint8Array(st.n);
    const value = new Float32Array(st.n);
    for (let i = 0; i < st.n; i++) {
      const m = fractalMeasure32(st.history.subarray(i * H, (i + 1) * H), particleStatus(st.info, i), eventStep(st.info, i), steps);
      converged[i] = m.converged ? 1 : 0;
      value[i] = m.value;
    }
    return Promise.resolve({ converged, value });
  }

  destroy(): void {}
}

export interface SharpnessRun {
  /** The final state; its history holds the losses L_0 .. L_{steps} when config.history > steps. */
  state: NetState;
  /** Steps at which sharpness was measured (0, K, 2K, ..., up to steps). */
  at: number[];
  /** sharpness[k][i]: network i's top eigenvalue at step at[k]. */
  sharpness: Float32Array[];
}

/** `steps` steps with sharpness at 0, every `every` steps and at the end. */
export async function runWithSharpness(runner: NetRunner, steps: number, every: number): Promise<SharpnessRun> {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`sharpness every K steps needs a whole K >= 1, got ${every}`);
  const at: number[] = [];
  const sharpness: Float32Array[] = [];
  for (let done = 0; ;) {
    at.push(done);
    sharpness.push(await runner.sharpness());
    if (done >= steps) break;
    const k = Math.min(every, steps - done);
    runner.step(k);
    done += k;
  }
  return { state: await runner.read(), at, sharpness };
}
