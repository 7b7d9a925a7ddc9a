// Hostile links and GPU errors in headless Chromium (WebGPU on SwiftShader), against the
// built app: a link can never freeze the page, and a GPU error stops the run with a notice.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch } from './browser';
import { serveApp } from './server';

let server: Awaited<ReturnType<typeof serveApp>>;
let browser: Browser;

beforeAll(async () => {
  server = await serveApp();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const link = (o: object) => `#s=${Buffer.from(JSON.stringify(o), 'utf8').toString('base64url')}`;
const steps = (page: Page) => page.evaluate(() => window.etascape!.explorer.steps as number);
const notice = (page: Page) => page.locator('#notice').textContent();

/** Opens the app at `hash`; the time until it runs (ms) and the console errors on the way. */
async function openAt(hash: string): Promise<{ page: Page; ms: number; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const t0 = Date.now();
  await page.goto(server.url + hash);
  await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 60_000 });
  return { page, ms: Date.now() - t0, errors };
}

describe('hostile links', () => {
  // Loading the plain app on SwiftShader is the baseline: a hostile link may not take much longer.
  test('{"n":1e6,"stepsPerFrame":10000} loads within 10 s with steps per frame lowered, a notice saying so, and keeps stepping', async () => {
    const { page, ms, errors } = await openAt(link({ n: 1e6, stepsPerFrame: 10000 }));
    try {
      expect(ms).toBeLessThan(10_000);
      const s = await page.evaluate(() => window.etascape!.explorer.state);
      expect(s.n).toBe(1_000_000);
      expect(s.stepsPerFrame).toBeGreaterThanOrEqual(1);
      expect(s.stepsPerFrame).toBeLessThan(10_000);
      expect(await notice(page)).toMatch(new RegExp(`steps per frame lowered from 10000 to ${s.stepsPerFrame}`));
      const s0 = await steps(page);
      await expect.poll(() => steps(page), { timeout: 10_000 }).toBeGreaterThan(s0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('{"surface":"least-squares","surfaceParams":{"points":1e8}} is refused within 10 s, naming the limit, and the default runs', async () => {
    const { page, ms, errors } = await openAt(link({ surface: 'least-squares', surfaceParams: { points: 1e8 } }));
    try {
      expect(ms).toBeLessThan(10_000);
      expect(await notice(page)).toMatch(
        /This link's settings could not run \(points = 100000000 is over the limit of 4096 dataset points.*showing the default scene/,
      );
      expect(await page.evaluate(() => window.etascape!.explorer.state.surface)).toBe('double-well');
      const s0 = await steps(page);
      await expect.poll(() => steps(page), { timeout: 10_000 }).toBeGreaterThan(s0);
      expect(errors).toEqual([]);
      // The same budget for setState: refused with the same reason, the run kept.
      const error = await page.evaluate(() => window.etascape!.setState({ surface: 'least-squares', surfaceParams: { points: 1e8 } }));
      expect(error).toMatch(/points = 100000000 is over the limit of 4096 dataset points/);
      // And a hostile hash change while the page is open: lowered, with the notice.
      await page.evaluate(
        (h) => {
          location.hash = h;
        },
        link({ n: 1e6, stepsPerFrame: 10000 }),
      );
      await expect.poll(() => notice(page), { timeout: 20_000 }).toMatch(/The link was loaded, changed to fit this device: steps per frame lowered from 10000/);
    } finally {
      await page.close();
    }
  });

  test('a GPU validation error becomes a notice and the run stops instead of reporting that it runs', async () => {
    const { page } = await openAt('');
    try {
      await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(0);
      // An invalid buffer (no usage) on the explorer's device: an error no scope catches.
      await page.evaluate(() => window.etascape!.explorer.live!.device!.device.createBuffer({ size: 4, usage: 0 }));
      await expect.poll(() => notice(page), { timeout: 10_000 }).toMatch(/The GPU reported an error, so the run is stopped/);
      await expect.poll(() => page.locator('#hud').textContent()).toMatch(/\(paused\)/);
      const s0 = await steps(page);
      await page.waitForTimeout(1000);
      expect(await steps(page)).toBe(s0);
      expect(await page.evaluate(() => window.etascape!.explorer.stopped)).toMatch(/usage/i);
      // A reset builds the run again and it steps.
      await page.evaluate(() => window.etascape!.explorer.reset());
      await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  });
});
