// `etascape record`: the built CLI drives headless Chromium and writes a video with the
// frames asked for (demuxed here in Node, and decoded by the page's WebCodecs); its
// command-line errors exit 2 with one line naming the flag.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { exportJson } from '../../src/model/share';
import { DEFAULT_STATE } from '../../src/model/state';
import { launch } from '../e2e/browser';
import { serveApp } from '../e2e/server';
import { cli, ok, tempDir } from './cli';

async function demux(bytes: Uint8Array) {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const track = (await input.getPrimaryVideoTrack())!;
  const first = await new EncodedPacketSink(track).getFirstPacket();
  const facts = {
    width: track.displayWidth,
    height: track.displayHeight,
    codec: track.codec,
    packets: (await track.computePacketStats()).packetCount,
    duration: await input.computeDuration(),
    firstIsKey: first?.type === 'key',
    mime: await input.getMimeType(),
  };
  input.dispose();
  return facts;
}

const dir = tempDir();

describe('etascape record', () => {
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    server = await serveApp();
    browser = await launch();
    page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
    await page.evaluate(() => window.etascape!.explorer.pause());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  /** Decodes a file with the browser's WebCodecs (mediabunny in the page). */
  const decode = (bytes: Uint8Array) =>
    page.evaluate(async (b64) => {
      const bin = atob(b64);
      const blob = new Blob([Uint8Array.from(bin, (c) => c.charCodeAt(0))]);
      const f = await window.etascape!.video.inspect(blob);
      return { frames: f.frames, width: f.width, height: f.height, distinct: new Set(f.hashes).size };
    }, Buffer.from(bytes).toString('base64'));

  test('1 s at 320x180, 10 fps: an MP4 of 10 frames that decodes', async () => {
    const out = join(dir, 'talk.mp4');
    const stdout = ok(['record', '--out', out, '--width', '320', '--height', '180', '--fps', '10', '--seconds', '1']);
    expect(stdout).toMatch(/^wrote .*talk\.mp4: 10 frames, 320x180 at 10 fps \(1\.00 s\), H\.264 MP4/);
    const bytes = readFileSync(out);
    const facts = await demux(bytes);
    expect(facts).toMatchObject({ width: 320, height: 180, codec: 'avc', packets: 10, firstIsKey: true });
    expect(facts.mime).toMatch(/^video\/mp4/);
    expect(facts.duration).toBeCloseTo(1, 6);
    const decoded = await decode(bytes);
    expect(decoded).toMatchObject({ frames: 10, width: 320, height: 180 });
    expect(decoded.distinct).toBe(10);
  });

  test('a state file, WebM, length in steps: frames for steps 0, 2, 4, 6', async () => {
    const state = join(dir, 'state.json');
    writeFileSync(state, exportJson({ ...DEFAULT_STATE, surface: 'rosenbrock', n: 1000, lrMin: 1e-4, lrMax: 1e-3, trails: 0 }));
    const out = join(dir, 'steps.webm');
    const stdout = ok(['record', '--state', state, '--out', out, '--width', '320', '--height', '180', '--steps', '6', '--steps-per-frame', '2']);
    expect(stdout).toMatch(/4 frames, 320x180 at 30 fps .*VP9 WebM/);
    const bytes = readFileSync(out);
    const facts = await demux(bytes);
    expect(facts).toMatchObject({ width: 320, height: 180, codec: 'vp9', packets: 4, firstIsKey: true });
    expect(facts.mime).toMatch(/^video\/webm/);
    expect(facts.duration).toBeCloseTo(4 / 30, 3);
    expect(await decode(bytes)).toMatchObject({ frames: 4, width: 320, height: 180 });
  });

  test('--help and help record list the flags', () => {
    const help = ok(['record', '--help']);
    for (const flag of [
      '--out',
      '--scene',
      '--state',
      '--hash',
      '--width',
      '--height',
      '--fps',
      '--seconds',
      '--steps',
      '--steps-per-frame',
      '--format',
      '--layout',
      '--orbit',
    ])
      expect(help).toContain(flag);
    expect(ok(['help', 'record'])).toBe(help);
    expect(ok(['--help'])).toMatch(/^\s+record\s+a frame-exact video/m);
  });

  test('errors: one line naming the flag, exit 2', () => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['--width', '321'], /^etascape: --width must be an even whole number of pixels from 16 to 7680, got 321$/],
      [['--height', '8'], /^etascape: --height must be an even whole number/],
      [['--fps', '0'], /^etascape: --fps must be a whole number from 1 to 120/],
      [['--seconds', '1', '--steps', '10'], /^etascape: give --seconds or --steps, not both$/],
      [['--format', 'webm'], /^etascape: --format webm writes WEBM, but --out ends in \.mp4$/],
      [['--format', 'gif'], /^etascape: --format must be one of mp4, webm, mp4-av1, webm-av1, got "gif"$/],
      [['--state', join(dir, 'missing.json')], /^etascape: --state: cannot read .*missing\.json': ENOENT$/],
      [['--hash', '#s=%%%'], /^etascape: --hash: the link's settings could not be read/],
      [['--layout', '3d+chart'], /^etascape: --layout must be one of 3d, 3d\+loss, .*, got "3d\+chart"$/],
      [['--layout', 'map', '--orbit', '90'], /^etascape: --orbit turns the 3-D view, which the layout "map" does not show$/],
      [['--scene', 'x', '--hash', '#s=e30'], /^etascape: give one of --scene, --state, --hash, not --scene and --hash$/],
      [[], /^etascape: no Chromium at \/nonexistent\/chromium: install it/, { CHROMIUM_PATH: '/nonexistent/chromium' }],
    ];
    for (const [args, message, env] of cases) {
      const r = cli(['record', '--out', join(dir, 'bad.mp4'), ...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(cli(['record', '--width', '320']).stderr).toMatch(/^etascape: --out FILE\.mp4 or FILE\.webm is required/);
    expect(cli(['record', '--out', join(dir, 'x.gif')]).stderr).toMatch(/^etascape: --out: the file name must end in \.mp4 or \.webm/);
  });

  test('a scene, 3d+sweep with an orbit: the same frames as the page records for it', async () => {
    const out = join(dir, 'scene.webm');
    const flags = ['--width', '320', '--height', '180', '--fps', '10', '--steps', '3', '--steps-per-frame', '1', '--layout', '3d+sweep', '--orbit', '40'];
    expect(ok(['record', '--scene', 'stability-limit', '--out', out, ...flags])).toMatch(/, layout 3d\+sweep, orbit 40°, \d+ bytes$/m);
    const bytes = readFileSync(out);
    expect(await demux(bytes)).toMatchObject({ codec: 'vp9', packets: 4 });
    // The same frames as the page records for that scene (frame-exact, both from step 0).
    const page1 = await page.evaluate(async () => {
      const e = window.etascape!;
      await e.loadScene('stability-limit');
      await e.explorer.apply({ views: [] });
      const blob = (await e.record({ width: 320, height: 180, fps: 10, steps: 3, stepsPerFrame: 1, format: 'webm', layout: '3d+sweep', orbit: 40 }))!; // a Blob: no writer was given
      await e.explorer.apply({ views: [] });
      return (await e.video.inspect(blob)).hashes;
    });
    const fromCli = await page.evaluate(async (b64) => {
      const bin = atob(b64);
      return (await window.etascape!.video.inspect(new Blob([Uint8Array.from(bin, (c) => c.charCodeAt(0))]))).hashes;
    }, bytes.toString('base64'));
    expect(fromCli).toEqual(page1);
  });

  test('an unknown scene exits 2 and lists the scenes', () => {
    const r = cli(['record', '--out', join(dir, 'scene.mp4'), '--scene', 'no-such-scene']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^etascape: --scene: unknown scene 'no-such-scene': use a number 1-\d+ or one of one-step, /);
  });
});
