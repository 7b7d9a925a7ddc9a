// Lecture scenes in headless Chromium (WebGPU on SwiftShader): loading scenes from the
// panel's picker, the number keys and the API; the annotation overlay's title pixels;
// presentation mode; step(k) runs exactly k steps.

import type { Page } from 'playwright-core';
import type { EtascapeApi } from '../../src/app/automation';
import { openApp, type OpenedApp } from './app';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let app: OpenedApp;
let page: Page;
let problems: string[];

beforeAll(async () => {
  app = await openApp({ width: 1280, height: 720 }, { warnings: false });
  ({ page, problems } = app);
});
afterAll(async () => {
  await app?.close();
});

/** Runs `f` in the page on window.etascape. */
const et = async <R>(f: (e: EtascapeApi) => R) => (await page.evaluateHandle(() => window.etascape!)).evaluate(f);
const state = () => et((e) => e.explorer.state);
const sceneId = () => et((e) => e.lecture.scene && e.lecture.scene.id);

/** Bright (text) pixels inside the drawn title box of the annotation canvas, and the box (CSS px). */
async function titlePixels(): Promise<{ bright: number; box: { left: number; top: number; width: number; height: number } }> {
  await et((e) => e.lecture.update());
  return et((e) => {
    const c = document.querySelector<HTMLCanvasElement>('#annotations')!;
    const box = e.lecture.layout!.title;
    const k = c.width / c.clientWidth;
    const d = c.getContext('2d')!.getImageData(Math.round(box.left * k), Math.round(box.top * k), Math.round(box.width * k), Math.round(box.height * k)).data;
    let bright = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 450 && d[i + 3] > 200) bright++;
    return { bright, box };
  });
}

describe('lecture scenes in the page', () => {
  test('the default page is scene 7 and says so on the overlay; the Scenes folder comes first', async () => {
    expect(await sceneId()).toBe('sharp-vs-flat');
    expect((await et((e) => e.annotations())).title).toBe('7. Sharp vs flat minima');
    expect((await titlePixels()).bright).toBeGreaterThan(300);
    const first = await page.locator('.lil-gui.lil-root > .lil-children > .lil-gui > .lil-title').first().textContent();
    expect(first).toBe('Scenes');
    expect(await page.locator('.scene-summary').textContent()).toMatch(/sharp trap/);
  });

  test('the picker loads a scene: its state, the URL, the summary and the title', async () => {
    await page.locator('.lil-gui select').first().selectOption('2. Too small, right, too big');
    await expect.poll(sceneId, { timeout: 60_000 }).toBe('three-regimes');
    const s = await state();
    expect(s.n).toBe(3);
    expect(s.surfaceParams).toEqual({ lambda1: 10, lambda2: 10, angle: 0 });
    expect(s.views).toEqual(['loss']);
    expect(await page.locator('.scene-summary').textContent()).toMatch(/crawls/);
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 5000 }).toMatch(/^#/);
    const linked = await page.evaluate(() => window.etascape!.share.decodeHash(location.hash));
    expect('state' in linked && linked.state.lossLrs).toEqual([0.0125, 0.1, 0.8]);
    const a = await et((e) => e.annotations());
    expect(a.title).toBe('2. Too small, right, too big');
    expect(a.formula).toMatch(/ηλ/);
  });

  test('number keys load scenes 1-9; step(k) runs exactly k steps while paused', async () => {
    await page.locator('#view').click({ position: { x: 40, y: 40 } }); // focus the page (a corner of the canvas, whatever its size)
    await page.keyboard.press('8');
    await expect.poll(sceneId, { timeout: 60_000 }).toBe('clipped-orbit');
    expect((await state()).clipNorm).toBe(1);
    await page.keyboard.press('1');
    await expect.poll(sceneId, { timeout: 60_000 }).toBe('one-step');
    await et((e) => e.explorer.pause());
    const before = await et((e) => e.explorer.steps);
    expect(await et((e) => e.step(5))).toBe(before + 5);
    expect(await et((e) => e.explorer.steps)).toBe(before + 5);
    expect(await et((e) => e.explorer.playing)).toBe(false);
    // one step from the start: w = 2.0 - 0.1 * (-6.0) = 2.6
    expect(await et((e) => e.loadScene('one-step'))).toBeNull();
    await et((e) => e.explorer.pause());
    expect(await et((e) => e.explorer.steps)).toBe(0);
    await et((e) => e.step(1));
    const p = await et((e) => e.explorer.live!.run.read().then((s) => Array.from(s.pos.slice(0, 2))));
    expect(p[0]).toBeCloseTo(2.6, 5);
    expect((await et((e) => e.annotations())).step).toBe(1);
  });

  test('setState validates; loadScene names the scenes on a bad id', async () => {
    expect(await et((e) => e.setState({ lrMin: -1 }))).toMatch(/lrMin/);
    expect(await et((e) => e.setState({ stepsPerFrame: 3 }))).toBeNull();
    expect((await state()).stepsPerFrame).toBe(3);
    expect(await et((e) => e.loadScene('nope'))).toMatch(/unknown scene 'nope'.*one-step/);
  });

  test('presentation mode: panel hidden, HUD a step chip, larger title in a band of at most 30% of the stage, legend as a corner chip; Escape leaves it', async () => {
    expect(await et((e) => e.loadScene('stability-limit'))).toBeNull();
    const normal = await titlePixels();
    expect(await et((e) => e.lecture.layout!.legend)).toBeNull();
    await page.keyboard.press('p');
    await expect.poll(() => page.locator('.lil-gui.lil-root').isVisible()).toBe(false);
    const hud = await page.locator('#hud').boundingBox();
    expect(hud!.height).toBeLessThan(40);
    expect(await page.locator('#hud').textContent()).toMatch(/^step \d+/);
    const big = await titlePixels();
    expect(big.box.height / normal.box.height).toBeGreaterThan(1.3);
    const stage = await page.locator('#stage').boundingBox();
    const canvas = await page.evaluate(() => window.etascape!.explorer.canvasElement.getBoundingClientRect().top);
    expect(canvas - stage!.y).toBeLessThanOrEqual(0.3 * stage!.height + 1);
    expect(big.bright).toBeGreaterThan(1.6 * normal.bright);
    // The legend stays the page's small opaque chip (the large drawn one is for videos).
    expect(await et((e) => e.lecture.layout!.legend)).toBeNull();
    await expect.poll(() => page.locator('#legend').isVisible()).toBe(true);
    // keys still work in presentation mode
    await page.keyboard.press('3');
    expect(await sceneId()).toBe('stability-limit');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.lil-gui.lil-root').isVisible()).toBe(true);
    await expect.poll(async () => (await page.locator('#hud').boundingBox())!.height).toBeGreaterThan(40);
    // the panel's button toggles it too
    await page.getByText('presentation mode (P)').click();
    await expect.poll(() => et((e) => e.lecture.presenting), { timeout: 10_000 }).toBe(true);
    await page.keyboard.press('P');
    await expect.poll(() => et((e) => e.lecture.presenting), { timeout: 10_000 }).toBe(false);
  });

  test('no page errors', () => {
    expect(problems).toEqual([]);
  });
});
