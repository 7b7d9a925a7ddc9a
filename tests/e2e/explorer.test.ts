// The explorer in headless Chromium (WebGPU on SwiftShader), against the built app.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { PARTICLE_LIFT, toWorld } from '../../src/display/mapping';
import { launch } from './browser';
import { capture, changedFraction, distinctColors, dominantShare } from './pixels';
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

/** The middle of the canvas, clear of the title band, HUD and legend chips (viewport 960 x 540: the canvas is 640 wide, the right column has the rest). */
// (The HUD ends near y = 150: its width follows its text, e.g. steps/s falling to 0 after a pause.)
const VIEW = { x: 60, y: 170, width: 520, height: 260 };

interface Opened {
  page: Page;
  problems: string[];
}

async function open(b: Browser = browser): Promise<Opened> {
  const page = await b.newPage({ viewport: { width: 960, height: 540 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
  return { page, problems };
}

const steps = (page: Page) => page.evaluate(() => window.etascape!.explorer.steps as number);
const apply = (page: Page, change: object) => page.evaluate((c) => window.etascape!.explorer.apply(c), change);
async function framesPass(page: Page, n = 3): Promise<void> {
  await page.evaluate(
    (k) =>
      new Promise<void>((r) => {
        let left = k;
        const tick = () => (--left <= 0 ? r() : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
      }),
    n,
  );
}

describe('explorer in headless Chromium with WebGPU', () => {
  // One page for the whole group: loading the app costs SwiftShader many seconds.
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    ({ page, problems } = await open());
  });
  afterAll(async () => {
    await page?.close();
  });
  // Each test starts from the default scene, playing.
  beforeEach(async () => {
    await page.evaluate(async () => {
      const { explorer, defaults } = window.etascape!;
      const error = await explorer.apply({ ...defaults, views: [] }); // the views have their own tests
      if (error) throw new Error(error);
      explorer.play();
    });
  });
  test('loads with no console errors or warnings, and draws surface and particles', async () => {
    await page.waitForTimeout(1500);
    const pic = await capture(page, VIEW);
    expect(distinctColors(pic)).toBeGreaterThan(500);
    expect(dominantShare(pic)).toBeLessThan(0.3);
    // Particles are there: recolouring them by status changes pixels.
    await page.evaluate(() => window.etascape!.explorer.pause());
    await framesPass(page);
    const byLr = await capture(page, VIEW);
    await apply(page, { colorBy: 'status' });
    await framesPass(page);
    const byStatus = await capture(page, VIEW);
    expect(changedFraction(byLr, byStatus)).toBeGreaterThan(0.003);
    expect(await page.locator('#hud').textContent()).toMatch(/10,000 particles on GPU/);
    // SwiftShader's canvas is rgba8unorm: particles are drawn by compute, not as sprites.
    expect(await page.evaluate(() => window.etascape!.explorer.particleDrawing)).toBe('compute');
    expect(problems).toEqual([]);
  });

  test('play moves the particles; pause stops them', async () => {
    await apply(page, { stepsPerFrame: 5 });
    const a = await capture(page, VIEW);
    await page.waitForTimeout(1500);
    const b = await capture(page, VIEW);
    expect(changedFraction(a, b)).toBeGreaterThan(0.001);
    await page.keyboard.press('Space'); // pause
    await framesPass(page);
    // Under load the GPU may still be behind: let it finish the frames already queued.
    await page.evaluate(() => window.etascape!.explorer.settled());
    await framesPass(page);
    const s0 = await steps(page);
    // Frames already in flight may still reach the screen: wait until the picture settles.
    let c = await capture(page, VIEW);
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(300);
      const again = await capture(page, VIEW);
      const settled = changedFraction(c, again) === 0;
      c = again;
      if (settled) break;
    }
    await page.waitForTimeout(1500);
    const d = await capture(page, VIEW);
    expect(await steps(page)).toBe(s0);
    expect(changedFraction(c, d)).toBeLessThan(0.0005);
    await page.keyboard.press('ArrowRight'); // single step
    await framesPass(page);
    expect(await steps(page)).toBe(s0 + 5);
  });

  test('choosing another surface in the panel changes the picture', async () => {
    await page.evaluate(() => window.etascape!.explorer.pause());
    await framesPass(page);
    const before = await capture(page, VIEW);
    const preset = page.getByRole('combobox', { name: 'preset' });
    await preset.selectOption('rosenbrock');
    await page.waitForFunction(() => window.etascape!.explorer.state.surface === 'rosenbrock');
    await framesPass(page);
    const after = await capture(page, VIEW);
    expect(changedFraction(before, after)).toBeGreaterThan(0.2);
    expect(problems).toEqual([]);
  });

  test('a malformed expression shows an inline error and the previous surface keeps running', async () => {
    const field = page.getByRole('textbox', { name: 'L(x, y) =' });
    await field.fill('x + * 2');
    await field.press('Enter');
    const error = page.locator('[data-error="surface"]');
    await expect.poll(() => error.textContent()).toMatch(/column 5: value expected/);
    expect(await error.isVisible()).toBe(true);
    expect(await page.evaluate(() => window.etascape!.explorer.state.surface)).toBe('double-well');
    const s0 = await steps(page);
    await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(s0);
    // A valid expression then replaces the surface and clears the error.
    await field.fill('x^2 + 3*y^2');
    await field.press('Enter');
    await page.waitForFunction(() => window.etascape!.explorer.state.surface === 'x^2 + 3*y^2');
    expect(await error.isVisible()).toBe(false);
  });

  test('the schedule picker: eta(t) preview redraws, parameters appear, bad text shows an inline error and the run goes on', async () => {
    const box = (await page.locator('#lr-preview').boundingBox())!;
    const before = await capture(page, box);
    expect(distinctColors(before)).toBeGreaterThan(8); // the constant-lr lines and axes
    await page.getByRole('combobox', { name: 'schedule' }).selectOption('CosineAnnealingLR');
    await page.waitForFunction(() => window.etascape!.explorer.state.schedule.startsWith('CosineAnnealingLR('));
    await framesPass(page);
    const after = await capture(page, box);
    expect(changedFraction(before, after)).toBeGreaterThan(0.03);
    expect(await page.getByRole('textbox', { name: 'T_max' }).count()).toBe(1);
    // The text field takes PyTorch's constructor syntax; a malformed one keeps the run.
    const text = page.getByRole('textbox', { name: 'as text' });
    await text.fill('StepLR(step_size=');
    await text.press('Enter');
    const error = page.locator('[data-error="schedule"]');
    await expect.poll(() => error.textContent()).toMatch(/schedule text, column 18/);
    expect(await page.evaluate(() => window.etascape!.explorer.state.schedule)).toMatch(/^CosineAnnealingLR/);
    const s0 = await steps(page);
    await page.evaluate(() => window.etascape!.explorer.play());
    await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(s0);
    await text.fill('ReduceLROnPlateau(patience=3)');
    await text.press('Enter');
    await page.waitForFunction(() => window.etascape!.explorer.state.schedule === 'ReduceLROnPlateau(patience=3)');
    expect(await error.isVisible()).toBe(false);
    await expect.poll(() => page.locator('#lr-preview .note').textContent()).toMatch(/from its own run/);
    await page.getByRole('combobox', { name: 'schedule' }).selectOption('none');
    await page.waitForFunction(() => window.etascape!.explorer.state.schedule === '');
    expect(problems).toEqual([]);
  });

  test('a lost GPU device is re-created and the run continues from the step it had reached, with the particles where an uninterrupted run has them', async () => {
    const read = () =>
      page.evaluate(async () => {
        const p = await window.etascape!.explorer.live!.run.read();
        return { pos: Array.from(p.pos), info: Array.from(p.info), state: Array.from(p.state) };
      });
    await page.evaluate(() => window.etascape!.explorer.pause());
    const snapAt = await page.evaluate(() => window.etascape!.step(40));
    // The snapshot a loss resumes from is taken every ~2 s: wait for one of this step.
    await page.waitForFunction((s) => window.etascape!.explorer.snapshotStep === s, snapAt, { timeout: 30_000 });
    // Steps after the snapshot (a loss used to lose them) and the loss in one go: no later
    // snapshot can start in between (the frame loop takes them), and the GPU may not even
    // have run the queued steps when the device goes.
    const lost = await page.evaluate(() => {
      const ex = window.etascape!.explorer;
      const release = ex.hold('the test queues steps');
      ex.stepHeld(25);
      release();
      const snapshot = ex.snapshotStep;
      ex.simulateDeviceLoss();
      return { reached: ex.steps, snapshot };
    });
    const { reached } = lost;
    expect(reached).toBe(snapAt + 25);
    expect(lost.snapshot).toBe(snapAt);
    // While the device is re-created, the counter stays where the run was.
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          seen.push(await steps(page));
          return page.locator('#notice').textContent();
        },
        { timeout: 30_000, interval: 50 },
      )
      .toMatch(/re-created; replayed from the snapshot at step \d+ to step \d+, where the run was: nothing lost/);
    expect(Math.min(...seen)).toBe(reached);
    const [, from, to] = (await page.locator('#notice').textContent())!.match(/snapshot at step (\d+) to step (\d+)/)!.map(Number);
    expect(from).toBe(snapAt);
    expect(to).toBe(reached);
    expect(await steps(page)).toBe(reached);
    await page.evaluate(() => window.etascape!.step(0));
    const replayed = await read();
    // Deterministic replay: bit for bit the state of a run that was never interrupted.
    await page.evaluate(() => window.etascape!.explorer.reset());
    expect(await page.evaluate((k) => window.etascape!.step(k), reached)).toBe(reached);
    const uninterrupted = await read();
    expect(replayed.pos.length).toBe(4 * (await page.evaluate(() => window.etascape!.explorer.live!.run.n)));
    expect(replayed).toEqual(uninterrupted);
    await page.evaluate(() => window.etascape!.explorer.play());
    await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(reached);
    const pic = await capture(page, VIEW);
    expect(distinctColors(pic)).toBeGreaterThan(500);
  });

  test("picking at a particle's drawn position gives that particle, its lr and its loss curve; empty space gives none", async () => {
    await apply(page, { stepsPerFrame: 10 });
    await page.waitForTimeout(1000);
    await page.evaluate(() => window.etascape!.explorer.pause());
    await framesPass(page);
    // What the page draws from: the particles, the height mapping and the camera.
    const seen = await page.evaluate(async () => {
      const ex = window.etascape!.explorer;
      const s = await ex.live!.run.read();
      const cam = ex.graphics.view.camera;
      return {
        n: s.n,
        pos: Array.from(s.pos),
        status: Array.from({ length: s.n }, (_, i) => s.info[4 * i]),
        lr: Array.from({ length: s.n }, (_, i) => s.hyper[i * s.hyperStride]),
        mapping: ex.meshMapping!,
        view: Array.from(cam.matrixWorldInverse.elements),
        projection: Array.from(cam.projectionMatrix.elements),
        width: ex.canvasElement.clientWidth,
        height: ex.canvasElement.clientHeight,
      };
    });
    // Each particle's drawn position, projected here as the page does (column-major 4x4 matrices).
    const apply4 = (m: number[], v: number[]) => [0, 1, 2, 3].map((r) => m[r] * v[0] + m[4 + r] * v[1] + m[8 + r] * v[2] + m[12 + r] * v[3]);
    const screen = Array.from({ length: seen.n }, (_, i) => {
      const [X, Y, Z] = toWorld(seen.mapping, seen.pos[4 * i], seen.pos[4 * i + 1], seen.pos[4 * i + 2]);
      const c = apply4(seen.projection, apply4(seen.view, [X, Y + PARTICLE_LIFT, Z, 1]));
      return { x: ((c[0] / c[3] + 1) / 2) * seen.width, y: ((1 - c[1] / c[3]) / 2) * seen.height, inFront: c[2] / c[3] < 1 };
    });
    const nearestOther = (x: number, y: number, skip: number) =>
      Math.min(...screen.map((p, j) => (j === skip || !p.inFront ? Infinity : Math.hypot(p.x - x, p.y - y))));
    // A running particle inside the clear part of the view with no other within 3 px.
    const inView = (p: { x: number; y: number }) => p.x > VIEW.x && p.x < VIEW.x + VIEW.width && p.y > VIEW.y && p.y < VIEW.y + VIEW.height;
    const chosen = screen.findIndex((p, i) => seen.status[i] === 0 && p.inFront && inView(p) && nearestOther(p.x, p.y, i) > 3);
    expect(chosen).toBeGreaterThanOrEqual(0);
    const at = screen[chosen];
    const hit = await page.evaluate(([x, y]) => window.etascape!.explorer.pick(x, y, 2), [at.x, at.y]);
    expect(hit).not.toBeNull();
    expect(hit!.particle.index).toBe(chosen);
    expect(hit!.particle.lr).toBe(Math.fround(seen.lr[chosen]));
    expect(hit!.particle.status).toBe('running');
    // The curve is the CPU reference's re-run of that particle: it ends where the particle is.
    expect(hit!.curve.length).toBeGreaterThan(2);
    expect(hit!.curve.at(-1)).toBeCloseTo(hit!.particle.loss, 2);
    // A point of the view 8 px or more from every particle picks nothing with a 4 px radius.
    let empty: { x: number; y: number } | null = null;
    for (let y = VIEW.y; y < VIEW.y + VIEW.height && !empty; y += 4) {
      for (let x = VIEW.x; x < VIEW.x + VIEW.width && !empty; x += 4) if (nearestOther(x, y, -1) >= 8) empty = { x, y };
    }
    expect(empty).not.toBeNull();
    expect(await page.evaluate(([x, y]) => window.etascape!.explorer.pick(x, y, 4), [empty!.x, empty!.y])).toBeNull();
  });
});

describe('explorer without WebGPU', () => {
  test('shows the CPU-fallback notice and still animates', async () => {
    const plain = await launch({ webgpu: false, pixels: false });
    try {
      const { page, problems } = await open(plain);
      await expect.poll(() => page.locator('#notice').textContent()).toMatch(/CPU reference engine in a Worker/);
      expect(await page.locator('#hud').textContent()).toMatch(/on CPU/);
      expect(await page.evaluate(() => window.etascape!.explorer.particleDrawing)).toBe('sprites');
      const a = await capture(page, VIEW);
      const s0 = await steps(page);
      await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(s0);
      const b = await capture(page, VIEW);
      expect(changedFraction(a, b)).toBeGreaterThan(0.0005);
      expect(distinctColors(b)).toBeGreaterThan(500);
      // No errors of ours; the browser's own notes about the missing adapter and WebGL readbacks are fine.
      expect(problems.filter((p) => !/No available adapters|GL Driver Message/.test(p))).toEqual([]);
      await page.close();
    } finally {
      await plain.close();
    }
  });
  test('when a lost GPU cannot come back, the page carries on with the CPU engine', async () => {
    // Without the pixel flags: WebGL2 exists there (with them, this Chromium has none).
    const plain = await launch({ pixels: false });
    try {
      // The first adapter is real; every later request finds none.
      const context = await plain.newContext();
      await context.addInitScript(() => {
        const gpu = navigator.gpu;
        const real = gpu.requestAdapter.bind(gpu);
        let calls = 0;
        gpu.requestAdapter = (...args) => (calls++ === 0 ? real(...args) : Promise.resolve(null));
      });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
      await page.evaluate(() => window.etascape!.explorer.simulateDeviceLoss());
      await expect.poll(() => page.locator('#notice').textContent(), { timeout: 30_000 }).toMatch(/could not be re-created .*CPU reference engine/);
      await expect.poll(() => page.locator('#hud').textContent()).toMatch(/4,096 particles on CPU/);
      const s0 = await steps(page);
      await expect.poll(() => steps(page), { timeout: 20_000 }).toBeGreaterThan(s0);
      await page.close();
    } finally {
      await plain.close();
    }
  });
});
