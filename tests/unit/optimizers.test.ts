import { describe, expect, it } from 'vitest';
import { findOptimizer, getOptimizer, HyperParamError, OPTIMIZER_DEFS, resolveHyper, PROGRAM_INPUTS } from '../../src/core/optimizers';
import { LAMBDA, QUAD, runEngine, SHIFTED, SHIFTED_EXPR, START, type Grad } from '../helpers/optimizer-run';

/** torch.optim.SGD, single tensor, in float64. */
function torchSGD(h: { lr: number; momentum?: number; dampening?: number; weight_decay?: number; nesterov?: boolean }, steps = 3, grad: Grad = QUAD) {
  const { lr, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false } = h;
  const p = [...START];
  let buf: number[] | null = null;
  const path: [number, number][] = [];
  for (let t = 0; t < steps; t++) {
    let g = grad(p);
    if (weight_decay !== 0) g = g.map((v, i) => v + weight_decay * p[i]);
    if (momentum !== 0) {
      if (buf === null) buf = [...g];
      else buf = buf.map((b, i) => momentum * b + (1 - dampening) * g[i]);
      g = nesterov ? g.map((v, i) => v + momentum * buf![i]) : [...buf];
    }
    for (let i = 0; i < 2; i++) p[i] -= lr * g[i];
    path.push([p[0], p[1]]);
  }
  return path;
}

/** torch.optim.Adam, single tensor, in float64. */
function torchAdam(h: { lr: number; beta1?: number; beta2?: number; eps?: number; weight_decay?: number; amsgrad?: boolean }, steps = 3, grad: Grad = QUAD) {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, amsgrad = false } = h;
  const p = [...START];
  const m = [0, 0];
  const v = [0, 0];
  const vmax = [0, 0];
  const path: [number, number][] = [];
  const vs: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grad(p).map((v, i) => v + weight_decay * p[i]);
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    for (let i = 0; i < 2; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      vmax[i] = Math.max(vmax[i], v[i]);
      const denom = Math.sqrt(amsgrad ? vmax[i] : v[i]) / Math.sqrt(bc2) + eps;
      p[i] -= (lr / bc1) * (m[i] / denom);
    }
    vs.push([...v]);
    path.push([p[0], p[1]]);
  }
  return { path, vs };
}

/**
 * Relative tolerance against the size of the numbers in the update (the new and the
 * previous coordinate): float32 cannot do better where p - lr*d cancels.
 */
function expectPath(got: [number, number][], want: [number, number][], rel = 1e-6) {
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

describe('SGD matches torch.optim.SGD (first 3 steps)', () => {
  it('plain SGD', async () => {
    const { path } = await runEngine('SGD', { lr: 0.05 });
    expectPath(path, torchSGD({ lr: 0.05 }));
    expectPath(path.slice(0, 1), [[0.95, 0.5]]);
  });

  it('momentum 0.9: the first step copies the gradient into the buffer', async () => {
    const { path, state } = await runEngine('SGD', { lr: 0.05, momentum: 0.9 });
    const want = torchSGD({ lr: 0.05, momentum: 0.9 });
    expectPath(path, want);
    // Not the "buf = (1 - dampening) g" or "buf = 0.9 * 0 + g"-with-zero-start variants.
    expect(want[0]).toEqual([0.95, 0.5]);
    // The buffer holds torch's momentum_buffer after 3 steps: [bx, by].
    const g = [START[0], 10 * START[1]];
    let buf = [...g];
    let p = [...START];
    for (let t = 0; t < 3; t++) {
      const grad = p.map((v, i) => LAMBDA[i] * v);
      buf = t === 0 ? grad : buf.map((b, i) => 0.9 * b + grad[i]);
      p = p.map((v, i) => v - 0.05 * buf[i]);
    }
    expect(state[0]).toBeCloseTo(buf[0], 5);
    expect(state[1]).toBeCloseTo(buf[1], 5);
  });

  it('dampening 0.5', async () => {
    const { path } = await runEngine('SGD', { lr: 0.05, momentum: 0.9, dampening: 0.5 });
    const want = torchSGD({ lr: 0.05, momentum: 0.9, dampening: 0.5 });
    expectPath(path, want);
    // Dampening changes steps 2 and 3, not step 1 (torch does not dampen the first copy).
    const undamped = torchSGD({ lr: 0.05, momentum: 0.9 });
    expect(want[0]).toEqual(undamped[0]);
    expect(Math.abs(want[2][1] - undamped[2][1])).toBeGreaterThan(1e-3);
  });

  it('nesterov', async () => {
    const { path } = await runEngine('SGD', { lr: 0.05, momentum: 0.9, nesterov: true });
    const want = torchSGD({ lr: 0.05, momentum: 0.9, nesterov: true });
    expectPath(path, want);
    expect(want[0][0]).toBeCloseTo(1 - 0.05 * 1.9, 14);
  });

  it('weight_decay 0.1', async () => {
    const { path } = await runEngine('SGD', { lr: 0.05, weight_decay: 0.1 });
    expectPath(path, torchSGD({ lr: 0.05, weight_decay: 0.1 }));
    expect(path[0][0]).toBeCloseTo(1 - 0.05 * 1.1, 7);
  });

  it('momentum, dampening and weight decay together', async () => {
    const h = { lr: 0.03, momentum: 0.7, dampening: 0.2, weight_decay: 0.3 };
    const { path } = await runEngine('SGD', h, 5);
    expectPath(path, torchSGD(h, 5));
  });
});

describe('Adam matches torch.optim.Adam (first 3 steps)', () => {
  it('default betas, bias-corrected', async () => {
    const { path } = await runEngine('Adam', { lr: 0.1 });
    const { path: want } = torchAdam({ lr: 0.1 });
    expectPath(path, want);
    // The first bias-corrected step moves each coordinate by about lr, whatever the gradient scale.
    expect(want[0][0]).toBeCloseTo(0.9, 6);
    expect(want[0][1]).toBeCloseTo(0.9, 6);
  });

  it('other betas and eps', async () => {
    const h = { lr: 0.2, beta1: 0.5, beta2: 0.9, eps: 1e-3 };
    const { path } = await runEngine('Adam', h, 4);
    expectPath(path, torchAdam(h, 4).path);
  });

  it('amsgrad uses the running maximum of v once v decreases', async () => {
    // A big first step (lr 0.9) cuts the gradient tenfold; with beta2 = 0.5, v then shrinks.
    const h = { lr: 0.9, beta2: 0.5 };
    const plain = torchAdam(h);
    const ams = torchAdam({ ...h, amsgrad: true });
    expect(plain.vs[1][0]).toBeLessThan(plain.vs[0][0]);
    expect(Math.abs(ams.path[2][0] - plain.path[2][0])).toBeGreaterThan(1e-2);
    const engineAms = await runEngine('Adam', { ...h, amsgrad: true });
    const enginePlain = await runEngine('Adam', h);
    expectPath(engineAms.path, ams.path);
    expectPath(enginePlain.path, plain.path);
    // State layout: exp_avg, exp_avg_sq, max_exp_avg_sq (x then y for each).
    const [, , vx, vy, vmaxX, vmaxY] = engineAms.state;
    expect(vmaxX).toBeGreaterThan(vx);
    expect(vmaxY).toBeGreaterThanOrEqual(vy);
    expect(enginePlain.state[4]).toBe(0); // vmax untouched without amsgrad
  });

  it('weight_decay (L2 added to the gradient, not decoupled)', async () => {
    const h = { lr: 0.1, weight_decay: 0.5 };
    const { path } = await runEngine('Adam', h, 3, SHIFTED_EXPR);
    const want = torchAdam(h, 3, SHIFTED).path;
    expectPath(path, want);
    // Decay changes the path (on the centred quadratic it would only rescale g, which Adam ignores).
    expect(Math.abs(want[2][0] - torchAdam({ lr: 0.1 }, 3, SHIFTED).path[2][0])).toBeGreaterThan(1e-3);
    const sgd = await runEngine('SGD', { lr: 0.05, weight_decay: 0.5, momentum: 0.5 }, 3, SHIFTED_EXPR);
    expectPath(sgd.path, torchSGD({ lr: 0.05, weight_decay: 0.5, momentum: 0.5 }, 3, SHIFTED));
  });
});

describe('hyperparameter validation', () => {
  const sgd = findOptimizer('SGD');
  const adam = findOptimizer('Adam');
  const cases: [string, () => unknown, RegExp][] = [
    ['lr = 0', () => resolveHyper(sgd, { lr: 0 }), /lr.*must be positive/],
    ['lr < 0', () => resolveHyper(adam, { lr: -1 }), /lr/],
    ['lr NaN', () => resolveHyper(sgd, { lr: NaN }), /lr must be a finite number/],
    ['lr Infinity', () => resolveHyper(sgd, { lr: Infinity }), /lr must be a finite number/],
    ['beta1 = 1', () => resolveHyper(adam, { beta1: 1 }), /beta1/],
    ['beta2 = 1.5', () => resolveHyper(adam, { beta2: 1.5 }), /beta2/],
    ['beta1 < 0', () => resolveHyper(adam, { beta1: -0.1 }), /beta1/],
    ['negative momentum', () => resolveHyper(sgd, { momentum: -0.5 }), /momentum/],
    ['dampening > 1', () => resolveHyper(sgd, { dampening: 2 }), /dampening/],
    ['negative weight decay', () => resolveHyper(adam, { weight_decay: -1 }), /weight_decay/],
    ['negative eps', () => resolveHyper(adam, { eps: -1e-8 }), /eps/],
    ['nesterov with momentum 0', () => resolveHyper(sgd, { nesterov: true }), /nesterov/],
    ['nesterov with dampening', () => resolveHyper(sgd, { nesterov: true, momentum: 0.9, dampening: 0.1 }), /nesterov/],
    ['a flag that is not 0/1', () => resolveHyper(sgd, { nesterov: 2, momentum: 0.9 }), /nesterov is a flag/],
    ['unknown parameter', () => resolveHyper(sgd, { betas: 0.9 }), /no parameter 'betas'/],
    ['Adam has no momentum', () => resolveHyper(adam, { momentum: 0.9 }), /Adam has no parameter 'momentum'/],
    ['unknown optimizer', () => findOptimizer('LBFGS'), /unknown optimizer 'LBFGS'/],
    ['unknown optimizer (getOptimizer)', () => getOptimizer('lbfgs'), /unknown optimizer/],
  ];
  for (const [what, fn, msg] of cases) {
    it(`${what} -> HyperParamError ${msg}`, () => {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(HyperParamError);
      expect((caught as Error).message).toMatch(msg);
    });
  }

  it('fills defaults (PyTorch defaults) and accepts booleans', () => {
    expect(resolveHyper(adam, {})).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: 0 });
    expect(resolveHyper(sgd, { lr: 0.1, momentum: 0.9, nesterov: true })).toEqual({ lr: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: 1 });
    expect(resolveHyper(sgd, { lr: 0.1, momentum: undefined })).toMatchObject({ momentum: 0 });
    expect(resolveHyper(adam, { beta1: 0, amsgrad: false })).toMatchObject({ beta1: 0, amsgrad: 0 });
  });

  it('findOptimizer is case-insensitive and knows aliases', () => {
    expect(findOptimizer('GD').name).toBe('SGD');
    expect(findOptimizer('gd').name).toBe('SGD');
    expect(findOptimizer('sgd').name).toBe('SGD');
    expect(findOptimizer('adam').name).toBe('Adam');
    expect(findOptimizer(' ADAM ').name).toBe('Adam');
    expect(getOptimizer('adam')).toBe(getOptimizer('Adam'));
  });

  it('compiled optimizers: lr first, strides match hyperparameters and state', () => {
    for (const def of OPTIMIZER_DEFS) {
      const c = getOptimizer(def.name);
      expect(def.hyper[0].name).toBe('lr');
      expect(c.hyperStride).toBe(def.hyper.length);
      expect(c.stateStride).toBe(2 * def.state.length);
      expect(Object.keys(c.program.outputs).sort()).toEqual(['p', ...def.state].sort());
      expect(c.program.inputs).toEqual([...PROGRAM_INPUTS, ...def.hyper.map((h) => h.name), ...def.state]);
      for (const h of def.hyper) expect(() => resolveHyper(def, { [h.name]: h.default })).not.toThrow();
    }
  });
});
