// Training many networks at once: the setup both engines take, the optimizer update as
// a loop program (a network parameter is one more coordinate to the optimizer's
// per-coordinate program), the per-network stopping rule, and the CPU reference that
// runs it. shaders/network.ts mirrors NetworkTrainerCpu.stepNetwork line by line.

import { emptyInfo, eventStep, minimumIndex, particleStatus, particleSteps, setParticleInfo, Status } from '../particles';
import type { CompiledOptimizer } from '../optimizers';
import { ix, load, local, loop, num, type Expr, type Routine, type Stmt } from './ir';
import { DEFAULT_GRADIENT_CONFIG, gradientConfigProblem, gradientRoutine, readsGnorm, type GradientConfig } from './gradient';
import { RoutineRunner } from './interp';
import { networkRoutine } from './routines';
import { checkDataset, type Dataset } from './data';
import type { Model } from './model';

export interface NetTrainConfig extends GradientConfig {
  /** Diverged when the loss exceeds this multiple of its first value (the fractal measure's clip, 1e6). */
  divergeRatio: number;
  /** Converged (and stopped) when the loss falls to this value; 0: train every step. */
  convergeLoss: number;
  /** Losses recorded per network (steps 0 .. history-1). */
  history: number;
}

export const DEFAULT_NET_CONFIG: NetTrainConfig = { divergeRatio: 1e6, convergeLoss: 0, history: 0, ...DEFAULT_GRADIENT_CONFIG };

export interface NetSetup {
  model: Model;
  data: Dataset;
  /** Compiled with lr NOT fixed (each layer's lr is per network). */
  optimizer: CompiledOptimizer;
  n: number;
  /**
   * Per network: the optimizer's hyperparameters, then one lr per layer (lr_layer0,
   * lr_layer1, ...), then the gradient settings of config.perNetwork. The optimizer
   * reads those it was compiled without (not in optimizer.fixed) from here.
   */
  hyper: Float32Array;
  /** Initial parameters: n x params. */
  theta: Float32Array;
  config: NetTrainConfig;
}

/** Hyperparameters per network: the optimizer's, one learning rate per layer, the per-network gradient settings. */
export function hyperStride(setup: Pick<NetSetup, 'model' | 'optimizer'> & { config?: GradientConfig }): number {
  return setup.optimizer.def.hyper.length + setup.model.layers.length + (setup.config?.perNetwork?.length ?? 0);
}

/** Optimizer state floats per network. */
export function stateStride(setup: Pick<NetSetup, 'model' | 'optimizer'>): number {
  return setup.model.params * setup.optimizer.state.length;
}

export function checkNetSetup(s: NetSetup): void {
  checkDataset(s.model, s.data);
  if (!Number.isInteger(s.n) || s.n < 1) throw new Error(`networks must be a whole number >= 1, got ${s.n}`);
  if ('lr' in s.optimizer.fixed) throw new Error('compile the optimizer with lr free: each layer has its own');
  if (s.optimizer.needsHessian) throw new Error(`${s.optimizer.def.name}'s schedule reads the Hessian of a 2-D surface; networks do not provide it`);
  if (s.hyper.length !== s.n * hyperStride(s)) throw new Error(`hyper holds ${s.hyper.length} values, ${s.n * hyperStride(s)} expected`);
  if (s.theta.length !== s.n * s.model.params) throw new Error(`theta holds ${s.theta.length} values, ${s.n * s.model.params} expected`);
  const bad = gradientConfigProblem(s.config, s.data.n);
  if (bad) throw new Error(bad);
}

/** The training step's gradient routine (gradient.ts) for a setup. */
export function stepGradientRoutine(model: Model, points: number, optimizer: CompiledOptimizer, config: GradientConfig): Routine {
  return gradientRoutine(model, points, config, readsGnorm(optimizer), optimizer.def.hyper.length + model.layers.length);
}

/**
 * One optimizer step on every parameter, layer by layer: the program's lr is the
 * layer's, coord is the layer index. Arrays: th, gr, hyper (this network's row), ost
 * (this network's optimizer state, parameter-major). Locals (in): loss, t, gnorm.
 */
export function updateRoutine(model: Model, opt: CompiledOptimizer): Routine {
  const H = opt.def.hyper.length;
  const S = opt.state.length;
  const body: Stmt[] = [];
  model.layers.forEach((ly, l) => {
    const q = ix(ly.start, ['q', 1]);
    const slot = (s: number) => ix(ly.start * S + s, ['q', S]);
    const inputs: Record<string, Expr> = {
      p: load('th', q),
      g: load('gr', q),
      t: local('t'),
      coord: num(l),
      loss: local('loss'),
      gnorm: local('gnorm'),
      hxx: num(0),
      hxy: num(0),
      hyy: num(0),
    };
    opt.def.hyper.forEach((h, k) => (inputs[h.name] = h.name === 'lr' ? load('hyper', ix(H + l)) : load('hyper', ix(k))));
    opt.state.forEach((s, k) => (inputs[s] = load('ost', slot(k))));
    const outputs: Record<string, { arr: string; idx: typeof q }> = { p: { arr: 'th', idx: q } };
    opt.state.forEach((s, k) => (outputs[s] = { arr: 'ost', idx: slot(k) }));
    body.push(loop('q', ly.end - ly.start, [{ k: 'program', prog: opt.program, inputs, outputs }]));
  });
  return { locals: ['loss', 't', 'gnorm'], body };
}

/** The reference point for divergence: the first loss (1 if it is not positive). */
function divergeRef(l0: number): number {
  return l0 > 0 ? l0 : 1;
}

export interface NetState {
  n: number;
  theta: Float32Array;
  ostate: Float32Array;
  /** Per network: status, steps done, step of the stop, 0. */
  info: Uint32Array;
  /** Per network: first loss, loss at the current parameters. */
  losses: Float32Array;
  /** n x config.history recorded losses (NaN where not reached). */
  history: Float32Array;
}

export function initialNetState(s: NetSetup): NetState {
  const history = new Float32Array(s.n * s.config.history).fill(NaN);
  return {
    n: s.n,
    theta: s.theta.slice(),
    ostate: new Float32Array(s.n * stateStride(s)),
    info: emptyInfo(s.n),
    losses: new Float32Array(2 * s.n).fill(NaN),
    history,
  };
}

/** The CPU reference: float32-faithful, one network at a time. */
export class NetworkTrainerCpu {
  readonly state: NetState;
  private readonly grad: RoutineRunner;
  private readonly loss: RoutineRunner;
  private readonly update: RoutineRunner;
  private readonly P: number;
  private readonly HS: number;
  private readonly SS: number;
  private readonly minibatch: boolean;

  constructor(readonly setup: NetSetup) {
    checkNetSetup(setup);
    const { model, data, optimizer } = setup;
    const progs = { act: model.act };
    this.grad = new RoutineRunner(stepGradientRoutine(model, data.n, optimizer, setup.config), progs);
    this.loss = new RoutineRunner(networkRoutine(model, { points: data.n, gradient: false, hvp: false }), progs);
    this.update = new RoutineRunner(updateRoutine(model, optimizer), progs);
    for (const r of [this.grad, this.loss]) r.bind('xs', data.x).bind('ys', data.y);
    this.grad.rng.seed = setup.config.seed >>> 0;
    this.minibatch = setup.config.batch > 0;
    this.update.bind('gr', this.grad.arrays.get('gr')!);
    this.P = model.params;
    this.HS = hyperStride(setup);
    this.SS = stateStride(setup);
    this.state = initialNetState(setup);
    this.step(0);
  }

  /** k steps of every running network. */
  step(k: number): void {
    for (let i = 0; i < this.state.n; i++) this.stepNetwork(i, k);
  }

  private stepNetwork(i: number, k: number): void {
    const st = this.state;
    const cfg = this.setup.config;
    if (particleStatus(st.info, i) !== Status.Running) return;
    const th = st.theta.subarray(i * this.P, (i + 1) * this.P);
    const hyper = this.setup.hyper.subarray(i * this.HS, (i + 1) * this.HS);
    this.grad.bind('th', th).bind('hyper', hyper);
    this.loss.bind('th', th);
    this.update.bind('th', th).bind('hyper', hyper);
    if (this.SS > 0) this.update.bind('ost', st.ostate.subarray(i * this.SS, (i + 1) * this.SS));
    let steps = particleSteps(st.info, i);
    let status: number = Status.Running;
    let event = eventStep(st.info, i);
    let l0 = st.losses[2 * i];
    let cur = st.losses[2 * i + 1];
    this.grad.rng.net = i;
    for (let s = 0; s < k; s++) {
      this.grad.rng.step = steps;
      this.grad.exec();
      const gnorm = this.grad.local('gnorm');
      // The checks and the history read the full-batch loss.
      const L = this.minibatch ? this.loss.exec().local('loss') : this.grad.local('loss');
      if (steps === 0) l0 = L;
      if (steps < cfg.history) st.history[i * cfg.history + steps] = L;
      const bad = !Number.isFinite(L);
      const out = L > Math.fround(Math.fround(cfg.divergeRatio) * Math.fround(divergeRef(l0)));
      const conv = L <= Math.fround(cfg.convergeLoss);
      if (bad || out || conv) {
        status = bad ? Status.NonFinite : out ? Status.Diverged : Status.Converged;
        event = steps;
        cur = L;
        break;
      }
      this.update.exec({ loss: L, t: steps, gnorm });
      steps++;
    }
    if (status === Status.Running) cur = this.loss.exec().local('loss');
    setParticleInfo(st.info, i, status, steps, event, minimumIndex(st.info, i));
    st.losses[2 * i] = l0;
    st.losses[2 * i + 1] = cur;
  }
}
