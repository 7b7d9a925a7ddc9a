// The training settings the network commands share (run, map and sweep with --model):
// real minibatches, gradient noise, clipping, SAM (the 2-D run settings' flags, applied
// to every parameter), and the initial weights (one shared draw or one per network, a
// scale and an offset).

import { gradientConfigProblem, type GradientConfig } from '../core/nn/gradient';
import type { Problem } from '../core/nn/explicit';
import { initialTheta } from '../core/nn/network';
import { resolveSchedule } from '../core/schedules';
import { ScheduleError } from '../core/schedules/spec';
import { defineFlags, UsageError, type FlagValues } from './args';
import { CONFIG_FLAGS } from './flags';

export const TRAIN_FLAGS = defineFlags({
  batchSize: {
    name: 'batch_size',
    kind: 'int',
    min: 1,
    meta: 'B',
    help: 'minibatches of B points, drawn with replacement per network and step (the loss reported stays full batch)',
    defaultText: 'full batch',
  },
  seed: { name: 'seed', kind: 'int', min: 0, meta: 'S', help: 'seed of the minibatch and noise draws', defaultText: '0' },
  schedule: {
    name: 'schedule',
    kind: 'string',
    meta: 'TEXT',
    help: 'lr schedule applied to every layer\'s lr, PyTorch\'s constructor call without the optimizer, e.g. "StepLR(step_size=30, gamma=0.1)"',
    defaultText: 'none',
  },
  clipNorm: { ...CONFIG_FLAGS.clipNorm, help: "clip the gradient's norm over all the network's parameters to C, as clip_grad_norm_ (0: off)" },
  clipValue: CONFIG_FLAGS.clipValue,
  noise: { ...CONFIG_FLAGS.noise, help: 'Gaussian gradient noise of standard deviation SIGMA/sqrt(B) per parameter (B 1 in full batch; 0: off)' },
  samRho: { ...CONFIG_FLAGS.samRho, help: 'SAM: the gradient at theta + RHO g/|g|, on the same minibatch (0: off)' },
  initPerNetwork: {
    name: 'init-per-network',
    kind: 'bool',
    help: "a built-in model: each network's own seeded draw of initial weights (else one shared draw)",
  },
  initScale: { name: 'init-scale', kind: 'number', meta: 'S', help: 'initial weights = S * drawn (or given) weights + offset', defaultText: '1' },
  initOffset: {
    name: 'init-offset',
    kind: 'number',
    meta: 'A',
    help: "added to the first weight matrix's initial weights (the fractal notebook's offset)",
    defaultText: '0',
  },
});

export type TrainValues = FlagValues<typeof TRAIN_FLAGS>;

/** The gradient settings of the flags, checked against the problem's points. */
export function gradientConfigOf(f: TrainValues, points: number): GradientConfig {
  const cfg: GradientConfig = {
    batch: f.batchSize ?? 0,
    seed: f.seed ?? 0,
    clipNorm: f.clipNorm ?? 0,
    clipValue: f.clipValue ?? 0,
    noise: f.noise ?? 0,
    samRho: f.samRho ?? 0,
  };
  const bad = gradientConfigProblem(cfg, points);
  if (bad) throw new UsageError(`--${bad}`);
  return cfg;
}

/** The --schedule text, checked (a schedule the networks' optimizer program then applies to every layer's lr). */
export function scheduleOf(f: TrainValues): string | undefined {
  const text = f.schedule?.trim();
  if (!text) return undefined;
  try {
    resolveSchedule(text);
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
  return text;
}

/** Per network: the initial weights' scale and offset (from a map axis, or the flags). */
export interface InitAxes {
  scale?: ArrayLike<number>;
  offset?: ArrayLike<number>;
}

/**
 * n networks' initial parameters: the problem's weights (or, with --init-per-network
 * on a built-in model, each network's own draw), each weight times its network's
 * scale, the first matrix's weights plus its offset; biases as given.
 */
export function initialThetas(problem: Problem, builtin: { seed: number } | null, f: TrainValues, n: number, axes: InitAxes = {}): Float32Array {
  const { model } = problem;
  const P = model.params;
  if (f.initPerNetwork && !builtin) throw new UsageError('--init-per-network draws weights for a built-in model (mlp:...); a JSON file gives them');
  const theta = f.initPerNetwork && builtin ? initialTheta(model, n, { seed: builtin.seed, perNetwork: true }) : new Float32Array(n * P);
  if (!f.initPerNetwork) for (let i = 0; i < n; i++) theta.set(problem.theta, i * P);
  for (let i = 0; i < n; i++) {
    const scale = axes.scale?.[i] ?? f.initScale ?? 1;
    const offset = axes.offset?.[i] ?? f.initOffset ?? 0;
    if (scale === 1 && offset === 0) continue;
    model.layers.forEach((ly, l) => {
      for (let q = ly.w; q < ly.w + ly.fanIn * ly.fanOut; q++) theta[i * P + q] = scale * theta[i * P + q] + (l === 0 ? offset : 0);
    });
  }
  return theta;
}
