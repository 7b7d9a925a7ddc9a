// Networks as particles in the page, in headless Chromium (WebGPU on SwiftShader): the
// Model folder sets a model, the 3-D view then draws the loss on a plane through
// parameter space (a different picture from the surface's), and the network map and
// loss curves draw.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openApp, type OpenedApp } from './app';
import { capture, changedFraction, distinctColors, dominantShare } from './pixels';

let app: OpenedApp;
let page: Page;

beforeAll(async () => {
  app = await openApp({ width: 1280, height: 720 });
  page = app.page;
});
afterAll(async () => {
  await app?.close();
});

async function canvasPicture() {
  await page.evaluate(() => window.etascape!.explorer.renderNow());
  await page.waitForTimeout(300);
  const box = (await page.locator('canvas#view').boundingBox())!;
  return capture(page, { x: box.x + box.width * 0.2, y: box.y + box.height * 0.25, width: box.width * 0.6, height: box.height * 0.5 });
}

describe('networks in the page', () => {
  test('the Model folder sets a model: the plane is drawn, the network map and loss curves draw', async () => {
    // Small enough for SwiftShader: 128 networks, a 12 x 12 map of 40 steps.
    const setup = await page.evaluate(() =>
      window.etascape!.setState({
        n: 128,
        stepsPerFrame: 4,
        lrMin: 0.01,
        lrMax: 1000,
        layout: 'sweep',
        views: ['netmap', 'netloss'],
        mapRes: 12,
        mapSteps: 40,
        planeRes: 24,
      }),
    );
    expect(setup).toBeNull();
    await page.evaluate(() => window.etascape!.explorer.pause());
    const surface = await canvasPicture();

    await page.locator('[data-folder="model"] select').first().selectOption({ label: 'chebyshev regression (1-16-1 tanh)' });
    await expect.poll(() => page.evaluate(() => window.etascape!.explorer.networks !== null), { timeout: 60_000 }).toBe(true);
    expect(await page.evaluate(() => window.etascape!.explorer.state.model)).toBe('mlp:1,16,1:tanh:mean-field');
    expect(await page.locator('[data-error="model"]').isHidden()).toBe(true);
    const plane = await canvasPicture();
    expect(changedFraction(surface, plane)).toBeGreaterThan(0.1);
    expect(dominantShare(plane)).toBeLessThan(0.9);

    await page.evaluate(() => window.etascape!.explorer.play());
    const drawn = () => page.evaluate(() => window.etascape!.views.networks.drawn);
    await expect.poll(drawn, { timeout: 60_000, interval: 500 }).toEqual({ netmap: true, netloss: true });
    const status = await page.locator('.view-panel[data-view="netmap"] .status').textContent();
    const [, conv, div] = /converged (\d+), diverged (\d+)/.exec(status ?? '')!.map(Number);
    // The lr range spans both outcomes, and every pixel is one of them.
    expect(conv).toBeGreaterThan(0);
    expect(div).toBeGreaterThan(0);
    expect(conv + div).toBe(144);
    const body = (await page.locator('.view-panel[data-view="netmap"] .body').boundingBox())!;
    expect(distinctColors(await capture(page, body))).toBeGreaterThan(40);

    // Clicking a network re-centres the plane on it as it is now (its index becomes the state's centre; a new mesh, the networks have moved).
    await page.evaluate(() => window.etascape!.explorer.pause());
    const centred = await page.evaluate(async () => {
      const ex = window.etascape!.explorer;
      const c = ex.canvasElement;
      const k = await ex.recentre(c.clientWidth / 2, c.clientHeight / 2, 4000);
      const net = ex.networks!;
      const P = net.built.model.params;
      const theta = (await net.engine.read()).theta;
      const origin = Array.from(net.plane.plane!.c);
      return { k, state: ex.state.planeCenter, same: k !== null && origin.every((v, q) => v === theta[k * P + q]) };
    });
    expect(centred.k).not.toBeNull();
    expect(centred.state).toBe(centred.k);
    expect(centred.same).toBe(true);

    // A PNG snapshot of the networks' plane (the recorder takes runs of networks too).
    const png = await page.evaluate(async () => (await window.etascape!.snapshot({ width: 320, height: 180 })).size);
    expect(png).toBeGreaterThan(2000);

    // A bad model description is named under the folder, and the networks keep training.
    const text = page.locator('[data-folder="model"] input[type="text"]').first();
    await text.fill('mlp:1,16,1:sigmoidish');
    await text.press('Enter');
    await expect.poll(() => page.locator('[data-error="model"]').textContent()).toMatch(/unknown field 'sigmoidish'/);
    expect(await page.evaluate(() => window.etascape!.explorer.state.model)).toBe('mlp:1,16,1:tanh:mean-field');
    expect(app.problems).toEqual([]);
  });

  test("the edge-of-stability scene: each followed network's sharpness climbs to its dashed 2/η line and stays there; the sweep draws", async () => {
    expect(await page.evaluate(() => window.etascape!.loadScene('nn-edge-of-stability'))).toBeNull();
    await page.evaluate(() => window.etascape!.explorer.pause());
    const state = await page.evaluate(() => window.etascape!.explorer.state);
    expect([state.model, state.dataset, state.n, state.sharpnessEvery]).toEqual(['mlp:1,6,6,1:tanh:standard:bias', 'chebyshev', 3, 50]);
    // The view follows the networks once its kernel is built (a first sample at the current step).
    await expect.poll(() => page.evaluate(() => window.etascape!.views.chartData('netsharp') !== null), { timeout: 60_000 }).toBe(true);
    const at = await page.evaluate(() => window.etascape!.explorer.steps);
    expect(await page.evaluate(() => window.etascape!.views.chartData('netsharp')!.x)).toEqual([at]);
    await page.evaluate(() => window.etascape!.step(1600));
    const last = Math.floor((at + 1600) / 50) * 50;
    const lastSample = () => page.evaluate(() => window.etascape!.views.chartData('netsharp')!.x.at(-1));
    await expect.poll(lastSample, { timeout: 60_000, interval: 300 }).toBe(last);
    const data = await page.evaluate(() => window.etascape!.views.chartData('netsharp')!);
    const lrs = await page.evaluate(() => Array.from(window.etascape!.explorer.networks!.built.lr));
    expect(data.series.map((s) => s.label)).toEqual(['λmax #0', 'edge #0', 'λmax #1', 'edge #1', 'λmax #2', 'edge #2']);
    lrs.forEach((lr, k) => {
      const edge = data.series[2 * k + 1].values;
      // The dashed line is at 2/η (plain GD, no schedule), in the network's own colour.
      expect(edge.every((v) => v !== null && Math.abs(v - 2 / lr) < 1e-5 * (2 / lr))).toBe(true);
      expect(data.series[2 * k + 1].color).toBe(data.series[2 * k].color);
      expect(data.series[2 * k + 1].dash).toBeDefined();
      const lambda = data.series[2 * k].values;
      // Each ends within 15 % of its own edge.
      expect(Math.abs(lambda.at(-1)! / (2 / lr) - 1)).toBeLessThan(0.15);
    });
    // The middle network is the checked scene's (eta = 0.5, 2/eta = 4): over the last half it stays within 15 % of 4.
    expect(lrs[1]).toBeCloseTo(0.5, 6);
    const middle = data.series[2].values;
    // Progressive sharpening: well below the edge first (under 0.85 x 4), then up to it.
    expect(Math.min(...middle.filter((_, i) => data.x[i] < 800).map(Number))).toBeLessThan(0.85 * 4);
    const tail = middle.filter((_, i) => data.x[i] >= 800);
    expect(tail.length).toBeGreaterThan(10);
    for (const v of tail) expect(Math.abs(v! / 4 - 1)).toBeLessThan(0.15);

    // The sweep curve: every network's loss against its lr.
    expect(await page.evaluate(() => window.etascape!.setState({ views: ['netsharp', 'netsweep'] }))).toBeNull();
    await page.evaluate(() => window.etascape!.step(10));
    await expect.poll(() => page.evaluate(() => window.etascape!.views.drawn), { timeout: 30_000 }).toEqual({ netsharp: true, netsweep: true });
    const sweep = await page.evaluate(() => window.etascape!.views.chartData('netsweep')!);
    expect(sweep.x.map((v) => v.toPrecision(4))).toEqual(lrs.map((v) => v.toPrecision(4)));
    expect(sweep.series[1].values.every((v) => v !== null && v > 0 && v < 1)).toBe(true);
    expect(app.problems).toEqual([]);
  });
});
