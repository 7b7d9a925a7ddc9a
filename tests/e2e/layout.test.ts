// The docked layout (issue 12): with every view open, nothing but the HUD and legend
// corner chips overlaps the 3-D canvas, and the canvas's drawing buffer is its CSS box
// times the device pixel ratio; at 1280x720, 1920x1080, and stacked on a 390x844 phone.
// With SCREENSHOTS=dir set, each size's picture is saved there (to look at).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { VIEW_NAMES } from '../../src/model/views';
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

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  name: string;
}

/** Every docked region's rectangle, the chips', the canvas's and its drawing buffer. */
async function measure(page: Page) {
  return page.evaluate(() => {
    const r = (el: Element, name: string) => {
      const b = el.getBoundingClientRect();
      return { x: b.x, y: b.y, width: b.width, height: b.height, name };
    };
    const visible = (el: Element) => {
      const b = el.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && getComputedStyle(el).display !== 'none';
    };
    const ex = window.etascape!.explorer;
    const canvas = ex.canvasElement;
    const docked = [...document.querySelectorAll('.view-panel, #lr-preview, .lil-gui.lil-root, #inspect, #side, #views')].filter(visible);
    const title = window.etascape!.lecture.annotations().title
      ? (window.etascape!.lecture as unknown as { layout: { title: { left: number; top: number; width: number; height: number } } | null }).layout
      : null;
    const stage = document.getElementById('stage')!.getBoundingClientRect();
    return {
      canvas: r(canvas, 'canvas'),
      buffer: { width: canvas.width, height: canvas.height, dpr: Math.min(devicePixelRatio, 2) },
      docked: docked.map((el) => r(el, el.id || el.className)),
      chips: [...document.querySelectorAll('#hud, #legend')].filter(visible).map((el) => r(el, el.id)),
      title: title
        ? { x: stage.x + title.title.left, y: stage.y + title.title.top, width: title.title.width, height: title.title.height, name: 'title' }
        : null,
      panels: document.querySelectorAll('.view-panel:not([hidden])').length,
    };
  });
}

const overlap = (a: Rect, b: Rect) =>
  Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));

async function openAt(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
  expect(await page.evaluate((views) => window.etascape!.setState({ views }), [...VIEW_NAMES])).toBeNull();
  await page.waitForTimeout(2500);
  return { page, problems };
}

describe('docked layout', () => {
  for (const [width, height] of [
    [1280, 720],
    [1920, 1080],
  ] as const) {
    test(`${width}x${height}, every view open: nothing covers the canvas but corner chips; the buffer is CSS x dpr`, async () => {
      const { page, problems } = await openAt(width, height);
      const m = await measure(page);
      expect(m.panels).toBe(VIEW_NAMES.length);
      const c = m.canvas;
      // The canvas keeps the largest share: at least a third of the window, with every view open.
      expect(c.width * c.height).toBeGreaterThan((width * height) / 3);
      for (const d of m.docked) expect(overlap(d, c), d.name).toBe(0);
      if (m.title) expect(overlap(m.title, c), 'title').toBe(0);
      for (const chip of m.chips) {
        // Small, and in a corner of the canvas's stage.
        expect(chip.width * chip.height, chip.name).toBeLessThan(0.06 * c.width * c.height);
        const left = chip.x - c.x < 20;
        const top = chip.y - c.y < 20;
        const bottom = c.y + c.height - (chip.y + chip.height) < 20;
        expect(left && (top || bottom), chip.name).toBe(true);
      }
      expect(m.buffer.width).toBe(Math.round(c.width * m.buffer.dpr));
      expect(m.buffer.height).toBe(Math.round(c.height * m.buffer.dpr));
      if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/layout-${width}x${height}.png` });
      expect(problems).toEqual([]);
      await page.close();
    }, 180_000);
  }

  test('390x844 phone: the regions stack, the canvas spans the width and nothing covers it', async () => {
    const { page } = await openAt(390, 844);
    const m = await measure(page);
    expect(m.canvas.width).toBeGreaterThan(380);
    for (const d of m.docked) expect(overlap(d, m.canvas), d.name).toBe(0);
    expect(m.buffer.width).toBe(Math.round(m.canvas.width * m.buffer.dpr));
    if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/layout-390x844.png` });
    await page.close();
  }, 180_000);

  test('dragging the splitter gives the canvas the room the dock gives up', async () => {
    const { page } = await openAt(1280, 720);
    const before = await measure(page);
    const s = await page.locator('#splitter').boundingBox();
    await page.mouse.move(s!.x + 100, s!.y + 3);
    await page.mouse.down();
    await page.mouse.move(s!.x + 100, s!.y + 123, { steps: 4 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    const after = await measure(page);
    expect(after.canvas.height).toBeGreaterThan(before.canvas.height + 100);
    expect(after.buffer.height).toBe(Math.round(after.canvas.height * after.buffer.dpr));
    await page.close();
  }, 180_000);
});
