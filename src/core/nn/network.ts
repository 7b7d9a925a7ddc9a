// One network's loss, gradient and Hessian-vector product on the CPU (float32-faithful
// or float64), and seeded initial weights.

import { uniform01 } from '../random';
import { RoutineRunner, type FloatArray } from './interp';
import { networkRoutine } from './routines';
import type { Dataset } from './data';
import type { Model } from './model';

export interface Evaluation {
  loss: number;
  grad?: FloatArray;
  hv?: FloatArray;
}

/** Loss (and gradient, and H v when `dir` is given) at theta. */
export class NetworkEvaluator {
  private readonly runner: RoutineRunner;

  constructor(
    readonly model: Model,
    readonly data: Dataset,
    readonly what: 'loss' | 'gradient' | 'hvp',
    readonly float32 = true,
  ) {
    const r = networkRoutine(model, { points: data.n, gradient: what !== 'loss', hvp: what === 'hvp' });
    this.runner = new RoutineRunner(r, { act: model.act }, float32);
    const F = float32 ? Float32Array : Float64Array;
    this.runner.bind('xs', F.from(data.x)).bind('ys', F.from(data.y));
  }

  run(theta: ArrayLike<number>, dir?: ArrayLike<number>): Evaluation {
    const F = this.float32 ? Float32Array : Float64Array;
    this.runner.bind('th', F.from(theta));
    if (this.what === 'hvp') {
      if (!dir) throw new Error('the Hessian-vector product needs a direction');
      this.runner.bind('dir', F.from(dir));
    }
    const loss = this.runner.exec().local('loss');
    const copy = (name: string) => this.runner.arrays.get(name)!.slice(0, this.model.params);
    return { loss, grad: this.what === 'loss' ? undefined : copy('gr'), hv: this.what === 'hvp' ? copy('hv') : undefined };
  }
}

export interface InitOptions {
  seed?: number;
  /** One draw per network (else one shared draw: the fractal notebook's setup). */
  perNetwork?: boolean;
  /** Weights are scale * N(0, 1) + offset (biases start at 0). Per network when an array. */
  scale?: number | ArrayLike<number>;
  offset?: number | ArrayLike<number>;
  /** The layer whose weights get the offset (the notebook's paraminit_vs_lr shifts layer 0); -1: every layer. */
  offsetLayer?: number;
}

function gauss(seed: number, i: number, c: number): number {
  const u1 = 1 - uniform01(seed, i, c);
  const u2 = uniform01(seed, i, c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Salts the weights' seed: datasets draw from (seed, point, counter) too, and weights must not repeat the inputs. */
const INIT_SALT = 0x27d4eb2f;

/** n x params initial parameters. */
export function initialTheta(model: Model, n: number, opts: InitOptions = {}): Float32Array {
  const seed = ((opts.seed ?? 0) ^ INIT_SALT) >>> 0;
  const P = model.params;
  const out = new Float32Array(n * P);
  const per = (v: number | ArrayLike<number> | undefined, i: number, dflt: number) => (v === undefined ? dflt : typeof v === 'number' ? v : v[i]);
  const offsetLayer = opts.offsetLayer ?? 0;
  for (let i = 0; i < n; i++) {
    const stream = opts.perNetwork ? i : 0;
    const scale = per(opts.scale, i, 1);
    const offset = per(opts.offset, i, 0);
    model.layers.forEach((ly, l) => {
      const off = offsetLayer === -1 || offsetLayer === l ? offset : 0;
      for (let q = ly.w; q < ly.w + ly.fanIn * ly.fanOut; q++) out[i * P + q] = scale * gauss(seed, stream, 2 * q) + off;
    });
  }
  return out;
}
