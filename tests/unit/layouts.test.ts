import { describe, expect, it } from 'vitest';
import { axisValue, buildParticles, layoutParticles, layoutSize, type Layout } from '../../src/core/layouts';
import { getOptimizer, HyperParamError } from '../../src/core/optimizers';
import {
  allocateParticles,
  checkParticleCount,
  MAX_PARTICLES,
  NO_MINIMUM,
  ParticleError,
  particleAt,
  Status,
  type ParticleState,
  minimumIndex,
  particleStatus,
} from '../../src/core/particles';
import { uniform01 } from '../../src/core/random';

const f = Math.fround;
const sgd = getOptimizer('SGD');
const adam = getOptimizer('Adam');

function hyperOf(p: ParticleState, i: number, name: string, opt = sgd): number {
  const k = opt.def.hyper.findIndex((h) => h.name === name);
  expect(k).toBeGreaterThanOrEqual(0);
  return p.hyper[i * p.hyperStride + k];
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

describe('sweep layout', () => {
  it('log-spaced lr with exact endpoints, one start', () => {
    const p = buildParticles({ kind: 'sweep', start: [0.5, -1.25], lrMin: 1e-3, lrMax: 10, n: 9 }, sgd);
    expect(p.n).toBe(9);
    for (let i = 0; i < 9; i++) {
      const v = particleAt(p, i);
      expect([v.x, v.y]).toEqual([0.5, -1.25]);
      // Ratio 10 per two particles: 1e-3, 3.16e-3, 1e-2, ...
      expect(v.lr).toBe(f(1e-3 * 10 ** (i / 2)));
    }
    expect(particleAt(p, 0).lr).toBe(f(1e-3));
    expect(particleAt(p, 8).lr).toBe(f(10));
  });

  it('endpoints are exact for many ranges and sizes', () => {
    for (const [lo, hi] of [
      [1e-4, 1],
      [3e-3, 0.7],
      [0.01, 0.03],
      [0.05, 2],
      [1e-5, 7],
    ]) {
      for (const n of [2, 3, 10, 33, 100]) {
        const p = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: lo, lrMax: hi, n }, sgd);
        expect(particleAt(p, 0).lr).toBe(f(lo));
        expect(particleAt(p, n - 1).lr).toBe(f(hi));
        // Increasing, with a constant ratio.
        for (let i = 1; i < n; i++) {
          expect(particleAt(p, i).lr).toBeGreaterThan(particleAt(p, i - 1).lr);
          expect(particleAt(p, i).lr / particleAt(p, i - 1).lr / (hi / lo) ** (1 / (n - 1))).toBeCloseTo(1, 6);
        }
      }
    }
  });

  it('linear scale, and n = 1 uses lrMin', () => {
    const p = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: 0.1, lrMax: 0.5, n: 5, scale: 'linear' }, sgd);
    expect(Array.from({ length: 5 }, (_, i) => particleAt(p, i).lr)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5].map(f));
    const one = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: 0.3, lrMax: 0.3, n: 1 }, sgd);
    expect(particleAt(one, 0).lr).toBe(f(0.3));
  });

  it('shared hyperparameters fill every particle; defaults where not given', () => {
    const p = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: 0.1, lrMax: 1, n: 3 }, sgd, { momentum: 0.9, nesterov: true });
    for (let i = 0; i < 3; i++) {
      expect(hyperOf(p, i, 'momentum')).toBe(f(0.9));
      expect(hyperOf(p, i, 'nesterov')).toBe(1);
      expect(hyperOf(p, i, 'dampening')).toBe(0);
    }
    const a = buildParticles({ kind: 'sweep', start: [0, 0], lrMin: 0.1, lrMax: 1, n: 2 }, adam);
    expect(hyperOf(a, 1, 'beta2', adam)).toBe(f(0.999));
    expect(hyperOf(a, 1, 'eps', adam)).toBe(f(1e-8));
    expect(a.hyperStride).toBe(6);
    expect(a.stateStride).toBe(6);
  });

  it('fresh particles: running, no steps, no minimum, zero state', () => {
    const p = buildParticles({ kind: 'sweep', start: [1, 2], lrMin: 0.1, lrMax: 1, n: 4 }, adam);
    for (let i = 0; i < 4; i++) {
      expect(particleAt(p, i)).toMatchObject({ index: i, status: 'running', steps: 0, eventStep: 0, minimum: null, loss: 0 });
      expect(particleStatus(p.info, i)).toBe(Status.Running);
      expect(minimumIndex(p.info, i)).toBe(NO_MINIMUM);
    }
    expect(p.state.every((v) => v === 0)).toBe(true);
    expect(p.state.length).toBe(4 * 6);
  });
});

describe('grid layout', () => {
  it('positions are row-major: x varies fastest, y by rows', () => {
    const p = buildParticles({ kind: 'grid', x: [-1, 1], y: [0, 3], nx: 3, ny: 4, lr: 0.01 }, sgd);
    expect(p.n).toBe(12);
    const xs = [-1, 0, 1];
    const ys = [0, 1, 2, 3];
    for (let iy = 0; iy < 4; iy++) {
      for (let ix = 0; ix < 3; ix++) {
        const v = particleAt(p, iy * 3 + ix);
        expect([v.x, v.y]).toEqual([xs[ix], ys[iy]]);
        expect(v.lr).toBe(f(0.01));
      }
    }
  });

  it('a single row or column sits at the range minimum', () => {
    const p = buildParticles({ kind: 'grid', x: [2, 5], y: [-1, 1], nx: 1, ny: 3, lr: 0.1 }, sgd);
    expect([0, 1, 2].map((i) => [particleAt(p, i).x, particleAt(p, i).y])).toEqual([
      [2, -1],
      [2, 0],
      [2, 1],
    ]);
  });
});

describe('random layout', () => {
  const layout = (seed: number): Layout => ({ kind: 'random', domain: [-3, 2, -1, 4], perBand: 50, bands: 3, lrMin: 1e-3, lrMax: 1e-1, seed });

  it('deterministic for a seed, different for another', () => {
    const a = buildParticles(layout(7), sgd);
    const b = buildParticles(layout(7), sgd);
    const c = buildParticles(layout(8), sgd);
    expect(Array.from(a.pos)).toEqual(Array.from(b.pos));
    let same = 0;
    for (let i = 0; i < 50; i++) if (a.pos[4 * i] === c.pos[4 * i]) same++;
    expect(same).toBeLessThan(3);
  });

  it('starts come from uniform01(seed, j, 0/1), inside the domain', () => {
    const p = buildParticles(layout(7), sgd);
    for (let i = 0; i < p.n; i++) {
      const v = particleAt(p, i);
      expect(v.x).toBeGreaterThanOrEqual(-3);
      expect(v.x).toBeLessThanOrEqual(2);
      expect(v.y).toBeGreaterThanOrEqual(-1);
      expect(v.y).toBeLessThanOrEqual(4);
      const j = i % 50;
      expect(v.x).toBe(f(-3 + 5 * uniform01(7, j, 0)));
      expect(v.y).toBe(f(-1 + 5 * uniform01(7, j, 1)));
    }
    // Spread over the domain, not clumped.
    const xs = Array.from({ length: 50 }, (_, i) => p.pos[4 * i]);
    expect(Math.min(...xs)).toBeLessThan(-2);
    expect(Math.max(...xs)).toBeGreaterThan(1);
  });

  it('the same starts repeat in every band; each band has one log-spaced lr', () => {
    const p = buildParticles(layout(11), sgd);
    expect(p.n).toBe(150);
    const lrs = [1e-3, 1e-2, 1e-1].map(f);
    for (let b = 0; b < 3; b++) {
      for (let j = 0; j < 50; j++) {
        const i = b * 50 + j;
        expect(p.pos[4 * i]).toBe(p.pos[4 * j]);
        expect(p.pos[4 * i + 1]).toBe(p.pos[4 * j + 1]);
        expect(particleAt(p, i).lr).toBe(lrs[b]);
      }
    }
  });
});

describe('product layout', () => {
  it('lr (log) by momentum (linear), row-major with momentum rows', () => {
    const p = buildParticles(
      {
        kind: 'product',
        start: [1, -1],
        x: { param: 'lr', min: 1e-3, max: 1e-1, n: 3, scale: 'log' },
        y: { param: 'momentum', min: 0, max: 0.9, n: 4 },
      },
      sgd,
      { dampening: 0.1 },
    );
    expect(p.n).toBe(12);
    const lrs = [1e-3, 1e-2, 1e-1].map(f);
    const moms = [0, 0.3, 0.6, 0.9].map(f);
    for (let iy = 0; iy < 4; iy++) {
      for (let ix = 0; ix < 3; ix++) {
        const i = iy * 3 + ix;
        const v = particleAt(p, i);
        expect([v.x, v.y]).toEqual([1, -1]);
        expect(v.lr).toBe(lrs[ix]);
        expect(hyperOf(p, i, 'momentum')).toBeCloseTo(moms[iy], 7);
        expect(hyperOf(p, i, 'dampening')).toBe(f(0.1));
      }
    }
  });

  it('x0 by y0 sweeps the start, with the base lr', () => {
    const p = buildParticles(
      {
        kind: 'product',
        start: [9, 9],
        x: { param: 'x0', min: -1, max: 1, n: 3 },
        y: { param: 'y0', min: 2, max: 3, n: 2 },
      },
      adam,
      { lr: 0.05 },
    );
    expect(Array.from({ length: 6 }, (_, i) => [particleAt(p, i).x, particleAt(p, i).y])).toEqual([
      [-1, 2],
      [0, 2],
      [1, 2],
      [-1, 3],
      [0, 3],
      [1, 3],
    ]);
    for (let i = 0; i < 6; i++) expect(particleAt(p, i).lr).toBe(f(0.05));
  });

  it('one start axis and one hyperparameter axis', () => {
    const p = buildParticles(
      {
        kind: 'product',
        start: [0.5, 0.25],
        x: { param: 'beta1', min: 0.5, max: 0.9, n: 2 },
        y: { param: 'y0', min: -1, max: 1, n: 2 },
      },
      adam,
      { lr: 0.01 },
    );
    expect([0, 1, 2, 3].map((i) => [particleAt(p, i).x, particleAt(p, i).y, hyperOf(p, i, 'beta1', adam)])).toEqual([
      [0.5, -1, 0.5],
      [0.5, -1, f(0.9)],
      [0.5, 1, 0.5],
      [0.5, 1, f(0.9)],
    ]);
  });
});

describe('parts of a layout (shards)', () => {
  const sweep: Layout = { kind: 'sweep', start: [1, -1], lrMin: 1e-4, lrMax: 2, n: 11 };
  const map: Layout = {
    kind: 'product',
    start: [1, 1],
    x: { param: 'lr', min: 1e-3, max: 1, n: 5, scale: 'log' },
    y: { param: 'momentum', min: 0, max: 0.9, n: 7 },
  };
  const slice = (p: ParticleState, from: number, to: number) => ({
    pos: p.pos.slice(4 * from, 4 * to),
    hyper: p.hyper.slice(p.hyperStride * from, p.hyperStride * to),
    info: p.info.slice(4 * from, 4 * to),
  });

  it("a sweep's particles from..to-1 and a map's rows from..to-1 are exactly the whole layout's", () => {
    const whole = buildParticles(sweep, sgd);
    for (const [a, b] of [
      [0, 4],
      [4, 11],
      [10, 11],
    ] as const) {
      const part = buildParticles({ ...sweep, part: [a, b] }, sgd);
      expect(layoutSize({ ...sweep, part: [a, b] })).toBe(b - a);
      expect(slice(part, 0, b - a)).toEqual(slice(whole, a, b));
    }
    const wholeMap = buildParticles(map, sgd);
    for (const [a, b] of [
      [0, 1],
      [2, 5],
      [6, 7],
    ] as const) {
      const part = buildParticles({ ...map, part: [a, b] }, sgd);
      expect(part.n).toBe(5 * (b - a));
      expect(slice(part, 0, part.n)).toEqual(slice(wholeMap, 5 * a, 5 * b));
    }
  });

  it('an empty or out-of-range part is refused', () => {
    for (const part of [
      [3, 3],
      [-1, 2],
      [5, 8],
      [0.5, 2],
    ] as [number, number][]) {
      expect(() => buildParticles({ ...map, part }, sgd)).toThrow(/a part of 7 rows must be a non-empty range within 0..7/);
    }
  });
});

describe('layouts made a range at a time', () => {
  const perCoordinate = getOptimizer('SGD', { perCoordinateLr: true });
  const cases: [string, Layout, typeof sgd][] = [
    ['a sweep (a part of one)', { kind: 'sweep', start: [0.5, -1], lrMin: 1e-3, lrMax: 2, n: 29, part: [3, 26] }, sgd],
    ['a grid', { kind: 'grid', x: [-1, 1], y: [0, 3], nx: 5, ny: 4, lr: 0.01 }, sgd],
    ['random starts in bands', { kind: 'random', domain: [-2, 2, -1, 1], perBand: 6, bands: 3, lrMin: 0.01, lrMax: 1, seed: 9 }, sgd],
    [
      'a map (a part of its rows) with lr_y following lr',
      { kind: 'product', start: [1, 1], x: { param: 'lr', min: 1e-3, max: 1, n: 5, scale: 'log' }, y: { param: 'y0', min: -1, max: 1, n: 7 }, part: [1, 6] },
      perCoordinate,
    ],
  ];
  for (const [name, layout, opt] of cases) {
    it(`${name}: the ranges, put together, are the whole layout`, () => {
      const whole = buildParticles(layout, opt, { momentum: 0.5 });
      const ranges = layoutParticles(layout, opt, { momentum: 0.5 });
      expect([ranges.n, ranges.hyperStride, ranges.stateStride]).toEqual([whole.n, whole.hyperStride, whole.stateStride]);
      // Uneven ranges, so that a range starts mid-row and mid-band.
      const parts: ParticleState[] = [];
      for (let first = 0, size = 1; first < whole.n; first += size, size += 2) parts.push(ranges.range(first, Math.min(size, whole.n - first)));
      expect(parts.length).toBeGreaterThan(2);
      const joined = <T extends Float32Array | Uint32Array>(get: (p: ParticleState) => T) => parts.flatMap((p) => Array.from(get(p)));
      expect(joined((p) => p.pos)).toEqual(Array.from(whole.pos));
      expect(joined((p) => p.hyper)).toEqual(Array.from(whole.hyper));
      expect(joined((p) => p.state)).toEqual(Array.from(whole.state));
      expect(joined((p) => p.info)).toEqual(Array.from(whole.info));
      expect(() => ranges.range(whole.n - 1, 2)).toThrow(RangeError);
    });
  }
  it('lr_y follows each particle’s own lr unless it is given', () => {
    const layout: Layout = { kind: 'sweep', start: [0, 0], lrMin: 0.1, lrMax: 1, n: 3 };
    const p = layoutParticles(layout, perCoordinate).range(1, 2);
    expect(hyperOf(p, 0, 'lr_y', perCoordinate)).toBe(hyperOf(p, 0, 'lr', perCoordinate));
    expect(hyperOf(p, 1, 'lr_y', perCoordinate)).toBe(f(1));
    expect(hyperOf(layoutParticles(layout, perCoordinate, { lr_y: 0.25 }).range(2, 1), 0, 'lr_y', perCoordinate)).toBe(f(0.25));
  });
});

describe('layout errors', () => {
  const sweep = (over: Partial<Extract<Layout, { kind: 'sweep' }>>): Layout => ({ kind: 'sweep', start: [0, 0], lrMin: 0.01, lrMax: 0.1, n: 4, ...over });
  const cases: [string, () => unknown, RegExp, new (...args: never[]) => Error][] = [
    ['lrMin > lrMax', () => buildParticles(sweep({ lrMin: 1, lrMax: 0.1 }), sgd), /minimum 1 is above the maximum 0.1/, ParticleError],
    ['NaN start', () => buildParticles(sweep({ start: [NaN, 0] }), sgd), /start/, ParticleError],
    [
      'infinite start (product)',
      () =>
        buildParticles(
          { kind: 'product', start: [0, Infinity], x: { param: 'lr', min: 0.1, max: 1, n: 2 }, y: { param: 'momentum', min: 0, max: 0.5, n: 2 } },
          sgd,
        ),
      /start/,
      ParticleError,
    ],
    ['lr 0 in a log range', () => buildParticles(sweep({ lrMin: 0 }), sgd), /positive/, ParticleError],
    ['negative lr in a linear range', () => buildParticles(sweep({ lrMin: -0.1, scale: 'linear' }), sgd), /lr/, HyperParamError],
    ['lr 0 in a grid', () => buildParticles({ kind: 'grid', x: [0, 1], y: [0, 1], nx: 2, ny: 2, lr: 0 }, sgd), /lr/, HyperParamError],
    [
      'lr 0 in a product axis',
      () => buildParticles({ kind: 'product', start: [0, 0], x: { param: 'lr', min: 0, max: 1, n: 2 }, y: { param: 'x0', min: 0, max: 1, n: 2 } }, sgd),
      /lr/,
      HyperParamError,
    ],
    [
      'momentum axis out of range',
      () =>
        buildParticles({ kind: 'product', start: [0, 0], x: { param: 'momentum', min: -1, max: 0.9, n: 2 }, y: { param: 'x0', min: 0, max: 1, n: 2 } }, sgd),
      /momentum/,
      HyperParamError,
    ],
    ['n = 0', () => buildParticles(sweep({ n: 0 }), sgd), /number of particles/, ParticleError],
    ['fractional n', () => buildParticles(sweep({ n: 2.5 }), sgd), /whole number/, ParticleError],
    ['n > MAX_PARTICLES', () => buildParticles(sweep({ n: MAX_PARTICLES + 1 }), sgd), /too many/, ParticleError],
    ['grid too large', () => buildParticles({ kind: 'grid', x: [0, 1], y: [0, 1], nx: 5000, ny: 5000, lr: 0.1 }, sgd), /too many/, ParticleError],
    ['empty grid', () => buildParticles({ kind: 'grid', x: [0, 1], y: [0, 1], nx: 0, ny: 3, lr: 0.1 }, sgd), /number of particles/, ParticleError],
    ['reversed grid range', () => buildParticles({ kind: 'grid', x: [1, 0], y: [0, 1], nx: 2, ny: 2, lr: 0.1 }, sgd), /x range/, ParticleError],
    [
      'NaN in the random domain',
      () => buildParticles({ kind: 'random', domain: [0, NaN, 0, 1], perBand: 2, bands: 2, lrMin: 0.1, lrMax: 1, seed: 1 }, sgd),
      /domain/,
      ParticleError,
    ],
    [
      'unknown axis parameter',
      () => buildParticles({ kind: 'product', start: [0, 0], x: { param: 'gamma', min: 0, max: 1, n: 2 }, y: { param: 'x0', min: 0, max: 1, n: 2 } }, sgd),
      /no parameter 'gamma'/,
      HyperParamError,
    ],
    [
      'an axis parameter of another optimizer',
      () => buildParticles({ kind: 'product', start: [0, 0], x: { param: 'beta1', min: 0.1, max: 0.5, n: 2 }, y: { param: 'x0', min: 0, max: 1, n: 2 } }, sgd),
      /SGD has no parameter 'beta1'/,
      HyperParamError,
    ],
    ['bad shared hyperparameter', () => buildParticles(sweep({}), adam, { beta1: 1 }), /beta1/, HyperParamError],
  ];
  for (const [what, fn, msg, type] of cases) {
    it(`${what} -> ${type.name} ${msg}`, () => {
      const err = errorOf(fn);
      expect(err).toBeInstanceOf(type);
      expect(err.message).toMatch(msg);
    });
  }

  it('checkParticleCount honours a smaller engine limit', () => {
    expect(() => checkParticleCount(1000, 999)).toThrow(/too many particles: 1000 > 999/);
    expect(() => checkParticleCount(999, 999)).not.toThrow();
    expect(() => allocateParticles(0, sgd)).toThrow(ParticleError);
  });
});

describe('axisValue and layoutSize', () => {
  it('axisValue interpolates linearly or geometrically', () => {
    expect(axisValue(0, 1, 5, 2)).toBe(0.5);
    expect(axisValue(1, 100, 3, 1, 'log')).toBeCloseTo(10, 12);
    expect(axisValue(2, 8, 1, 0, 'log')).toBe(2);
  });

  it('layoutSize counts particles', () => {
    expect(layoutSize({ kind: 'sweep', start: [0, 0], lrMin: 1, lrMax: 2, n: 7 })).toBe(7);
    expect(layoutSize({ kind: 'grid', x: [0, 1], y: [0, 1], nx: 3, ny: 5, lr: 1 })).toBe(15);
    expect(layoutSize({ kind: 'random', domain: [0, 1, 0, 1], perBand: 4, bands: 6, lrMin: 1, lrMax: 2, seed: 0 })).toBe(24);
    expect(layoutSize({ kind: 'product', start: [0, 0], x: { param: 'lr', min: 1, max: 2, n: 3 }, y: { param: 'x0', min: 0, max: 1, n: 2 } })).toBe(6);
  });
});
