// Networks as particles in the page, in headless Chromium (WebGPU on SwiftShader): the
// Model folder sets a model, the 3-D view then draws the loss on a plane through
// parameter space (a different picture from the surface's), and the network map and
// loss curves draw.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openApp, type OpenedApp } from './app';
import { capture, changedFraction, distinctColors, dominantShare } from './pixels';
import { axisValue } from '../../src/core/layouts';
import { makeDataset } from '../../src/core/nn/data';
import { parseModel } from '../../src/core/nn/model';
import { initialTheta } from '../../src/core/nn/network';
import { networkOutcomes } from '../../src/core/nn/outcome';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerWide, wideHyper } from '../../src/core/nn/train-wide';

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
    // On opening, a coarse map (half the side) came first, then the full one.
    expect((await mapState())!.shown).toEqual([
      { nx: 6, ny: 6, final: false, precision: 'f32' },
      { nx: 12, ny: 12, final: true, precision: 'f32' },
    ]);

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

  test('zooming the network map: a drag shows a coarse map, then the full one; deep windows train in df64, as the CPU reference does', async () => {
    // A window across the boundary between training and diverging (found beforehand by
    // bisection with `etascape map --precision df64`), 1e-7 of lr_layer0 and 2.3e-8 of
    // lr_layer1 wide: float32's rates there are one or two numbers; the map switches to df64.
    const b = 131.2417876;
    const deep = {
      x: { param: 'lr_layer0', min: 0.01, max: 0.01 * (1 + 1e-7), scale: 'linear' as const },
      y: { param: 'lr_layer1', min: b - 1.5e-6, max: b + 1.5e-6, scale: 'linear' as const },
    };
    expect(await page.evaluate((mapWindow) => window.etascape!.setState({ mapWindow }), deep)).toBeNull();
    const shown = () => page.evaluate(() => window.etascape!.views.networks.map.state?.shown ?? []);
    await expect.poll(async () => (await shown()).length, { timeout: 60_000, interval: 250 }).toBeGreaterThan(0);
    const first = (await mapState())!;
    expect(first.precision).toBe('df64');
    expect(first.why).toMatch(/lr_layer0 spans 1\.0e-7 of its value/);

    // Dragging over the middle of the image zooms into that part of the window.
    const canvas = (await page.locator('.view-panel[data-view="netmap"] canvas.figure').boundingBox())!;
    const im = first.image!;
    const at = (fx: number, fy: number) => [canvas.x + im.left + fx * im.width, canvas.y + im.top + fy * im.height] as const;
    await page.mouse.move(...at(0.3, 0.3));
    await page.mouse.down();
    await page.mouse.move(...at(0.5, 0.5), { steps: 3 });
    await page.mouse.move(...at(0.7, 0.7), { steps: 3 });
    await page.mouse.up();
    const w = (await page.evaluate(() => window.etascape!.explorer.state.mapWindow))!;
    expect([w.x.param, w.y.param]).toEqual(['lr_layer0', 'lr_layer1']);
    for (const [a, d] of [
      [w.x, deep.x],
      [w.y, deep.y],
    ] as const) {
      const span = d.max - d.min;
      expect((a.min - d.min) / span).toBeCloseTo(0.3, 1);
      expect((a.max - d.min) / span).toBeCloseTo(0.7, 1);
    }
    await expect.poll(async () => (await shown()).at(-1)?.final, { timeout: 60_000, interval: 250 }).toBe(true);
    const s = (await mapState())!;
    expect(s.shown).toEqual([
      { nx: 6, ny: 6, final: false, precision: 'df64' },
      { nx: 12, ny: 12, final: true, precision: 'df64' },
    ]);
    const status = await page.locator('.view-panel[data-view="netmap"] .status').textContent();
    expect(status).toMatch(/^df64, converged \d+, diverged \d+$/);
    // Both outcomes inside the window, a boundary across it.
    const conv = s.converged!;
    const t = Array.from({ length: 11 }, (_, iy) => iy + 1).find((iy) => conv[12 * iy] !== conv[12 * (iy - 1)]);
    expect(t).toBeDefined();

    // The CPU df64 reference on the two pixels of column 0 either side of the boundary: the same statuses.
    const rows = [t! - 1, t!];
    const model = parseModel('mlp:1,16,1:tanh:mean-field');
    const data = makeDataset('chebyshev', model, { seed: 0 });
    const one = initialTheta(model, 1, { seed: 1 });
    const lrLayers = rows.map((iy) => [w.x.min, axisValue(w.y.min, w.y.max, 12, iy, 'linear')]);
    const theta = new Float32Array(rows.length * model.params);
    rows.forEach((_, i) => theta.set(one, i * model.params));
    const setup = buildNetSetup({ model, data, optimizer: 'SGD', settings: {}, lrLayers, theta, config: { history: 40 } });
    const cpu = new NetworkTrainerWide(setup, wideHyper(setup, lrLayers), 'df64');
    cpu.step(40);
    expect(rows.map((iy) => conv[12 * iy])).toEqual(networkOutcomes(cpu.state, 40, 'fractal').converged);

    // "reset zoom" goes back to [lrMin, lrMax]^2, in float32.
    await page.locator('.view-panel[data-view="netmap"] button', { hasText: 'reset zoom' }).click();
    expect(await page.evaluate(() => window.etascape!.explorer.state.mapWindow)).toBeNull();
    expect((await mapState())!.precision).toBe('f32');
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

function mapState() {
  return page.evaluate(() => window.etascape!.views.networks.map.state);
}
