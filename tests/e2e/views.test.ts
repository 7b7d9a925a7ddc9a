// The views beside the 3-D scene, in headless Chromium (WebGPU on SwiftShader): each
// draws non-blank pixels; a drag on the map zooms (new axes, new picture); hovering a
// sweep bin highlights its particles in 3-D; clicking spawns a probe.

import type { Page } from 'playwright-core';
import { openApp, type OpenedApp } from './app';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { capture, changedFraction, distinctColors, dominantShare } from './pixels';

let app: OpenedApp;
let page: Page;
let problems: string[];

beforeAll(async () => {
  app = await openApp({ width: 1280, height: 800 });
  ({ page, problems } = app);
});
afterAll(async () => {
  await app?.close();
});

const apply = (change: object) => page.evaluate((c) => window.etascape!.explorer.apply(c), change);
const drawn = () => page.evaluate(() => window.etascape!.views.drawn as Record<string, boolean>);

async function panelPicture(name: string) {
  const body = page.locator(`.view-panel[data-view="${name}"] .body`);
  await body.scrollIntoViewIfNeeded(); // the views dock scrolls when more views are open than fit
  const box = (await body.boundingBox())!;
  return capture(page, box);
}

async function openViews(views: string[], extra: object = {}): Promise<void> {
  const error = await apply({ ...(await page.evaluate(() => window.etascape!.defaults)), ...extra, views });
  expect(error).toBeNull();
  await page.evaluate(() => window.etascape!.explorer.play());
  const all = Object.fromEntries(views.map((v) => [v, true]));
  await expect.poll(drawn, { timeout: 90_000, interval: 500 }).toEqual(all);
}

describe('views in headless Chromium with WebGPU', () => {
  test('the sweep curve, loss curves and sharpness trace draw the live run', async () => {
    await openViews(['sweep', 'loss', 'sharpness'], { stepsPerFrame: 5 });
    for (const v of ['sweep', 'loss', 'sharpness']) {
      const pic = await panelPicture(v);
      expect(distinctColors(pic), v).toBeGreaterThan(40);
      expect(dominantShare(pic), v).toBeLessThan(0.97);
    }
    expect(await page.locator('.view-panel[data-view="sweep"] .status').textContent()).toMatch(/converged/);
  });

  test('the loss curves follow the lrs typed in their panel', async () => {
    await openViews(['loss'], { stepsPerFrame: 2 });
    const field = page.getByRole('textbox', { name: 'loss curves lrs' });
    await field.fill('0.01, 0.3');
    await field.press('Enter');
    await expect.poll(() => page.evaluate(() => window.etascape!.explorer.state.lossLrs)).toEqual([0.01, 0.3]);
    await expect.poll(() => page.locator('.view-panel[data-view="loss"] .chart-legend').textContent(), { timeout: 30_000 }).toMatch(/η 0\.01.*η 0\.3/);
    await field.fill('0.1, nope');
    await field.press('Enter');
    await expect.poll(() => page.locator('.view-panel[data-view="loss"] .status').textContent()).toMatch(/'nope' is not a positive learning rate/);
    expect(await page.evaluate(() => window.etascape!.explorer.state.lossLrs)).toEqual([0.01, 0.3]);
  });

  test('hovering the sweep curve highlights a bin in 3-D; a click spawns a probe', async () => {
    await openViews(['sweep'], { stepsPerFrame: 0 });
    await page.evaluate(() => window.etascape!.explorer.pause());
    const scene = { x: 150, y: 120, width: 600, height: 380 };
    const before = await capture(page, scene);
    const over = (await page.locator('.view-panel[data-view="sweep"] .u-over').boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height * 0.5);
    await page.evaluate(() => window.etascape!.explorer.renderNow());
    await expect.poll(async () => changedFraction(before, await capture(page, scene)), { timeout: 20_000 }).toBeGreaterThan(0.002);
    await page.mouse.click(over.x + over.width * 0.5, over.y + over.height * 0.5);
    // The probe's outcome shows in the inspect box (its lr is the clicked bin's, within the bin's width).
    await expect.poll(() => page.locator('#inspect').isVisible()).toBe(true);
    const lr = Number((await page.locator('#inspect').textContent())!.match(/lr\s+([0-9.e-]+)/)![1]);
    expect(lr).toBeGreaterThan(0.005);
    expect(lr).toBeLessThan(0.5);
  });

  test.each([
    ['bifurcation', 'lrfinder'],
    ['map', 'basins'],
  ])('the %s and %s views draw', async (a, b) => {
    await openViews([a, b], { mapRes: 64, mapSteps: 200 });
    for (const v of [a, b]) {
      const pic = await panelPicture(v);
      expect(distinctColors(pic), v).toBeGreaterThan(20);
      // A density plot is mostly white paper; the others are filled.
      expect(dominantShare(pic), v).toBeLessThan(v === 'bifurcation' ? 0.97 : 0.9);
    }
  });

  test('a drag on the map zooms: new axes and a new picture', async () => {
    await openViews(['map'], { mapRes: 64, mapSteps: 200 });
    const before = await panelPicture('map');
    const canvas = (await page.locator('.view-panel[data-view="map"] canvas.figure').boundingBox())!;
    // Inside the image (left margin 72, top 36), a quarter of it.
    await page.mouse.move(canvas.x + 90, canvas.y + 60);
    await page.mouse.down();
    await page.mouse.move(canvas.x + 150, canvas.y + 120, { steps: 5 });
    await page.mouse.up();
    const win = await page.evaluate(() => window.etascape!.explorer.state.mapWindow);
    expect(win).not.toBeNull();
    expect(win!.x.min).toBeGreaterThan(0.005);
    expect(win!.x.max).toBeLessThan(0.5);
    await expect.poll(async () => changedFraction(before, await panelPicture('map')), { timeout: 60_000 }).toBeGreaterThan(0.05);
    await page.getByRole('button', { name: 'reset zoom' }).click();
    await expect.poll(() => page.evaluate(() => window.etascape!.explorer.state.mapWindow)).toBeNull();
    expect(problems).toEqual([]);
  });

  test('a window narrower than float32 resolves: the map runs in df64 and says so', async () => {
    const deep = { x: { param: 'lr', min: 0.05, max: 0.05 * (1 + 1e-8), scale: 'log' }, y: { param: 'momentum', min: 0, max: 0.9, scale: 'linear' } };
    await openViews(['map'], { mapRes: 16, mapSteps: 100, mapWindow: deep });
    const status = page.locator('.view-panel[data-view="map"] .status');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^16×16 runs in df64 \(float32 does not resolve this window\)/);
    expect(distinctColors(await panelPicture('map'))).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });
});

describe('shared links', () => {
  test('a link carries the state (views included); a broken one says why and loads the default', async () => {
    const hash = await page.evaluate(() => {
      const { share, explorer } = window.etascape!;
      return share.encodeHash({ ...explorer.state, surface: 'x^2 + 3*y^2', seed: 42, views: ['map'] });
    });
    await page.goto('about:blank');
    await page.goto(`${app.server.url}${hash}`);
    await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
    const state = await page.evaluate(() => window.etascape!.explorer.state);
    expect(state).toMatchObject({ surface: 'x^2 + 3*y^2', seed: 42, views: ['map'] });
    expect(await page.locator('.view-panel[data-view="map"]').isVisible()).toBe(true);
    // The page keeps its link current.
    await apply({ seed: 7 });
    await expect
      .poll(() =>
        page.evaluate(() => {
          const linked = window.etascape!.share.decodeHash(location.hash);
          return 'state' in linked ? linked.state.seed : null;
        }),
      )
      .toBe(7);

    await page.goto('about:blank');
    await page.goto(`${app.server.url}#s=bm90IGpzb24`); // base64url of 'not json'
    await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
    await expect.poll(() => page.locator('#notice').textContent()).toMatch(/This link could not be loaded: the link's settings could not be read/);
    expect(await page.evaluate(() => window.etascape!.explorer.state.surface)).toBe('double-well');

    const bad = await page.evaluate(() => window.etascape!.share.encodeHash({ ...window.etascape!.defaults, surface: 'x + * 2' }));
    await page.goto('about:blank');
    await page.goto(`${app.server.url}${bad}`);
    await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
    await expect.poll(() => page.locator('#notice').textContent()).toMatch(/could not run .*column 5/);
    expect(await page.evaluate(() => window.etascape!.explorer.state.surface)).toBe('double-well');
  });
});
