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
});
