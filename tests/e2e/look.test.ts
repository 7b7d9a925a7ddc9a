// The 3-D view as a lecture instrument (issue 12), in headless Chromium on SwiftShader:
// look changes keep the run going, the default camera is oblique and framed, the
// sharp-vs-flat scene shows both wells, the surface fills the canvas.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { LOOK_KEYS } from '../../src/model/state-keys';
import type { ExplorerState } from '../../src/model/state';
import { openApp, type OpenedApp } from './app';
import { capture } from './pixels';

let app: OpenedApp;
let page: Page;
beforeAll(async () => {
  app = await openApp({ width: 1280, height: 720 });
  page = app.page;
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** A different valid value for each look key. */
const LOOKS: { [K in (typeof LOOK_KEYS)[number]]?: ExplorerState[K] } = {
  surfaceColormap: 'magma',
  logHeight: true,
  contours: false,
  heightScale: 1.8,
  quality: 'high',
  particleColormap: 'turbo',
  colorBy: 'status',
  particleSize: 0.03,
  showTrails: false,
  camera: { position: [1.5, 1.2, 1.5], target: [0, 0, 0] },
  topDown: true,
};

/** Step count and a digest of every particle's position and status (read back from the engine). */
async function runState(p: Page): Promise<{ steps: number; pos: number[] }> {
  return p.evaluate(async () => {
    const ex = window.etascape!.explorer;
    const state = await ex.live!.run.read();
    let a = 0;
    let b = 0;
    for (let i = 0; i < state.pos.length; i++) {
      a += state.pos[i] * ((i % 7) + 1);
      b += Math.abs(state.pos[i]);
    }
    return { steps: ex.steps, pos: [a, b, state.pos[0], state.pos[state.pos.length - 1]] };
  });
}

const setState = (p: Page, change: object) => p.evaluate((c) => window.etascape!.setState(c), change);

describe('look changes', () => {
  test('every look key redraws without restarting; a run key restarts', async () => {
    expect(Object.keys(LOOKS).sort()).toEqual([...LOOK_KEYS].sort());
    await page.evaluate(async () => {
      const e = window.etascape!;
      e.explorer.pause();
      await e.setState({ ...e.defaults, views: [] });
      e.explorer.pause();
      await e.step(25);
    });
    const before = await runState(page);
    expect(before.steps).toBeGreaterThanOrEqual(25);
    for (const [key, value] of Object.entries(LOOKS)) {
      expect(await setState(page, { [key]: value }), key).toBeNull();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const now = await runState(page);
      expect(now, `after changing ${key}`).toEqual(before);
    }
    // The run goes on from where it was.
    expect(await page.evaluate(() => window.etascape!.step(5))).toBe(before.steps + 5);
    expect(await setState(page, { seed: 2 })).toBeNull();
    expect((await runState(page)).steps).toBe(0);
  }, 180_000);
});

/** The camera's elevation above the horizon, in degrees. */
const elevation = (p: Page) =>
  p.evaluate(() => {
    const v = window.etascape!.explorer.graphics.view;
    const d = v.camera.position.clone().sub(v.controls.target);
    return (Math.asin(d.y / d.length()) * 180) / Math.PI;
  });

describe('the default view', () => {
  test('oblique, framed: the elevation is 20°–45° and the surface covers at least half the canvas', async () => {
    await page.evaluate(async () => {
      const e = window.etascape!;
      await e.setState({ ...e.defaults, views: [] });
      e.explorer.pause();
    });
    const deg = await elevation(page);
    expect(deg).toBeGreaterThanOrEqual(20);
    expect(deg).toBeLessThanOrEqual(45);
    const box = await page.evaluate(() => {
      for (const id of ['hud', 'legend', 'annotations', 'inspect', 'notice']) document.getElementById(id)?.style.setProperty('visibility', 'hidden');
      const r = window.etascape!.explorer.canvasElement.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    });
    await page.evaluate(() => window.etascape!.step(1));
    await page.waitForTimeout(300);
    const pic = await capture(page, box);
    let covered = 0;
    for (let i = 0; i < pic.data.length; i += 4) {
      const d = Math.abs(pic.data[i] - 0x0f) + Math.abs(pic.data[i + 1] - 0x11) + Math.abs(pic.data[i + 2] - 0x17);
      if (d > 12) covered++;
    }
    const share = covered / (pic.data.length / 4);
    console.log(`surface covers ${(100 * share).toFixed(1)}% of the canvas at elevation ${deg.toFixed(1)}°`);
    expect(share).toBeGreaterThanOrEqual(0.5);
    await page.evaluate(() => {
      for (const id of ['hud', 'legend', 'annotations', 'inspect', 'notice']) document.getElementById(id)?.style.removeProperty('visibility');
    });
  }, 120_000);

  test('the frame action (key F) brings the default view back after an orbit', async () => {
    await setState(page, { camera: { position: [0, 3, 0.3], target: [0, 0, 0] } });
    expect(await elevation(page)).toBeGreaterThan(60);
    await page.locator('body').press('f');
    await page.waitForFunction(() => window.etascape!.explorer.state.camera === null);
    const deg = await elevation(page);
    expect(deg).toBeGreaterThanOrEqual(20);
    expect(deg).toBeLessThanOrEqual(45);
  }, 60_000);

  test('sharp vs flat: both minima lie inside the canvas', async () => {
    expect(await page.evaluate(() => window.etascape!.loadScene('sharp-vs-flat'))).toBeNull();
    const at = await page.evaluate(() => {
      const ex = window.etascape!.explorer;
      const m = ex.meshMapping!;
      const cam = ex.graphics.view.camera;
      cam.updateMatrixWorld();
      const canvas = ex.canvasElement;
      return ex.surface!.minima.map((min) => {
        const u = Math.max(0, (min.loss - m.lossMin) / (m.lossTop - m.lossMin));
        const v = m.log ? Math.log1p(50 * u) / Math.log1p(50) : u;
        const p = cam.position
          .clone()
          .set((min.x - m.cx) * m.scale, Math.min(v, 1.6) * m.heightScale, -(min.y - m.cy) * m.scale)
          .project(cam);
        return {
          name: min.name,
          x: ((p.x + 1) / 2) * canvas.clientWidth,
          y: ((1 - p.y) / 2) * canvas.clientHeight,
          w: canvas.clientWidth,
          h: canvas.clientHeight,
        };
      });
    });
    expect(at.length).toBe(2);
    for (const p of at) {
      expect(p.x, p.name).toBeGreaterThan(0);
      expect(p.x, p.name).toBeLessThan(p.w);
      expect(p.y, p.name).toBeGreaterThan(0);
      expect(p.y, p.name).toBeLessThan(p.h);
    }
    expect(app.problems).toEqual([]);
  }, 120_000);
});
