// The optimizers beyond SGD and Adam, each checked step by step against a float64
// transcription of torch.optim's single-tensor formula (Lion: lion-pytorch's update_fn)
// on L = 1/2 (x^2 + 10 y^2) from (1, 1) and on a shifted bowl.

import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { findOptimizer, getOptimizer, HyperParamError, OPTIMIZER_DEFS, resolveHyper } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { QUAD, runEngine, SHIFTED, SHIFTED_EXPR, START, type Grad, type Hyper, type Path } from '../helpers/optimizer-run';

/**
 * A float64 reference: `update(p, g, st, step)` updates one coordinate in place
 * (`st` is that coordinate's state, `step` PyTorch's 1-based step count).
 */
type Coord = { p: number; st: Record<string, number> };
function reference(steps: number, update: (c: Coord, g: number, step: number) => void, grad: Grad = QUAD): Path {
  const coords: Coord[] = START.map((p) => ({ p, st: {} }));
  const path: Path = [];
  for (let step = 1; step <= steps; step++) {
    const g = grad(coords.map((c) => c.p));
    coords.forEach((c, i) => update(c, g[i], step));
    path.push([coords[0].p, coords[1].p]);
  }
  return path;
}

/** Relative tolerance against the size of the numbers in the update (new and previous coordinate). */
function expectPath(got: Path, want: Path, rel = 1e-5) {
  expect(got).toHaveLength(want.length);
  got.forEach((pt, s) => {
    const prev = s === 0 ? START : want[s - 1];
    for (let i = 0; i < 2; i++) {
      const tol = rel * Math.max(Math.abs(want[s][i]), Math.abs(prev[i]), 1e-3);
      if (!(Math.abs(pt[i] - want[s][i]) <= tol)) {
        throw new Error(`step ${s + 1}, coordinate ${'xy'[i]}: engine ${pt[i]}, PyTorch formula ${want[s][i]}`);
      }
    }
  });
}

/** Paths that differ somewhere by more than `d` (a flag or parameter under test matters). */
function differ(a: Path, b: Path, d = 1e-3): boolean {
  return a.some((pt, s) => Math.abs(pt[0] - b[s][0]) > d || Math.abs(pt[1] - b[s][1]) > d);
}

const lerp = (start: number, end: number, w: number) => start + w * (end - start);

// ---- float64 transcriptions of torch.optim (single tensor, maximize=False) ----

function torchAdamW(h: { lr: number; beta1?: number; beta2?: number; eps?: number; weight_decay?: number; amsgrad?: boolean }, steps: number, grad?: Grad) {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2, amsgrad = false } = h;
  return reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      c.p *= 1 - lr * weight_decay;
      s.m = lerp(s.m ?? 0, g, 1 - beta1);
      s.v = (s.v ?? 0) * beta2 + (1 - beta2) * g * g;
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      const denom = Math.sqrt(amsgrad ? s.vmax : s.v) / Math.sqrt(bc2) + eps;
      c.p -= (lr / bc1) * (s.m / denom);
    },
    grad,
  );
}

function torchAdamax(h: { lr: number; beta1?: number; beta2?: number; eps?: number; weight_decay?: number }, steps: number, grad?: Grad) {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0 } = h;
  return reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      g += weight_decay * c.p;
      s.m = lerp(s.m ?? 0, g, 1 - beta1);
      s.u = Math.max((s.u ?? 0) * beta2, Math.abs(g) + eps);
      const clr = lr / (1 - beta1 ** step);
      c.p -= clr * (s.m / s.u);
    },
    grad,
  );
}

function torchNAdam(
  h: { lr: number; beta1?: number; beta2?: number; eps?: number; weight_decay?: number; momentum_decay?: number },
  steps: number,
  grad?: Grad,
) {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3 } = h;
  return reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      g += weight_decay * c.p;
      const bc2 = 1 - beta2 ** step;
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay));
      s.muProduct = (s.muProduct ?? 1) * mu;
      s.m = lerp(s.m ?? 0, g, 1 - beta1);
      s.v = (s.v ?? 0) * beta2 + (1 - beta2) * g * g;
      const denom = Math.sqrt(s.v / bc2) + eps;
      c.p += ((-lr * (1 - mu)) / (1 - s.muProduct)) * (g / denom);
      c.p += ((-lr * muNext) / (1 - s.muProduct * muNext)) * (s.m / denom);
    },
    grad,
  );
}

function torchRAdam(h: { lr: number; beta1?: number; beta2?: number; eps?: number; weight_decay?: number }, steps: number, grad?: Grad) {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0 } = h;
  const rhos: number[] = [];
  const path = reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      g += weight_decay * c.p;
      s.m = lerp(s.m ?? 0, g, 1 - beta1);
      s.v = (s.v ?? 0) * beta2 + (1 - beta2) * g * g;
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      const corrected = s.m / bc1;
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
      rhos[step - 1] = rhoT;
      if (rhoT > 5) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        const adaptive = Math.sqrt(bc2) / (Math.sqrt(s.v) + eps);
        c.p -= corrected * lr * adaptive * rect;
      } else {
        c.p -= corrected * lr;
      }
    },
    grad,
  );
  return { path, rhos };
}

function torchAdagrad(
  h: { lr: number; lr_decay?: number; weight_decay?: number; initial_accumulator_value?: number; eps?: number },
  steps: number,
  grad?: Grad,
) {
  const { lr, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10 } = h;
  return reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      g += weight_decay * c.p;
      const clr = lr / (1 + (step - 1) * lr_decay);
      s.sum = (s.sum ?? initial_accumulator_value) + g * g;
      c.p -= clr * (g / (Math.sqrt(s.sum) + eps));
    },
    grad,
  );
}

function torchRMSprop(
  h: { lr: number; alpha?: number; eps?: number; weight_decay?: number; momentum?: number; centered?: boolean },
  steps: number,
  grad?: Grad,
) {
  const { lr, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = false } = h;
  return reference(
    steps,
    (c, g, step) => {
      const s = c.st;
      g += weight_decay * c.p;
      s.sq = (s.sq ?? 0) * alpha + (1 - alpha) * g * g;
      let avg: number;
      if (centered) {
        s.ga = lerp(s.ga ?? 0, g, 1 - alpha);
        avg = Math.sqrt(s.sq - s.ga * s.ga) + eps;
      } else {
        avg = Math.sqrt(s.sq) + eps;
      }
      if (momentum > 0) {
        s.buf = (s.buf ?? 0) * momentum + g / avg;
        c.p -= lr * s.buf;
      } else {
        c.p -= lr * (g / avg);
      }
      void step;
    },
    grad,
  );
}

/** torch.optim.Adadelta, single-tensor: delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g. */
function torchAdadelta(h: { lr?: number; rho?: number; eps?: number; weight_decay?: number }, steps: number, grad?: Grad) {
  const { lr = 1, rho = 0.9, eps = 1e-6, weight_decay = 0 } = h;
  return reference(
    steps,
    (c, g) => {
      const s = c.st;
      g += weight_decay * c.p;
      s.sq = (s.sq ?? 0) * rho + (1 - rho) * g * g;
      const std = Math.sqrt(s.sq + eps);
      const delta = (Math.sqrt((s.acc ?? 0) + eps) / std) * g;
      s.acc = (s.acc ?? 0) * rho + (1 - rho) * delta * delta;
      c.p -= lr * delta;
    },
    grad,
  );
}

/** lion-pytorch's update_fn. */
function lion(h: { lr: number; beta1?: number; beta2?: number; weight_decay?: number }, steps: number, grad?: Grad) {
  const { lr, beta1 = 0.9, beta2 = 0.99, weight_decay = 0 } = h;
  return reference(
    steps,
    (c, g) => {
      const s = c.st;
      const m = s.m ?? 0;
      c.p *= 1 - lr * weight_decay;
      c.p -= lr * Math.sign(m * beta1 + (1 - beta1) * g);
      s.m = m * beta2 + (1 - beta2) * g;
    },
    grad,
  );
}

// ---- the engine against the references ----

describe('AdamW matches torch.optim.AdamW', () => {
  it('defaults (weight_decay 0.01, decoupled)', async () => {
    const { path } = await runEngine('AdamW', { lr: 0.1 }, 5);
    expectPath(path, torchAdamW({ lr: 0.1 }, 5));
  });

  it('weight_decay is decoupled: not the same as Adam with L2', async () => {
    const h = { lr: 0.1, weight_decay: 0.5 };
    const { path } = await runEngine('AdamW', h, 5, SHIFTED_EXPR);
    const want = torchAdamW(h, 5, SHIFTED);
    expectPath(path, want);
    const adamL2 = await runEngine('Adam', h, 5, SHIFTED_EXPR);
    expect(differ(want, adamL2.path)).toBe(true);
    // Decay 0 is plain Adam.
    const w0 = await runEngine('AdamW', { lr: 0.1, weight_decay: 0 }, 5, SHIFTED_EXPR);
    const adam = await runEngine('Adam', { lr: 0.1 }, 5, SHIFTED_EXPR);
    expect(w0.path).toEqual(adam.path);
  });

  it('amsgrad', async () => {
    const h = { lr: 0.9, beta2: 0.5, weight_decay: 0.1 };
    const plain = torchAdamW(h, 4);
    const ams = torchAdamW({ ...h, amsgrad: true }, 4);
    expect(differ(plain, ams)).toBe(true);
    expectPath((await runEngine('AdamW', { ...h, amsgrad: true }, 4)).path, ams);
    expectPath((await runEngine('AdamW', h, 4)).path, plain);
  });
});

describe('Adamax matches torch.optim.Adamax', () => {
  it('defaults', async () => {
    const { path } = await runEngine('Adamax', { lr: 0.1 }, 6);
    expectPath(path, torchAdamax({ lr: 0.1 }, 6));
  });

  it('other betas, eps and weight_decay', async () => {
    const h = { lr: 0.2, beta1: 0.5, beta2: 0.8, eps: 1e-2, weight_decay: 0.3 };
    const { path } = await runEngine('Adamax', h, 6, SHIFTED_EXPR);
    expectPath(path, torchAdamax(h, 6, SHIFTED));
  });
});

describe('NAdam matches torch.optim.NAdam', () => {
  it('defaults', async () => {
    const { path, state } = await runEngine('NAdam', { lr: 0.1 }, 6);
    expectPath(path, torchNAdam({ lr: 0.1 }, 6));
    // mu_product (third slot) is the product of the first 6 mu_t, the same for x and y.
    let prod = 1;
    for (let s = 1; s <= 6; s++) prod *= 0.9 * (1 - 0.5 * 0.96 ** (s * 4e-3));
    expect(state[4]).toBeCloseTo(prod, 6);
    expect(state[5]).toBeCloseTo(prod, 6);
  });

  it('momentum_decay changes the path', async () => {
    const h = { lr: 0.1, momentum_decay: 0.5 };
    const want = torchNAdam(h, 6);
    expect(differ(want, torchNAdam({ lr: 0.1 }, 6), 1e-4)).toBe(true);
    expectPath((await runEngine('NAdam', h, 6)).path, want);
  });

  it('other betas, eps and weight_decay', async () => {
    const h = { lr: 0.2, beta1: 0.6, beta2: 0.9, eps: 1e-3, weight_decay: 0.2 };
    const { path } = await runEngine('NAdam', h, 6, SHIFTED_EXPR);
    expectPath(path, torchNAdam(h, 6, SHIFTED));
  });
});

describe('RAdam matches torch.optim.RAdam', () => {
  it('defaults: momentum SGD for 5 steps, rectified from step 6', async () => {
    const { path: want, rhos } = torchRAdam({ lr: 0.01 }, 9);
    expect(rhos[4]).toBeLessThan(5);
    expect(rhos[5]).toBeGreaterThan(5);
    const { path } = await runEngine('RAdam', { lr: 0.01 }, 9);
    expectPath(path, want);
    // Before the switch the step is the bias-corrected momentum: the first one is lr * g.
    expect(path[0][0]).toBeCloseTo(1 - 0.01 * 1, 6);
    expect(path[0][1]).toBeCloseTo(1 - 0.01 * 10, 6);
  });

  it('beta2 = 0.9 switches earlier; weight_decay', async () => {
    const h = { lr: 0.05, beta1: 0.8, beta2: 0.9, weight_decay: 0.1 };
    const { path: want, rhos } = torchRAdam(h, 8, SHIFTED);
    expect(rhos.some((r) => r <= 5) && rhos.some((r) => r > 5)).toBe(true);
    expectPath((await runEngine('RAdam', h, 8, SHIFTED_EXPR)).path, want);
  });
});

describe('Adagrad matches torch.optim.Adagrad', () => {
  it('defaults', async () => {
    const { path } = await runEngine('Adagrad', { lr: 0.1 }, 6);
    expectPath(path, torchAdagrad({ lr: 0.1 }, 6));
  });

  it('lr_decay', async () => {
    const h = { lr: 0.1, lr_decay: 0.5 };
    const want = torchAdagrad(h, 6);
    expect(differ(want, torchAdagrad({ lr: 0.1 }, 6))).toBe(true);
    expectPath((await runEngine('Adagrad', h, 6)).path, want);
  });

  it('initial_accumulator_value, weight_decay and eps', async () => {
    const h = { lr: 0.3, initial_accumulator_value: 2, weight_decay: 0.2, eps: 1e-3 };
    const want = torchAdagrad(h, 6, SHIFTED);
    expect(differ(want, torchAdagrad({ lr: 0.3, weight_decay: 0.2, eps: 1e-3 }, 6, SHIFTED))).toBe(true);
    const { path, state } = await runEngine('Adagrad', h, 6, SHIFTED_EXPR);
    expectPath(path, want);
    expect(state[0]).toBeGreaterThan(2);
  });
});

describe('Adadelta matches torch.optim.Adadelta', () => {
  it('defaults (lr 1)', async () => {
    const { path } = await runEngine('Adadelta', { lr: 1 }, 8);
    expectPath(path, torchAdadelta({}, 8));
  });

  it('rho, eps, weight_decay and lr', async () => {
    const h = { lr: 0.5, rho: 0.5, eps: 1e-3, weight_decay: 0.2 };
    const want = torchAdadelta(h, 8);
    expect(differ(want, torchAdadelta({ lr: 0.5 }, 8))).toBe(true);
    expectPath((await runEngine('Adadelta', h, 8)).path, want);
  });
});

describe('RMSprop matches torch.optim.RMSprop', () => {
  it('defaults', async () => {
    const { path } = await runEngine('RMSprop', { lr: 0.01 }, 6);
    expectPath(path, torchRMSprop({ lr: 0.01 }, 6));
  });

  it('centered', async () => {
    const h = { lr: 0.01, centered: true };
    const want = torchRMSprop(h, 6);
    expect(differ(want, torchRMSprop({ lr: 0.01 }, 6))).toBe(true);
    expectPath((await runEngine('RMSprop', h, 6)).path, want);
  });

  it('momentum', async () => {
    const h = { lr: 0.005, momentum: 0.9 };
    const want = torchRMSprop(h, 6);
    expect(differ(want, torchRMSprop({ lr: 0.005 }, 6))).toBe(true);
    expectPath((await runEngine('RMSprop', h, 6)).path, want);
  });

  it('centered with momentum, alpha, eps and weight_decay', async () => {
    const h = { lr: 0.01, alpha: 0.8, eps: 1e-2, weight_decay: 0.3, momentum: 0.5, centered: true };
    const { path } = await runEngine('RMSprop', h, 6, SHIFTED_EXPR);
    expectPath(path, torchRMSprop(h, 6, SHIFTED));
  });
});

describe('Lion', () => {
  it('Lion (lion-pytorch) defaults', async () => {
    const { path } = await runEngine('Lion', { lr: 0.1 }, 6);
    expectPath(path, lion({ lr: 0.1 }, 6));
  });

  it('Lion with betas and decoupled weight decay', async () => {
    // beta1 0.3 lets the gradient flip the sign of the update against the momentum.
    const h = { lr: 0.3, beta1: 0.3, beta2: 0.8, weight_decay: 0.5 };
    const want = lion(h, 8, SHIFTED);
    const { path } = await runEngine('Lion', h, 8, SHIFTED_EXPR);
    expectPath(path, want);
  });
});

describe('hyperparameters of the added optimizers', () => {
  it("defaults are PyTorch's", () => {
    const defaults = (name: string) => resolveHyper(findOptimizer(name), {});
    expect(defaults('AdamW')).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2, amsgrad: 0 });
    expect(defaults('Adamax')).toEqual({ lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
    expect(defaults('NAdam')).toEqual({ lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3 });
    expect(defaults('RAdam')).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
    expect(defaults('Adagrad')).toEqual({ lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 });
    expect(defaults('RMSprop')).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: 0 });
    expect(defaults('Lion')).toEqual({ lr: 1e-4, beta1: 0.9, beta2: 0.99, weight_decay: 0 });
  });

  it('names are found case-insensitively', () => {
    for (const name of ['adamw', 'ADAMAX', 'nadam', 'radam', 'adagrad', 'rmsprop', 'lion']) {
      expect(findOptimizer(name).name.toLowerCase()).toBe(name.toLowerCase());
    }
    expect(OPTIMIZER_DEFS.map((d) => d.name)).toEqual([
      'SGD',
      'Adam',
      'AdamW',
      'Adamax',
      'NAdam',
      'RAdam',
      'Adagrad',
      'RMSprop',
      'Adadelta',
      'Lion',
      'SignSGD',
    ]);
  });

  const bad: [string, Hyper, RegExp][] = [
    ['AdamW', { lr: 0 }, /lr.*must be positive/],
    ['AdamW', { beta1: 1 }, /beta1/],
    ['AdamW', { beta2: -0.1 }, /beta2/],
    ['AdamW', { eps: -1e-8 }, /eps/],
    ['AdamW', { weight_decay: -0.01 }, /weight_decay/],
    ['Adamax', { lr: -1 }, /lr/],
    ['Adamax', { beta2: 1 }, /beta2/],
    ['Adamax', { eps: -1 }, /eps/],
    ['NAdam', { lr: 0 }, /lr/],
    ['NAdam', { beta1: 1.5 }, /beta1/],
    ['NAdam', { momentum_decay: -1e-3 }, /momentum_decay/],
    ['NAdam', { eps: -1 }, /eps/],
    ['RAdam', { lr: -1e-3 }, /lr/],
    ['RAdam', { beta2: 1 }, /beta2/],
    ['RAdam', { eps: -1 }, /eps/],
    ['Adagrad', { lr: 0 }, /lr/],
    ['Adagrad', { lr_decay: -0.1 }, /lr_decay/],
    ['Adagrad', { initial_accumulator_value: -1 }, /initial_accumulator_value/],
    ['Adagrad', { eps: -1e-10 }, /eps/],
    ['Adagrad', { weight_decay: -1 }, /weight_decay/],
    ['RMSprop', { lr: -0.01 }, /lr/],
    ['RMSprop', { alpha: -0.1 }, /alpha/],
    ['RMSprop', { alpha: 1.1 }, /alpha/],
    ['RMSprop', { momentum: -0.9 }, /momentum/],
    ['RMSprop', { eps: -1 }, /eps/],
    ['RMSprop', { centered: 2 }, /centered is a flag/],
    ['Lion', { lr: -1e-4 }, /lr/],
    ['Lion', { beta1: 1.1 }, /beta1/],
    ['Lion', { beta2: -0.5 }, /beta2/],
    ['Lion', { weight_decay: -1 }, /weight_decay/],
    ['Lion', { eps: 1e-8 }, /Lion has no parameter 'eps'/],
  ];
  for (const [name, given, msg] of bad) {
    it(`${name} ${JSON.stringify(given)} -> HyperParamError ${msg}`, () => {
      let caught: unknown;
      try {
        resolveHyper(findOptimizer(name), given);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(HyperParamError);
      expect((caught as Error).message).toMatch(msg);
    });
  }

  it('range ends PyTorch accepts are accepted', () => {
    expect(() => resolveHyper(findOptimizer('AdamW'), { beta1: 0, beta2: 0, eps: 0, weight_decay: 0 })).not.toThrow();
    expect(() => resolveHyper(findOptimizer('RMSprop'), { alpha: 0 })).not.toThrow();
    expect(() => resolveHyper(findOptimizer('RMSprop'), { alpha: 1 })).not.toThrow();
    expect(() => resolveHyper(findOptimizer('Lion'), { beta1: 1, beta2: 0 })).not.toThrow();
  });
});

describe('SignSGD', () => {
  it('each step moves every coordinate by exactly lr against the gradient sign', () => {
    const opt = getOptimizer('sign');
    expect(opt.def.name).toBe('SignSGD');
    expect(opt.stateStride).toBe(0);
    const surface = resolveSurface('quadratic', { lambda1: 1, lambda2: 10 });
    const lr = 0.25;
    const particles = buildParticles({ kind: 'sweep', start: [1, -0.6], lrMin: lr, lrMax: lr, n: 1 }, opt);
    const engine = new CpuEngine({ surface, optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } });
    let [x, y] = [1, -0.6];
    for (let t = 0; t < 8; t++) {
      // Hand formula: gradient (x, 10 y), p -= lr * sign(g).
      x -= lr * Math.sign(x);
      y -= lr * Math.sign(10 * y);
      engine.step(1);
      expect(engine.state.pos[0]).toBeCloseTo(x, 6);
      expect(engine.state.pos[1]).toBeCloseTo(y, 6);
    }
  });
});
