// The plane through parameter space the 3-D view draws for networks (core/nn/plane.ts)
// and the page's network state (model/network.ts): filter normalisation, the projection,
// the plane through three networks, the layouts' learning rates, the budget.

import { describe, expect, test } from 'vitest';
import { parseModel } from '../../src/core/nn/model';
import { initialTheta } from '../../src/core/nn/network';
import { drawnOnPlane, filterNormalizedDirection, inverseGram, planeCoord, planeThrough, projectOnPlane, randomPlane } from '../../src/core/nn/plane';
import { budgetNetworks, buildNetworkRun, networkLrs, planeFor } from '../../src/model/network';
import { DEFAULT_STATE, parseState } from '../../src/model/state';

const model = parseModel('mlp:3,5,2:tanh:bias');
const theta = initialTheta(model, 1, { seed: 3 });

const norm = (v: ArrayLike<number>, idx: number[]) => Math.sqrt(idx.reduce((a, q) => a + v[q] * v[q], 0));

describe('filter-normalised directions (Li et al. 2018)', () => {
  test('each filter (an output unit’s incoming weights) has the norm of the same filter of theta; biases are 0', () => {
    const d = filterNormalizedDirection(model, theta, 7, 0);
    for (const ly of model.layers) {
      for (let j = 0; j < ly.fanOut; j++) {
        const idx = Array.from({ length: ly.fanIn }, (_, i) => ly.w + i * ly.fanOut + j);
        expect(norm(d, idx)).toBeCloseTo(norm(theta, idx), 5);
      }
      for (let j = 0; j < ly.fanOut; j++) expect(d[ly.b + j]).toBe(0);
    }
    // Random, not theta itself: not parallel to it, and the two directions differ.
    const e = filterNormalizedDirection(model, theta, 7, 1);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, q) => s + v * b[q], 0);
    expect(Math.abs(dot(d, theta)) / (Math.sqrt(dot(d, d)) * Math.sqrt(dot(theta, theta)))).toBeLessThan(0.9);
    expect(Array.from(d)).not.toEqual(Array.from(e));
  });

  test('a point of the plane projects back to its own coordinates', () => {
    const p = randomPlane(model, theta, 1, 1);
    const inv = inverseGram(p);
    const [a, b] = [0.3, -0.7];
    const t = p.c.map((c, q) => c + a * p.d1[q] + b * p.d2[q]);
    const [pa, pb] = projectOnPlane(p, t, inv);
    expect(pa).toBeCloseTo(a, 4);
    expect(pb).toBeCloseTo(b, 4);
    expect(planeCoord(p, 5, 0, 4)).toEqual([-1, 1]);
    // Beyond the drawn domain (a diverging network): drawn at its edge.
    const far = p.c.map((c, q) => c + 40 * p.d1[q] - 0.5 * p.d2[q]);
    expect(drawnOnPlane(p, far, inv)[0]).toBe(1);
    expect(drawnOnPlane(p, far, inv)[1]).toBeCloseTo(-0.5, 3);
  });
});

describe('the plane through three networks', () => {
  test('puts them at (0, 0), (1, 0) and (0, 1); parallel directions are refused', () => {
    const t = initialTheta(model, 3, { seed: 1, perNetwork: true });
    const P = model.params;
    const nets = [0, 1, 2].map((i) => t.slice(i * P, (i + 1) * P));
    const p = planeThrough(nets[0], nets[1], nets[2], 0.25);
    const at = nets.map((n) => projectOnPlane(p, n).map((v) => Math.round(v * 1e4) / 1e4));
    expect(at).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(() => planeThrough(nets[0], nets[1], nets[1], 0.25) && inverseGram(planeThrough(nets[0], nets[1], nets[1], 0.25))).toThrow(/degenerate/);
  });
});

describe('network state of the page', () => {
  const net = { ...DEFAULT_STATE, model: 'mlp:1,8,8,1:tanh', dataset: 'chebyshev' as const, n: 16 };

  test('the schema takes a model and names what is wrong with a bad one', () => {
    expect(parseState(net)).toHaveProperty('state');
    const bad = parseState({ ...net, model: 'mlp:1,8,1:sigmoidish' });
    expect(bad).toHaveProperty('error');
    expect((bad as { error: string }).error).toMatch(/^model: .*unknown field 'sigmoidish'/);
  });

  test('the map layout spreads lr_layer0 x lr_layer1, the others sweep one lr for all layers', () => {
    const map = networkLrs({ ...net, layout: 'map', lrMin: 0.01, lrMax: 1 }, 3, 9);
    expect(map.length).toBe(9);
    expect(map[0][0]).toBeCloseTo(0.01, 6);
    expect(map[2][0]).toBeCloseTo(1, 6);
    expect(map[2][1]).toBeCloseTo(0.01, 6);
    expect(map[6][1]).toBeCloseTo(1, 6);
    const sweep = networkLrs({ ...net, layout: 'sweep', lrMin: 0.01, lrMax: 1 }, 3, 5);
    expect(sweep.map((l) => new Set(l).size)).toEqual([1, 1, 1, 1, 1]);
    expect(sweep[4][0]).toBeCloseTo(1, 6);
    const built = buildNetworkRun({ ...net, layout: 'sweep' });
    expect(built.setup.n).toBe(16);
    expect(built.lr[15]).toBeCloseTo(net.lrMax, 6);
  });

  test('the budget lowers steps per frame to fit, and refuses too much work', () => {
    const fits = budgetNetworks({ ...net, stepsPerFrame: 10_000 }, { software: true, limits: null });
    expect(fits).toHaveProperty('state');
    const st = (fits as { state: typeof net }).state;
    expect(st.stepsPerFrame).toBeLessThan(10_000);
    expect(st.stepsPerFrame).toBeGreaterThan(1);
    const refused = budgetNetworks({ ...net, model: 'mlp:16,16,1:tanh', dataset: 'teacher', points: 4096, n: 65_536 }, { software: true, limits: null });
    expect((refused as { error: string }).error).toMatch(/smaller network or fewer points/);
  });

  test('planeFor names a centre network that does not exist', () => {
    expect(() => planeFor({ ...net, planeCenter: 20 }, parseModel(net.model), 16, () => new Float32Array(0))).toThrow(
      /planeCenter is network 20; there are 16/,
    );
  });
});
