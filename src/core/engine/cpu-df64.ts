// The CPU reference of the df64 surface maps: dfSurfaceStep (surface-df64.ts) run
// through DF_CPU, every float32 operation rounded as the GPU rounds it. Its state is the
// GPU engine's buffers' layout (gpu/surface-engine-df64.ts), so the two compare word for word.

import { DF_CPU, type DF } from '../df64';
import { toPairs } from '../nn/interp-df64';
import { emptyInfo, eventStep, minimumIndex, NO_MINIMUM, particleStatus, particleSteps, setParticleInfo, Status, type ParticleState } from '../particles';
import { classify } from './cpu';
import { minimaTable } from './engine';
import { dfSurfaceLoss, dfSurfaceStep, stepLimits, type StepLimits, type SurfaceSetupDF64 } from './surface-df64';

/** A df64 surface run's state: pairs (hi, lo) of float32. */
export interface SurfaceStateDF64 {
  n: number;
  /** x, y per particle: 4 floats. */
  xy: Float32Array;
  /** The loss at (x, y) and the loss before the last update: 4 floats per particle. */
  losses: Float32Array;
  /** hyperStride pairs per particle. */
  hyper: Float32Array;
  /** stateStride pairs per particle (slot s, coordinate c at 2s + c). */
  state: Float32Array;
  /** status, steps, event step, minimum (NO_MINIMUM: the engines leave it to particlesOfDF64). */
  info: Uint32Array;
}

/** The starting state: positions and hyperparameters as their nearest double-floats, losses 0. */
export function initialStateDF64(s: SurfaceSetupDF64): SurfaceStateDF64 {
  return {
    n: s.n,
    xy: toPairs(s.start),
    losses: new Float32Array(4 * s.n),
    hyper: toPairs(s.hyper),
    state: new Float32Array(2 * s.optimizer.stateStride * s.n),
    info: emptyInfo(s.n),
  };
}

/**
 * The state as the float32 engines' particles (high words; the colouring, CSV and
 * figures read these), each converged particle classified by the minimum it is in
 * (as CpuEngine does at convergence: a stopped particle stays where it stopped).
 */
export function particlesOfDF64(st: SurfaceStateDF64, s: SurfaceSetupDF64): ParticleState {
  const n = st.n;
  const pos = new Float32Array(4 * n);
  const info = st.info.slice();
  const table = minimaTable(s.surface);
  for (let i = 0; i < n; i++) {
    pos.set([st.xy[4 * i], st.xy[4 * i + 2], st.losses[4 * i], st.losses[4 * i + 2]], 4 * i);
    if (particleStatus(info, i) === Status.Converged && minimumIndex(info, i) === NO_MINIMUM)
      setParticleInfo(info, i, Status.Converged, particleSteps(info, i), eventStep(info, i), classify(table, pos[4 * i], pos[4 * i + 1], pos[4 * i + 2]));
  }
  const H = s.optimizer.hyperStride;
  return {
    n,
    hyperStride: H,
    stateStride: s.optimizer.stateStride,
    pos,
    hyper: Float32Array.from(s.hyper, Math.fround),
    state: st.state.filter((_, k) => k % 2 === 0),
    info,
  };
}

const o = DF_CPU;
const pair = (a: Float32Array, k: number): DF<number> => [a[2 * k], a[2 * k + 1]];
const put = (a: Float32Array, k: number, v: DF<number>) => {
  a[2 * k] = v[0];
  a[2 * k + 1] = v[1];
};

export class CpuEngineDF64 {
  readonly st: SurfaceStateDF64;
  private readonly lim: StepLimits;

  constructor(readonly setup: SurfaceSetupDF64) {
    this.st = initialStateDF64(setup);
    this.lim = stepLimits(setup.config);
    const { xy, losses } = this.st;
    for (let i = 0; i < setup.n; i++) put(losses, 2 * i, dfSurfaceLoss(o, setup.surface, pair(xy, 2 * i), pair(xy, 2 * i + 1)));
  }

  get n(): number {
    return this.setup.n;
  }

  step(k: number): void {
    this.stepRange(k, 0, this.n);
  }

  /** k steps of particles [from, to). */
  stepRange(k: number, from: number, to: number): void {
    for (let i = from; i < Math.min(to, this.n); i++) this.stepParticle(i, k);
  }

  private stepParticle(i: number, k: number): void {
    const { xy, losses, hyper, state, info } = this.st;
    if (particleStatus(info, i) !== Status.Running) return;
    const H = this.setup.optimizer.hyperStride;
    const S = this.setup.optimizer.stateStride;
    let x = pair(xy, 2 * i);
    let y = pair(xy, 2 * i + 1);
    let prevLoss = pair(losses, 2 * i + 1);
    const hy = Array.from({ length: H }, (_, h) => pair(hyper, i * H + h));
    let sv = Array.from({ length: S }, (_, s) => pair(state, i * S + s));
    let steps = particleSteps(info, i);
    let status: number = Status.Running;
    for (let s = 0; s < k; s++) {
      const r = dfSurfaceStep(o, this.setup, this.lim, { x, y, prevLoss, hyper: hy, state: sv }, steps, steps > 0 ? 1 : 0);
      if (r.status !== 0) {
        status = r.status;
        break;
      }
      x = r.x;
      y = r.y;
      sv = r.state;
      prevLoss = r.loss;
      steps++;
    }
    put(xy, 2 * i, x);
    put(xy, 2 * i + 1, y);
    put(losses, 2 * i, dfSurfaceLoss(o, this.setup.surface, x, y));
    put(losses, 2 * i + 1, prevLoss);
    sv.forEach((v, s) => put(state, i * S + s, v));
    setParticleInfo(info, i, status, steps, status !== Status.Running ? steps : eventStep(info, i), NO_MINIMUM);
  }

  /** A copy of the state. */
  read(): SurfaceStateDF64 {
    const st = this.st;
    return { n: st.n, xy: st.xy.slice(), losses: st.losses.slice(), hyper: st.hyper.slice(), state: st.state.slice(), info: st.info.slice() };
  }
}
