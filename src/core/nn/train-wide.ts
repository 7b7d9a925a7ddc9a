// Training past float32: NetworkTrainerCpu's loop (nn/train.ts) with the weights,
// hyperparameters and optimizer state in double-float (the CPU reference of the GPU's
// df64 kernel, shaders/network-df64.ts) or in float64 (the existing float64 interpreter:
// the yardstick the deep-zoom tests hold both to). The hyperparameters come as float64
// (a deep zoom's learning rates differ past float32's 24 bits); the stop checks and the
// loss history read the loss's float32 high word in df64, as the GPU kernel does.

import { emptyInfo, eventStep, minimumIndex, particleStatus, particleSteps, setParticleInfo, Status } from '../particles';
import { RoutineRunner, type FloatArray } from './interp';
import { DFRoutineRunner, toPairs } from './interp-df64';
import { networkRoutine } from './routines';
import { checkNetSetup, hyperStride, stateStride, stepGradientRoutine, updateRoutine, type NetSetup } from './train';

export type WidePrecision = 'df64' | 'f64';

export interface WideState {
  n: number;
  /** n x params: pairs (hi, lo) in df64, values in f64. */
  theta: FloatArray;
  ostate: FloatArray;
  info: Uint32Array;
  /** Per network: first loss, loss at the current parameters. */
  losses: Float64Array;
  history: Float64Array;
}

/** One routine in either precision: values as [v] (f64) or [hi, lo] (df64). */
interface WideRunner {
  bind(name: string, a: FloatArray): void;
  exec(init?: Record<string, readonly number[]>): void;
  local(name: string): readonly number[];
  array(name: string): FloatArray;
}

function wideRunner(precision: WidePrecision, setup: NetSetup, r: ReturnType<typeof networkRoutine>): WideRunner {
  if (precision === 'df64') {
    const d = new DFRoutineRunner(r, setup.model);
    return {
      bind: (n, a) => d.bind(n, a as Float32Array),
      exec: (init = {}) => d.exec(init as Record<string, [number, number]>),
      local: (n) => d.local(n),
      array: (n) => d.arrays.get(n)!,
    };
  }
  const f = new RoutineRunner(r, { act: setup.model.act }, false);
  return {
    bind: (n, a) => f.bind(n, a),
    exec: (init = {}) => f.exec(Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v[0]]))),
    local: (n) => [f.local(n)],
    array: (n) => f.arrays.get(n)!,
  };
}

export class NetworkTrainerWide {
  readonly state: WideState;
  private readonly grad: WideRunner;
  private readonly loss: WideRunner;
  private readonly update: WideRunner;
  private readonly hyper: FloatArray;
  /** Slots per value: 2 in df64, 1 in f64. */
  private readonly W: number;
  private readonly rnd: (x: number) => number;

  /** `hyper`: the setup's hyperparameters in float64 (setup.hyper is their float32 rounding). */
  constructor(
    readonly setup: NetSetup,
    hyper: Float64Array,
    readonly precision: WidePrecision,
  ) {
    checkNetSetup(setup);
    if (hyper.length !== setup.hyper.length) throw new Error(`hyper holds ${hyper.length} values, ${setup.hyper.length} expected`);
    const { model, data, optimizer } = setup;
    const df = precision === 'df64';
    this.W = df ? 2 : 1;
    this.rnd = df ? Math.fround : (x) => x;
    const wide = (x: ArrayLike<number>): FloatArray => (df ? toPairs(x) : Float64Array.from(x));
    this.grad = wideRunner(precision, setup, stepGradientRoutine(model, data.n, optimizer, setup.config));
    this.loss = wideRunner(precision, setup, networkRoutine(model, { points: data.n, gradient: false, hvp: false }));
    this.update = wideRunner(precision, setup, updateRoutine(model, optimizer));
    for (const r of [this.grad, this.loss]) {
      r.bind('xs', wide(data.x));
      r.bind('ys', wide(data.y));
    }
    this.update.bind('gr', this.grad.array('gr'));
    this.hyper = wide(hyper);
    this.state = {
      n: setup.n,
      theta: wide(setup.theta),
      ostate: df ? new Float32Array(2 * setup.n * stateStride(setup)) : new Float64Array(setup.n * stateStride(setup)),
      info: emptyInfo(setup.n),
      losses: new Float64Array(2 * setup.n).fill(NaN),
      history: new Float64Array(setup.n * setup.config.history).fill(NaN),
    };
    this.step(0);
  }

  step(k: number): void {
    for (let i = 0; i < this.state.n; i++) this.stepNetwork(i, k);
  }

  private stepNetwork(i: number, k: number): void {
    const st = this.state;
    const cfg = this.setup.config;
    const { W, rnd } = this;
    if (particleStatus(st.info, i) !== Status.Running) return;
    const P = W * this.setup.model.params;
    const HS = W * hyperStride(this.setup);
    const SS = W * stateStride(this.setup);
    const th = st.theta.subarray(i * P, (i + 1) * P);
    this.grad.bind('th', th);
    this.loss.bind('th', th);
    this.update.bind('th', th);
    this.update.bind('hyper', this.hyper.subarray(i * HS, (i + 1) * HS));
    if (SS > 0) this.update.bind('ost', st.ostate.subarray(i * SS, (i + 1) * SS));
    let steps = particleSteps(st.info, i);
    let status: number = Status.Running;
    let event = eventStep(st.info, i);
    let l0 = st.losses[2 * i];
    let cur = st.losses[2 * i + 1];
    for (let s = 0; s < k; s++) {
      this.grad.exec();
      const loss = this.grad.local('loss');
      const L = loss[0];
      if (steps === 0) l0 = L;
      if (steps < cfg.history) st.history[i * cfg.history + steps] = L;
      const bad = !Number.isFinite(L);
      const out = L > rnd(rnd(cfg.divergeRatio) * rnd(l0 > 0 ? l0 : 1));
      const conv = L <= rnd(cfg.convergeLoss);
      if (bad || out || conv) {
        status = bad ? Status.NonFinite : out ? Status.Diverged : Status.Converged;
        event = steps;
        cur = L;
        break;
      }
      this.update.exec({ loss, t: W === 2 ? [steps, 0] : [steps], gnorm: this.grad.local('gnorm') });
      steps++;
    }
    if (status === Status.Running) {
      this.loss.exec();
      cur = this.loss.local('loss')[0];
    }
    setParticleInfo(st.info, i, status, steps, event, minimumIndex(st.info, i));
    st.losses[2 * i] = l0;
    st.losses[2 * i + 1] = cur;
  }
}

/** The setup's hyperparameters in float64: its own (float32) values, each network's learning rates as given. */
export function wideHyper(setup: NetSetup, lrLayers: readonly (readonly number[])[]): Float64Array {
  const HS = hyperStride(setup);
  const H = setup.optimizer.def.hyper.length;
  const lrSlot = setup.optimizer.def.hyper.findIndex((h) => h.name === 'lr');
  const out = Float64Array.from(setup.hyper);
  lrLayers.forEach((lrs, i) => {
    if (lrSlot >= 0) out[i * HS + lrSlot] = lrs[0];
    lrs.forEach((lr, l) => (out[i * HS + H + l] = lr));
  });
  return out;
}
