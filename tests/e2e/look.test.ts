// The 3-D view as a lecture instrument (issue 12), in headless Chromium on SwiftShader:
// look changes keep the run going, the default camera is oblique and framed, the
// sharp-vs-flat scene shows both wells, the surface fills the canvas; both lighting tiers
// shade a slope by its angle to the key light.

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
  particleColormap: 'turbo',
  colorBy: 'status',
  particleSize: 0.03,
  showTrails: false,
  camera: { position: [1.5, 1.2, 1.5], target: [0, 0, 0] },
  topDown: true,
  // The networks' loss plane (drawn only with a model; a surface run must not restart either).
  planeMode: 'three',
  planeCenter: 3,
  planeNets: [1, 2, 3],
  planeSpan: 2,
  planeRes: 32,
  // Last: every frame after it is lit per pixel, which costs a software rasterizer most of a frame.
  quality: 'high',
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
      // Fewer particles than the default: each change redraws several frames on SwiftShader.
      await e.setState({ ...e.defaults, views: [], n: 2000 });
      e.explorer.pause();
      await e.step(25);
    });
    const before = await runState(page);
    expect(before.steps).toBeGreaterThanOrEqual(25);
    // A few keys per change: each change redraws (about a second on SwiftShader), and a
    // key that restarted the run would still show, named with its group.
    const entries = Object.entries(LOOKS);
    for (let i = 0; i < entries.length; i += 5) {
      const group = Object.fromEntries(entries.slice(i, i + 5));
      const keys = Object.keys(group).join(', ');
      expect(await setState(page, group), keys).toBeNull();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const now = await runState(page);
      expect(now, `after changing ${keys}`).toEqual(before);
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

  test('sharp vs flat: both minima lie inside the canvas; after the 300 steps of a default recording, trails on and particles bound for the flat basin', async () => {
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
    // The story of a default 10-second recording (300 frames of one step): trails on, and
    // particles in or on their way to the flat basin, leaving the sharp trap.
    const story = await page.evaluate(async () => {
      const e = window.etascape!;
      e.explorer.pause();
      const start = e.explorer.steps;
      await e.step(Math.max(0, 300 - start));
      const { pos } = await e.explorer.live!.run.read();
      const [sharp, flat] = ['sharp', 'flat'].map((n) => e.explorer.surface!.minima.find((m) => m.name === n)!).map((m) => [m.x, m.y]);
      let nearFlat = 0;
      for (let i = 0; i < pos.length; i += 4) {
        const dFlat = Math.hypot(pos[i] - flat[0], pos[i + 1] - flat[1]);
        const dSharp = Math.hypot(pos[i] - sharp[0], pos[i + 1] - sharp[1]);
        if (dFlat < dSharp) nearFlat++;
      }
      return { steps: e.explorer.steps, trails: e.explorer.state.trails, shown: e.explorer.state.showTrails, nearFlat, n: pos.length / 4 };
    });
    console.log(`after ${story.steps} steps: ${story.nearFlat} of ${story.n} particles nearer the flat minimum than the sharp one`);
    expect(story.steps).toBeGreaterThanOrEqual(300);
    expect(story.trails).toBeGreaterThan(0);
    expect(story.shown).toBe(true);
    expect(story.nearFlat).toBeGreaterThan(0.05 * story.n);
    expect(app.problems).toEqual([]);
  }, 120_000);
});

/** Spearman's rank correlation of two equally long lists. */
function rankCorrelation(a: number[], b: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const d2 = ra.reduce((sum, r, i) => sum + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('lighting', () => {
  // A round bowl seen from above: around a level circle the height, and so the colormap's
  // colour, is the same everywhere; only the normal turns, so the brightness read from the
  // pixels must follow the normal's cosine to the key light (and nothing else).
  test.each(['high', 'low'] as const)(
    '%s tier: around a level circle of a round bowl, brightness follows the normal against the key light',
    async (quality) => {
      const samples = await page.evaluate(async (q) => {
        const e = window.etascape!;
        await e.setState({
          ...e.defaults,
          surface: 'quadratic',
          surfaceParams: { lambda1: 1, lambda2: 1, angle: 0 },
          quality: q,
          contours: false,
          showTrails: false,
          n: 1,
          views: [],
          // Straight down on the bowl's axis: the view is symmetric about every vertical plane through it, the light's included.
          camera: { position: [0, 3.2, 0], target: [0, 0, 0] },
        });
        e.explorer.pause();
        for (const id of ['hud', 'legend', 'annotations', 'inspect', 'notice']) document.getElementById(id)?.style.setProperty('visibility', 'hidden');
        // Closing the views grows the canvas: the points are placed with the camera and canvas
        // as drawn after that resize (placed before it, they would lie on an ellipse of changing
        // colour, not on the level circle).
        await e.step(1);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const ex = e.explorer;
        const m = ex.meshMapping!;
        const view = ex.graphics.view;
        const cam = view.camera;
        cam.updateMatrixWorld();
        const light = view.scene.getObjectsByProperty('type', 'DirectionalLight')[0].position.clone().normalize();
        const world = (x: number, y: number) => {
          const loss = 0.5 * (x * x + y * y);
          const u = Math.max(0, (loss - m.lossMin) / (m.lossTop - m.lossMin));
          const v = m.log ? Math.log1p(50 * u) / Math.log1p(50) : u;
          return cam.position.clone().set((x - m.cx) * m.scale, Math.min(v, 1.6) * m.heightScale, -(y - m.cy) * m.scale);
        };
        const canvas = ex.canvasElement;
        const out: { px: number; py: number; cos: number }[] = [];
        for (let k = 0; k < 36; k++) {
          const a = (2 * Math.PI * k) / 36;
          const [x, y] = [0.9 * Math.cos(a), 0.9 * Math.sin(a)];
          const h = 1e-3;
          const dx = world(x + h, y).sub(world(x - h, y));
          const dy = world(x, y + h).sub(world(x, y - h));
          const n = dy.clone().cross(dx).normalize();
          if (n.y < 0) n.negate();
          const p = world(x, y).project(cam);
          out.push({ px: ((p.x + 1) / 2) * canvas.clientWidth, py: ((1 - p.y) / 2) * canvas.clientHeight, cos: n.dot(light) });
        }
        const r = canvas.getBoundingClientRect();
        return { points: out, box: { x: r.x, y: r.y, width: r.width, height: r.height }, aspect: cam.aspect };
      }, quality);
      expect(samples.aspect).toBeCloseTo(samples.box.width / samples.box.height, 3);
      await page.waitForTimeout(300);
      const pic = await capture(page, samples.box);
      const brightness = samples.points.map(({ px, py }) => {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const i = 4 * ((Math.round(py) + dy) * pic.width + Math.round(px) + dx);
            sum += pic.data[i] + pic.data[i + 1] + pic.data[i + 2];
          }
        return sum / 27;
      });
      const cos = samples.points.map((p) => p.cos);
      const rho = rankCorrelation(cos, brightness);
      // The slope facing the key light against the one facing most away from it.
      const facing = brightness[cos.indexOf(Math.max(...cos))];
      const away = brightness[cos.indexOf(Math.min(...cos))];
      // Where around the circle the brightness peaks (its first harmonic), against where the cosine does.
      const phase = (v: number[]) => {
        const re = v.reduce((sum, x, k) => sum + x * Math.cos((2 * Math.PI * k) / v.length), 0);
        const im = v.reduce((sum, x, k) => sum + x * Math.sin((2 * Math.PI * k) / v.length), 0);
        return (Math.atan2(im, re) * 180) / Math.PI;
      };
      const offset = Math.abs(((phase(brightness) - phase(cos) + 540) % 360) - 180);
      console.log(
        `${quality}: cos to the light ${Math.min(...cos).toFixed(2)}..${Math.max(...cos).toFixed(2)}, facing ${facing.toFixed(1)} vs away ${away.toFixed(1)}, peak ${offset.toFixed(1)}° from the light's, rank correlation ${rho.toFixed(3)}`,
      );
      expect(Math.min(...cos)).toBeGreaterThan(0); // the whole circle faces the light
      expect(facing - away).toBeGreaterThan(quality === 'high' ? 10 : 5);
      // Both tiers: the brightness is a monotonic function of the cosine (rank correlation
      // near 1: 1.000 high, 0.999 low) and peaks where the normal faces the light.
      expect(offset).toBeLessThan(4);
      expect(rho).toBeGreaterThan(0.97);
      await page.evaluate(async () => {
        for (const id of ['hud', 'legend', 'annotations', 'inspect', 'notice']) document.getElementById(id)?.style.removeProperty('visibility');
        await window.etascape!.setState({ ...window.etascape!.defaults, views: [] });
      });
    },
    120_000,
  );
});
