// Recording in headless Chromium (WebGPU on SwiftShader, WebCodecs): the file has the
// frames, duration and size asked for (demuxed here in Node, decoded in the page);
// recording twice gives the same frames; frame k shows step k x stepsPerFrame; cancel;
// PNG snapshots at any size; the panel's Record folder (its layout and orbit reach the
// recorder); the views' PNG and CSV buttons; a 3d+sweep layout (the sweep view beside the
// 3-D view, from the same step) in a video and in a snapshot.

import { readFileSync } from 'node:fs';
import { ALL_FORMATS, BufferSource, Input } from 'mediabunny';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { openApp, type OpenedApp } from './app';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { distinctColors } from './pixels';
import { fitRect, layoutRegions, parseLayout } from '../../src/model/record-options';

let app: OpenedApp;
let page: Page;
let problems: string[];

beforeAll(async () => {
  app = await openApp({ width: 960, height: 540 });
  ({ page, problems } = app);
  // The default scene without the side views (they have their own tests).
  await page.evaluate(() => window.etascape!.explorer.apply({ views: [] }));
});
afterAll(async () => {
  await app?.close();
});

/** The container's own account of a file: demuxed in Node, independent of the page. */
async function demux(bytes: Uint8Array) {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const track = (await input.getPrimaryVideoTrack())!;
  const stats = await track.computePacketStats();
  const facts = {
    width: track.displayWidth,
    height: track.displayHeight,
    codec: track.codec,
    packets: stats.packetCount,
    duration: await input.computeDuration(),
    mime: await input.getMimeType(),
  };
  input.dispose();
  return facts;
}

describe('record', () => {
  test('2 s at 640x360, 30 fps: 60 frames of 640x360 lasting 2 s; twice gives identical frames', async () => {
    const out = await page.evaluate(async () => {
      const e = window.etascape!;
      const captured: string[][] = [[], []];
      const blobs: Blob[] = [];
      for (const run of [0, 1]) {
        const blob = (await e.record({
          width: 640,
          height: 360,
          fps: 30,
          seconds: 2,
          format: 'mp4',
          onFrame: (_: number, c: OffscreenCanvas) => captured[run].push(e.video.hashPixels(c.getContext('2d')!.getImageData(0, 0, 640, 360).data)),
        }))!;
        blobs.push(blob);
      }
      const bytes = new Uint8Array(await blobs[0].arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return {
        file: btoa(bin),
        type: blobs[0].type,
        captured,
        decoded: [await e.video.inspect(blobs[0]), await e.video.inspect(blobs[1])],
        compare: await e.video.compare(blobs[0], blobs[1]),
      };
    });
    const facts = await demux(Buffer.from(out.file, 'base64'));
    expect(facts).toMatchObject({ width: 640, height: 360, codec: 'avc', packets: 60 });
    expect(facts.mime).toMatch(/^video\/mp4/);
    expect(facts.duration).toBeCloseTo(2, 6);
    expect(out.type).toBe('video/mp4');
    const [a, b] = out.decoded;
    expect(a).toMatchObject({ width: 640, height: 360, frames: 60 });
    expect(a.duration).toBeCloseTo(2, 6);
    // Frame k at k / 30 s exactly (to the container's time base).
    a.timestamps.forEach((t: number, k: number) => expect(t).toBeCloseTo(k / 30, 6));
    // The rendered frames are bit-identical before encoding, and so are the decoded ones.
    expect(out.captured[0]).toHaveLength(60);
    expect(out.captured[1]).toEqual(out.captured[0]);
    expect(b.hashes).toEqual(a.hashes);
    expect(out.compare).toEqual({ frames: 60, maxDiff: 0, meanDiff: 0 });
    // The particles move: every frame differs from the one before.
    expect(new Set(out.captured[0]).size).toBe(60);
    expect(problems).toEqual([]);
  });

  test('frame k shows step k x stepsPerFrame: frame k at 2 steps per frame is frame 2k at 1', async () => {
    const out = await page.evaluate(async () => {
      const e = window.etascape!;
      // Trails sample once per frame, so they would differ; the particles must not.
      await e.explorer.apply({ trails: 0 });
      const hashes = async (stepsPerFrame: number) => {
        const h: string[] = [];
        await e.record({
          width: 320,
          height: 180,
          fps: 30,
          steps: 8,
          stepsPerFrame,
          format: 'webm',
          onFrame: (_: number, c: OffscreenCanvas) => h.push(e.video.hashPixels(c.getContext('2d')!.getImageData(0, 0, 320, 180).data)),
        });
        return h;
      };
      const one = await hashes(1);
      const two = await hashes(2);
      await e.explorer.apply({ trails: e.defaults.trails });
      return { one, two };
    });
    expect(out.one).toHaveLength(9);
    expect(out.two).toHaveLength(5);
    out.two.forEach((h: string, k: number) => expect(h).toBe(out.one[2 * k]));
    expect(new Set(out.one).size).toBe(9);
  });

  test('cancel: the promise rejects with AbortError and the explorer plays on; changes while recording are refused', async () => {
    const out = await page.evaluate(async () => {
      const e = window.etascape!;
      const ac = new AbortController();
      const progress: number[] = [];
      let error = '';
      let during: Promise<string | null> | null = null;
      await e
        .record({
          width: 320,
          height: 180,
          seconds: 10,
          signal: ac.signal,
          onProgress: (p: { frame: number; frames: number; secondsLeft: number }) => {
            progress.push(p.frame);
            // A change while recording would swap the run under it: refused.
            if (p.frame === 1) during = e.explorer.apply({ lrMax: 0.3 });
            if (p.frame === 3) ac.abort();
          },
        })
        .catch((err: Error) => (error = err.name));
      e.explorer.play();
      const before = e.explorer.steps;
      await new Promise((r) => setTimeout(r, 1500));
      return {
        error,
        progress,
        moved: e.explorer.steps - before,
        during: await during,
        lrMax: e.explorer.state.lrMax,
        after: await e.explorer.apply({ lrMax: e.defaults.lrMax }),
      };
    });
    expect(out.error).toBe('AbortError');
    expect(out.progress).toEqual([1, 2, 3]);
    expect(out.moved).toBeGreaterThan(0);
    expect(out.during).toBe('a recording is running: wait for it to finish or cancel it');
    expect(out.lrMax).toBe(0.5);
    expect(out.after).toBeNull();
  });

  test('streamed to a writer (as to a file from showSaveFilePicker): positioned writes make the same file', async () => {
    const out = await page.evaluate(async () => {
      const e = window.etascape!;
      let file = new Uint8Array(0);
      const writes: number[] = [];
      let closed = false;
      const writer = {
        async write(c: { type: 'write'; position: number; data: Uint8Array }) {
          writes.push(c.position);
          const end = c.position + c.data.byteLength;
          if (end > file.length) {
            const grown = new Uint8Array(end);
            grown.set(file);
            file = grown;
          }
          file.set(c.data, c.position);
        },
        async close() {
          closed = true;
        },
      };
      const result = await e.record({ width: 320, height: 180, fps: 30, seconds: 0.5, format: 'webm', writer });
      const facts = await e.video.inspect(new Blob([file]));
      return { result, closed, writes: writes.length, frames: facts.frames, width: facts.width, codec: facts.codec, duration: facts.duration };
    });
    expect(out).toMatchObject({ result: null, closed: true, frames: 15, width: 320, codec: 'vp9' });
    expect(out.writes).toBeGreaterThan(0);
    expect(out.duration).toBeCloseTo(0.5, 6);
  });

  test('3d+sweep, 30 frames: the sweep region is the sweep view PNG of that step, the 3-D region the 3d recording of it', async () => {
    const [W, H] = [640, 360];
    const { scene, view } = layoutRegions(W, H, parseLayout('3d+sweep'));
    const out = await page.evaluate(
      async ({ W, H, sw }) => {
        const e = window.etascape!;
        // Fewer particles than the default: this test is about the layout, not the load.
        await e.explorer.apply({ n: 2000 });
        e.explorer.pause();
        const hashes: string[][] = [[], []];
        const both = (await e.record({
          width: W,
          height: H,
          fps: 30,
          seconds: 1,
          format: 'webm',
          layout: '3d+sweep',
          onFrame: (_: number, c: OffscreenCanvas) => hashes[0].push(e.video.hashPixels(c.getContext('2d')!.getImageData(0, 0, sw, H).data)),
        }))!;
        await e.record({
          width: sw,
          height: H,
          fps: 30,
          seconds: 1,
          layout: '3d',
          onFrame: (_: number, c: OffscreenCanvas) => hashes[1].push(e.video.hashPixels(c.getContext('2d')!.getImageData(0, 0, sw, H).data)),
        });
        (window as { lastVideo?: Blob }).lastVideo = both;
        return { hashes, facts: await e.video.inspect(both), views: e.explorer.state.views };
      },
      { W, H, sw: scene!.width },
    );
    expect(out.facts).toMatchObject({ width: W, height: H, frames: 30 });
    expect(out.views).toEqual(['sweep']);
    // The 3-D region of every frame is exactly the 3-D view recorded alone at that size.
    expect(out.hashes[0]).toHaveLength(30);
    expect(out.hashes[0]).toEqual(out.hashes[1]);
    // The last frame's view region against the sweep panel's PNG export of the same step (the run is paused there).
    const png = await downloaded(() => page.locator('.view-panel[data-view="sweep"] button.export-png').click());
    const pic = PNG.sync.read(png.bytes);
    const fit = fitRect(view!, pic.width, pic.height);
    const diff = await page.evaluate(
      async ({ b64, fit }) => {
        const e = window.etascape!;
        const frame = await e.video.frame((window as { lastVideo?: Blob }).lastVideo!, 29);
        const bmp = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' }));
        const c = new OffscreenCanvas(frame.width, frame.height);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(bmp, fit.x, fit.y, fit.width, fit.height);
        const want = ctx.getImageData(fit.x, fit.y, fit.width, fit.height).data;
        let sum = 0;
        const distinct = new Set<number>();
        for (let y = 0; y < fit.height; y++) {
          for (let x = 0; x < fit.width; x++) {
            const i = ((fit.y + y) * frame.width + fit.x + x) * 4;
            const j = (y * fit.width + x) * 4;
            for (let ch = 0; ch < 3; ch++) sum += Math.abs(frame.data[i + ch] - want[j + ch]);
            distinct.add((want[j] << 16) | (want[j + 1] << 8) | want[j + 2]);
          }
        }
        return { mean: sum / (3 * fit.width * fit.height), colors: distinct.size };
      },
      { b64: png.bytes.toString('base64'), fit },
    );
    console.log(`3d+sweep: mean |decoded view region - PNG export| = ${diff.mean.toFixed(2)}/255 over ${fit.width}x${fit.height}`);
    // The chart drew something (curves and axes, not a blank panel), and the video shows it.
    expect(diff.colors).toBeGreaterThan(20);
    expect(diff.mean).toBeLessThan(3);

    // A snapshot in the same layout (no encoding): its sweep region is that PNG export, its 3-D region a 3d snapshot of that size.
    const snap = await page.evaluate(
      async ({ W, H, sw, b64, fit }) => {
        const e = window.etascape!;
        const pixels = async (blob: Blob, w: number, h: number, at = { x: 0, y: 0, width: w, height: h }) => {
          const ctx = new OffscreenCanvas(w, h).getContext('2d')!;
          ctx.drawImage(await createImageBitmap(blob), at.x, at.y, at.width, at.height);
          return ctx.getImageData(0, 0, w, h).data;
        };
        const both = await pixels(await e.snapshot({ width: W, height: H, layout: '3d+sweep' }), W, H);
        const alone = await pixels(await e.snapshot({ width: sw, height: H, layout: '3d' }), sw, H);
        const want = await pixels(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' }), W, H, fit);
        const mean = (x0: number, y0: number, w: number, h: number, other: Uint8ClampedArray, ow: number, ox: number) => {
          let sum = 0;
          for (let y = y0; y < y0 + h; y++)
            for (let x = x0; x < x0 + w; x++) for (let ch = 0; ch < 3; ch++) sum += Math.abs(both[4 * (y * W + x) + ch] - other[4 * (y * ow + x - ox) + ch]);
          return sum / (3 * w * h);
        };
        return { view: mean(fit.x, fit.y, fit.width, fit.height, want, W, 0), scene: mean(0, 0, sw, H, alone, sw, 0) };
      },
      { W, H, sw: scene!.width, b64: png.bytes.toString('base64'), fit },
    );
    console.log(`3d+sweep snapshot: mean |view region - PNG export| = ${snap.view.toFixed(2)}/255, |3-D region - 3d snapshot| = ${snap.scene.toFixed(2)}/255`);
    expect(snap.view).toBeLessThan(1);
    expect(snap.scene).toBeLessThan(1);
    await page.evaluate(() => window.etascape!.explorer.apply({ views: [], n: window.etascape!.defaults.n }));
  }, 120_000);

  test('bad options name the option', async () => {
    const msg = (o: object) =>
      page.evaluate(
        (opts) =>
          window.etascape!.record(opts).then(
            () => 'resolved',
            (e: Error) => e.message,
          ),
        o,
      );
    expect(await msg({ width: 641, height: 360 })).toMatch(/^width must be an even whole number/);
    expect(await msg({ fps: 29.97 })).toMatch(/^fps must be a whole number from 1 to 120/);
    expect(await msg({ format: 'avi' })).toMatch(/^format must be one of mp4, webm/);
    expect(await msg({ seconds: 1, steps: 10 })).toBe('give seconds or steps, not both');
  });

  test('PNG snapshot at 1024x768 (any size, not only the screen)', async () => {
    const b64 = await page.evaluate(async () => {
      const blob: Blob = await window.etascape!.snapshot({ width: 1024, height: 768 });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(bin);
    });
    const png = PNG.sync.read(Buffer.from(b64, 'base64'));
    expect([png.width, png.height]).toEqual([1024, 768]);
    expect(distinctColors({ width: png.width, height: png.height, data: png.data })).toBeGreaterThan(2000);
    const odd = await page.evaluate(async () => {
      const blob: Blob = await window.etascape!.snapshot({ width: 333, height: 211 });
      const bmp = await createImageBitmap(blob);
      return [bmp.width, bmp.height];
    });
    expect(odd).toEqual([333, 211]);
  });
});

/** Clicks and returns the file the page downloads. */
async function downloaded(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), click()]);
  return { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
}

/** The panel's Record folder (other folders have a layout too). */
const recordFolder = () => page.locator('.lil-gui').filter({ has: page.locator(':scope > .lil-title', { hasText: /^Record$/ }) });
const button = (name: string) => page.locator('.lil-gui').getByRole('button', { name, exact: true });
async function fill(name: string, value: string): Promise<void> {
  const input = page.locator('.lil-gui').getByLabel(name, { exact: true });
  await input.fill(value);
  await input.press('Enter');
}

describe('the page', () => {
  test('the Record folder records what it is set to and downloads it; PNG snapshot at the size typed', async () => {
    // No file picker in automation: the file is downloaded.
    await page.evaluate(() => {
      (window as { showSaveFilePicker?: unknown }).showSaveFilePicker = undefined;
      window.etascape!.explorer.apply({ views: [] });
    });
    await page.locator('.lil-gui .lil-title', { hasText: /^Record$/ }).click();
    // The formats this Chromium encodes (all four here) are offered without a warning.
    await expect
      .poll(() => page.locator('.lil-gui').getByLabel('format', { exact: true }).locator('option').allTextContents())
      .toEqual(['H.264 MP4', 'VP9 WebM', 'AV1 MP4', 'AV1 WebM']);
    await fill('size (W×H)', '320x180');
    await fill('seconds', '0.5');
    const video = await downloaded(() => button('● Record video').click());
    expect(video.name).toBe('etascape-320x180.mp4');
    const facts = await demux(video.bytes);
    expect(facts).toMatchObject({ width: 320, height: 180, codec: 'avc', packets: 15 });
    expect(facts.duration).toBeCloseTo(0.5, 6);
    // The progress row is hidden again and the button usable.
    await expect.poll(() => page.locator('.record-progress').isHidden()).toBe(true);

    await fill('size (W×H)', '321x180');
    await button('● Record video').click();
    await expect.poll(() => page.locator('[data-error="record"]').textContent()).toMatch(/^width must be an even whole number/);

    await fill('PNG size (W×H)', '300x200');
    const png = await downloaded(() => button('PNG snapshot').click());
    expect(png.name).toBe('etascape-300x200.png');
    const pic = PNG.sync.read(png.bytes);
    expect([pic.width, pic.height]).toEqual([300, 200]);

    // The layout and orbit set in the folder are what the recorder is handed.
    await fill('size (W×H)', '320x180');
    await recordFolder().getByLabel('layout', { exact: true }).selectOption('3d+sweep');
    await fill('orbit (degrees)', '90');
    expect(await page.evaluate(() => window.etascape!.recordPanel.request())).toMatchObject({
      width: 320,
      height: 180,
      layout: '3d+sweep',
      orbit: 90,
      seconds: 0.5,
    });
    await recordFolder().getByLabel('layout', { exact: true }).selectOption('3d');
    await fill('orbit (degrees)', '0');
  });

  test('a view panel exports its picture as PNG and its data as CSV', async () => {
    await page.evaluate(async () => {
      const e = window.etascape!;
      await e.explorer.apply({ views: ['sweep', 'map'], stepsPerFrame: 5, mapRes: 32, mapSteps: 100 });
      e.explorer.play();
    });
    await expect.poll(() => page.evaluate(() => window.etascape!.views.drawn), { timeout: 90_000, interval: 500 }).toEqual({ sweep: true, map: true });
    const panel = (v: string) => page.locator(`.view-panel[data-view="${v}"]`);

    const png = await downloaded(() => panel('sweep').locator('button.export-png').click());
    expect(png.name).toBe('etascape-sweep.png');
    const pic = PNG.sync.read(png.bytes);
    expect(pic.width).toBeGreaterThan(300);
    expect(distinctColors({ width: pic.width, height: pic.height, data: pic.data })).toBeGreaterThan(40);

    await page.evaluate(() => window.etascape!.explorer.pause());
    const csv = (await downloaded(() => panel('sweep').locator('button.export-csv').click())).bytes.toString('utf8');
    // The same rows as the data the view holds (its data()), x first.
    const data = await page.evaluate(() => {
      const d = window.etascape!.views.chartData('sweep')!;
      return { x: d.x, labels: d.series.map((s) => s.label), first: d.series[0].values };
    });
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(['learning rate η', ...data.labels].join(','));
    expect(lines).toHaveLength(data.x.length + 1);
    const row = lines[1].split(',');
    expect(Number(row[0])).toBe(data.x[0]);
    expect(row[1] === '' ? null : Number(row[1])).toBe(data.first[0]);

    const map = (await downloaded(() => panel('map').locator('button.export-csv').click())).bytes.toString('utf8').trim().split('\n');
    const fig = await page.evaluate(() => {
      const d = window.etascape!.views.figureData('map')!;
      return { x: d.x.param, y: d.y.param, n: d.image.nx * d.image.ny };
    });
    expect(map[0]).toBe(`${fig.x},${fig.y},color`);
    expect(map).toHaveLength(fig.n + 1);
    expect(map[1]).toMatch(/^[-\d.e]+,[-\d.e]+,#[0-9a-f]{6}$/);
    const mapPng = PNG.sync.read((await downloaded(() => panel('map').locator('button.export-png').click())).bytes);
    expect(mapPng.width).toBeGreaterThan(300);
    await page.evaluate(() => window.etascape!.explorer.apply({ views: [] }));
  });
});
