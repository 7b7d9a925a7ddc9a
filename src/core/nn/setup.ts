// Builds a NetSetup from plain choices: model, data, optimizer and its settings (shared),
// and one learning rate per layer per network (the lr-vs-lr map's axes).

import { Status } from '../particles';
import { checkHyper, compileOptimizer, findOptimizer, HyperParamError, resolveHyper, type OptimizerDef } from '../optimizers';
import { GRADIENT_AXES, gradientSlotValue } from './gradient';
import { resolveSchedule } from '../schedules';
import { DEFAULT_NET_CONFIG, type NetSetup, type NetTrainConfig } from './train';
import { initialTheta, type InitOptions } from './network';
import type { Dataset } from './data';
import type { Model } from './model';

export interface NetSetupOptions {
  model: Model;
  data: Dataset;
  /** PyTorch name ('sgd', 'adam', ...). */
  optimizer?: string;
  /** The optimizer's other hyperparameters, the same for every network (compiled in). */
  settings?: Record<string, number>;
  /** A learning-rate schedule (PyTorch's, e.g. 'StepLR(step_size=10, gamma=0.5)'), applied to each layer's lr. */
  schedule?: string;
  /** Per network, one learning rate per layer (first matrix first). */
  lrLayers: number[][];
  /**
   * Per network, its own value of other hyperparameters (a map's axes): the optimizer's
   * (momentum, beta1, weight_decay, ...; compiled as inputs, not constants) or a gradient
   * setting (clip_norm, clip_value, noise, sam_rho); each array n long.
   */
  perNetwork?: Record<string, ArrayLike<number>>;
  init?: InitOptions;
  /** Initial parameters (n x params), instead of a seeded draw. */
  theta?: Float32Array;
  config?: Partial<NetTrainConfig>;
}

export function buildNetSetup(o: NetSetupOptions): NetSetup {
  const def = findOptimizer(o.optimizer ?? 'sgd');
  const n = o.lrLayers.length;
  const L = o.model.layers.length;
  const firstLr = o.lrLayers[0]?.[0] ?? 1e-3;
  const per = o.perNetwork ?? {};
  for (const [name, vs] of Object.entries(per)) {
    const h = def.hyper.find((x) => x.name === name);
    if (name === 'lr' || h?.bool || (!h && !(name in GRADIENT_AXES)))
      throw new HyperParamError(`'${name}' cannot be set per network (${[...perNetworkNames(def)].join(', ')} can; lr per layer by lrLayers)`);
    if (vs.length !== n) throw new Error(`${name}: ${vs.length} values for ${n} networks`);
    if (h) for (let i = 0; i < n; i++) checkHyper(def, h, vs[i]);
  }
  const shared = resolveHyper(def, { ...o.settings, lr: firstLr });
  // Compiled in: every hyperparameter the networks share (not lr, not an axis).
  const fixed = Object.fromEntries(Object.entries(shared).filter(([k]) => k !== 'lr' && !(k in per)));
  const optimizer = compileOptimizer(def, fixed, o.schedule ? resolveSchedule(o.schedule) : undefined);
  const base: NetTrainConfig = { ...DEFAULT_NET_CONFIG, ...o.config };
  const grads = (Object.keys(GRADIENT_AXES) as (keyof typeof GRADIENT_AXES)[]).filter((k) => k in per);
  const config: NetTrainConfig = grads.length ? { ...base, perNetwork: grads.map((k) => GRADIENT_AXES[k]) } : base;
  const H = def.hyper.length;
  const HS = H + L + grads.length;
  const hyper = new Float32Array(n * HS);
  o.lrLayers.forEach((lrs, i) => {
    if (lrs.length !== L) throw new Error(`network ${i}: ${lrs.length} learning rates for ${L} layers`);
    for (const lr of lrs) if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`network ${i}: a learning rate must be a finite number > 0, got ${lr}`);
    def.hyper.forEach((h, k) => (hyper[i * HS + k] = h.name === 'lr' ? lrs[0] : h.name in per ? per[h.name][i] : shared[h.name]));
    lrs.forEach((lr, l) => (hyper[i * HS + H + l] = lr));
    grads.forEach((k, g) => (hyper[i * HS + H + L + g] = gradientSlotValue(GRADIENT_AXES[k], per[k][i], base.batch)));
  });
  const theta = o.theta ?? initialTheta(o.model, n, o.init);
  return { model: o.model, data: o.data, optimizer, n, hyper, theta, config };
}

/** The names a network can hold its own value of: the optimizer's numeric hyperparameters (lr aside) and the gradient settings. */
export function perNetworkNames(def: OptimizerDef): string[] {
  return [...def.hyper.filter((h) => h.name !== 'lr' && !h.bool).map((h) => h.name), ...Object.keys(GRADIENT_AXES)];
}

/** The fractal notebook's convergence measure of one loss trajectory L_0 .. L_{T-1}. */
export function fractalMeasure(losses: ArrayLike<number>, maxVal = 1e6): { converged: boolean; value: number } {
  const T = losses.length;
  const v = Array.from(losses, (x) => (Number.isFinite(x) ? x : maxVal));
  const v0 = v[0];
  for (let t = 0; t < T; t++) v[t] = Math.min(v[t] / v0, maxVal);
  const tail = v.slice(Math.max(0, T - 20));
  const converged = tail.reduce((a, b) => a + b, 0) / tail.length < 1;
  return { converged, value: converged ? -v.reduce((a, b) => a + b, 0) : v.reduce((a, b) => a + 1 / b, 0) };
}

/**
 * The measure of a network the engines stopped early: after a divergence (or a
 * non-finite loss) the loss counts as clipped (maxVal times the first), after an early
 * convergence as its last value, as if training had gone on to `steps`.
 */
export function fractalMeasureOfRun(
  row: ArrayLike<number>,
  status: number,
  eventStep: number,
  steps: number,
  maxVal = 1e6,
): { converged: boolean; value: number } {
  const v = Array.from({ length: steps }, (_, t) => row[t]);
  if (status !== Status.Running) {
    const v0 = Number.isFinite(v[0]) ? v[0] : maxVal;
    const fill = status === Status.Converged ? v[eventStep] : v0 * maxVal;
    for (let t = eventStep + (status === Status.Converged ? 1 : 0); t < steps; t++) v[t] = fill;
  }
  return fractalMeasure(v, maxVal);
}
