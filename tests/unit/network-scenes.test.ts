// The network scenes in the page's scene list (src/model/network-scenes.ts): each state
// validates, round-trips through links and files, and builds the networks the scene's
// check (src/core/nn/scenes.ts) runs on; the catapult's page setup passes that check.

import { describe, expect, test } from 'vitest';
import { CpuNetRunner } from '../../src/core/nn/runner';
import { CATAPULT, catapultBase, checkCatapult, EOS, eosSetup, FRACTAL, fractalSetup } from '../../src/core/nn/scenes';
import type { NetSetup } from '../../src/core/nn/train';
import { budgetNetworks, buildNetworkRun, followedNetworks } from '../../src/model/network';
import { CATAPULT_PAGE_FACTORS, NETWORK_SCENES } from '../../src/model/network-scenes';
import { ALL_SCENES, findScene, sceneState, SCENES } from '../../src/model/scenes';
import { decodeHash, encodeHash, exportJson, importJson } from '../../src/model/share';
import { ExplorerStateSchema } from '../../src/model/state';

/** The same networks: model, data, initial weights of network 0, optimizer. */
function sameProblem(page: NetSetup, check: NetSetup): void {
  expect(page.model.spec).toEqual(check.model.spec);
  expect(Array.from(page.data.x)).toEqual(Array.from(check.data.x));
  expect(Array.from(page.data.y)).toEqual(Array.from(check.data.y));
  const P = check.model.params;
  expect(Array.from(page.theta.subarray(0, P))).toEqual(Array.from(check.theta.subarray(0, P)));
  expect(page.optimizer.def.name).toBe(check.optimizer.def.name);
}

/** Per network, its layer-0 learning rate (the engine's hyper array). */
const lrOf = (s: NetSetup, i: number) => s.hyper[i * (s.optimizer.def.hyper.length + s.model.layers.length) + s.optimizer.def.hyper.length];

describe('network scenes in the page', () => {
  test('numbered 20-23 after the 19 lecture scenes, labelled as networks, valid states that round-trip', () => {
    expect(ALL_SCENES.map((s) => s.number)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(ALL_SCENES.slice(0, 19)).toEqual(SCENES);
    for (const scene of NETWORK_SCENES) {
      expect(scene.title).toMatch(/^Networks: /);
      expect(findScene(scene.number).id).toBe(scene.id);
      const state = sceneState(scene.id);
      expect(ExplorerStateSchema.safeParse(state).success).toBe(true);
      expect(state.model).not.toBe('');
      expect(decodeHash(encodeHash(state))).toEqual({ state });
      expect(importJson(exportJson(state))).toEqual({ state });
      // Within a frame's budget on a software adapter as they are (nothing lowered).
      expect(budgetNetworks(state, { software: true, limits: null }), scene.id).toEqual({ state, changes: [] });
    }
  });

  test("the fractal: the check's network, data and shared draw; its first zoom window on the Network map", () => {
    const s = sceneState('nn-fractal');
    const [x0, x1, y0, y1] = FRACTAL.windows[0];
    const page = buildNetworkRun(s).setup;
    sameProblem(page, fractalSetup('test', FRACTAL.windows[0]));
    expect(s.views).toContain('netmap');
    expect(s.mapSteps).toBe(FRACTAL.test.steps);
    const w = s.mapWindow!;
    expect([w.x.param, w.y.param]).toEqual(['lr_layer0', 'lr_layer1']);
    expect([w.x.min, w.x.max, w.y.min, w.y.max].map(Math.log10)).toEqual([x0, x1, y0, y1].map((v) => expect.closeTo(v, 12)));
    // Every network starts from the same draw (the fractal's setup).
    const P = page.model.params;
    expect(Array.from(page.theta.subarray(P * (page.n - 1), P * page.n))).toEqual(Array.from(page.theta.subarray(0, P)));
  });

  test("edge of stability: the check's network; the followed middle network trains at its eta; the sharpness view is open", () => {
    const s = sceneState('nn-edge-of-stability');
    const page = buildNetworkRun(s).setup;
    sameProblem(page, eosSetup('full'));
    expect(s.views).toContain('netsharp');
    expect(s.sharpnessEvery).toBe(EOS.full.every);
    expect(followedNetworks(page.n)).toEqual([0, 1, 2]);
    expect(lrOf(page, 1)).toBeCloseTo(EOS.eta, 6);
    expect(lrOf(page, 0)).toBeLessThan(EOS.eta);
    expect(lrOf(page, 2)).toBeGreaterThan(EOS.eta);
  });

  test("catapult: the page's three networks pass the scene's check on the CPU reference", async () => {
    const s = sceneState('nn-catapult');
    const page = buildNetworkRun(s).setup;
    const { lambda0 } = catapultBase();
    const etas = CATAPULT_PAGE_FACTORS.map((c) => (c * 2) / lambda0);
    etas.forEach((eta, i) => expect(lrOf(page, i) / eta).toBeCloseTo(1, 6));
    const runner = new CpuNetRunner({ ...page, config: { ...page.config, history: CATAPULT.steps } });
    runner.step(CATAPULT.steps);
    const end = await runner.sharpness();
    const check = checkCatapult({ state: await runner.read(), at: [CATAPULT.steps], sharpness: [end] }, [...CATAPULT_PAGE_FACTORS], etas, CATAPULT.steps);
    expect(check.failures).toEqual([]);
  });

  test("sharp vs flat: the full scene's 1,024 learning rates, with the sweep and sharpness views", () => {
    const s = sceneState('nn-sharp-vs-flat');
    const page = buildNetworkRun(s).setup;
    const { lambda0 } = catapultBase();
    const { full, from, to } = CATAPULT.flat;
    expect(page.n).toBe(full);
    for (const i of [0, 511, full - 1]) expect(lrOf(page, i) / ((2 * from * (to / from) ** (i / (full - 1))) / lambda0)).toBeCloseTo(1, 6);
    expect(s.views).toEqual(expect.arrayContaining(['netsweep', 'netsharp']));
  });
});
