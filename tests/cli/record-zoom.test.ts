// `etascape record-zoom`: a zoom video whose frames are maps made by `map` itself. Checked:
// the video decodes to exactly N frames; the first and last frames before encoding
// (--frames-dir, lossless PNG) hold exactly map --out's pixels at the windows the command
// reports, and those windows shrink by --depth about --to; --precision auto switches to
// df64 at the first window float32 cannot resolve; two shards merged decode to the same
// frames as the unsharded video; bad input exits 2 with one line. The commands run in
// this process (main()), saving a process start-up each.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/commands';
import { mapFigureGeometry } from '../../src/display/map-figure';
import { decodeVideos } from '../../src/cli/zoom-video';
import { F32_MIN_RELATIVE_WIDTH } from '../../src/core/nn/precision';
import { tempDir } from './cli';

const dir = tempDir();
const png = (path: string) => PNG.sync.read(readFileSync(path));
const windows = (frameDir: string) =>
  readFileSync(join(frameDir, 'windows.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [k, x0, x1, y0, y1, precision] = l.split(',');
      return { k: Number(k), x: [Number(x0), Number(x1)], y: [Number(y0), Number(y1)], precision };
    });

/** main() in this process (no process start-up per command): exit code, stdout and stderr lines. */
async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err };
}

/** Runs in this process and expects exit 0, returning stdout and stderr. */
async function run(argv: string[]): Promise<{ out: string; err: string }> {
  const r = await inProcess(argv);
  if (r.code !== 0) throw new Error(`etascape ${argv.join(' ')} exited ${r.code}: ${r.err.join('\n')}`);
  return { out: r.out, err: r.err.join('\n') };
}

const W = 480;
const H = 300;
const CAPTION = 28;
const SURFACE = ['--surface', 'quadratic', '--res', '16', '--steps', '50', '--engine', 'cpu'];
const SX = 'lr:1e-3:1:log';
const SY = 'momentum:0:0.99';
const ZOOM = ['--to', '0.1,0.9', '--depth', '1e-3', '--frames', '4', '--size', `${W},${H}`];

describe('etascape record-zoom', () => {
  test('a surface map: N decoded frames, frames 0 and N-1 are map --out at their windows, shards + merge give the same frames', async () => {
    const frames = join(dir, 'frames');
    const whole = join(dir, 'whole.webm');
    expect((await run(['record-zoom', ...SURFACE, '--x', SX, '--y', SY, ...ZOOM, '--out', whole, '--frames-dir', frames])).out).toMatch(
      /^wrote .*whole\.webm: 4 frames, 480x300 at 30 fps/,
    );
    const ws = windows(frames);
    expect(ws).toHaveLength(4);
    // The windows: the first is --x/--y's; the last is --depth as wide (log10 units on lr), about the point.
    expect(ws[0]).toMatchObject({ x: [1e-3, 1], y: [0, 0.99] });
    const last = ws[3];
    expect((Math.log10(last.x[1]) - Math.log10(last.x[0])) / 3).toBeCloseTo(1e-3, 12);
    expect((last.y[1] - last.y[0]) / 0.99).toBeCloseTo(1e-3, 12);
    expect(last.x[0] < 0.1 && 0.1 < last.x[1] && last.y[0] < 0.9 && 0.9 < last.y[1]).toBe(true);
    // Frames 0 and 3 before encoding: the figure is map --out's PNG, pixel for pixel.
    for (const w of [ws[0], ws[3]]) {
      const ref = join(dir, `map-${w.k}.png`);
      await run([
        'map',
        ...SURFACE,
        '--x',
        `lr:${w.x[0]}:${w.x[1]}:log`,
        '--y',
        `momentum:${w.y[0]}:${w.y[1]}:lin`,
        '--size',
        `${W},${H - CAPTION}`,
        '--out',
        ref,
      ]);
      const a = png(ref);
      const f = png(join(frames, `frame-0000${w.k}.png`));
      expect([f.width, f.height]).toEqual([W, H]);
      expect(Buffer.compare(f.data.subarray(0, a.data.length), a.data), `frame ${w.k}`).toBe(0);
    }
    // Two shards (frames 0-1 and 2-3) and merge: the same decoded frames.
    const tiles = [0, 1].map((k) => join(dir, `zoom-${k}.tile`));
    for (const [k, t] of tiles.entries()) await run(['record-zoom', ...SURFACE, '--x', SX, '--y', SY, ...ZOOM, '--shard', `${k}/2`, '--tile', t]);
    const merged = join(dir, 'merged.webm');
    expect((await run(['merge', ...tiles.reverse(), '--out', merged])).out).toMatch(/4 frames, 480x300/);
    const [a, b] = await decodeVideos([whole, merged]);
    expect(a).toMatchObject({ frames: 4, width: W, height: H, codec: 'vp9' });
    expect(new Set(a.hashes).size).toBe(4);
    expect(b.hashes).toEqual(a.hashes);
    // merge refuses a missing shard.
    const r = await inProcess(['merge', tiles[0], '--out', join(dir, 'x.webm')]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['etascape: merge: 1 of 2 shards missing: 0/2']);
  }, 90_000);

  test('a network map, --precision auto: df64 from the first window float32 cannot resolve; the last frame is map --model --precision df64', async () => {
    const frames = join(dir, 'net');
    const NET = ['--model', 'mlp:4,4,1:tanh:mean-field:gain=sqrt2', '--res', '4', '--steps', '10', '--measure', 'fractal', '--engine', 'cpu'];
    const out = join(dir, 'net.mp4');
    const r = await run([
      'record-zoom',
      ...NET,
      '--x',
      'lr_layer0:1:100:log',
      '--y',
      'lr_layer1:1:100:log',
      '--to',
      '15.514,12',
      '--depth',
      '1e-7',
      '--frames',
      '3',
      '--size',
      `${W},${H}`,
      '--out',
      out,
      '--frames-dir',
      frames,
    ]);
    expect(r.out).toMatch(/: 3 frames, 480x300 at 30 fps .*H\.264 MP4/);
    const ws = windows(frames);
    // Where each window is narrower than float32 resolves (relative to the values), computed here.
    const rel = (w: { x: number[]; y: number[] }) => Math.min((w.x[1] - w.x[0]) / w.x[1], (w.y[1] - w.y[0]) / w.y[1]);
    const first = ws.findIndex((w) => rel(w) < F32_MIN_RELATIVE_WIDTH);
    expect(first).toBe(2); // frame 1's window (1e-7^(1/2) of the first) is still 1.5e-3 of the values wide: float32
    expect(ws.map((w) => w.precision)).toEqual(['f32', 'f32', 'df64']);
    expect(r.err).toMatch(/f32, df64 from frame 2/);
    // The last frame's map: every network's block shows map --model's pixel at that window.
    const last = ws[2];
    const ref = join(dir, 'net-last.png');
    await run([
      'map',
      ...NET,
      '--x',
      `lr_layer0:${last.x[0]}:${last.x[1]}:log`,
      '--y',
      `lr_layer1:${last.y[0]}:${last.y[1]}:log`,
      '--precision',
      'df64',
      '--out',
      ref,
    ]);
    const m = png(ref);
    const f = png(join(frames, 'frame-00002.png'));
    const g = mapFigureGeometry(W, H - CAPTION, { param: 'x', min: 0, max: 1, n: 4 }, { param: 'y', min: 0, max: 1, n: 4 });
    const s = Math.floor(Math.min(g.image.width, g.image.height) / 4); // whole screen pixels per network
    for (let iy = 0; iy < 4; iy++)
      for (let ix = 0; ix < 4; ix++)
        for (const [dx, dy] of [
          [0, 0],
          [s - 1, s - 1],
        ]) {
          const at = 4 * ((g.image.top + iy * s + dy) * W + g.image.left + ix * s + dx);
          expect([...f.data.subarray(at, at + 4)], `network ${ix},${iy}`).toEqual([...m.data.subarray(4 * (iy * 4 + ix), 4 * (iy * 4 + ix) + 4)]);
        }
  }, 90_000);

  test('a surface map, --precision auto: df64 from the first window float32 cannot resolve; that frame is map --precision df64', async () => {
    const frames = join(dir, 'deep');
    const small = ['--surface', 'quadratic', '--res', '4', '--steps', '20', '--engine', 'cpu'];
    const r = await run([
      'record-zoom',
      ...small,
      '--x',
      SX,
      '--y',
      SY,
      '--to',
      '0.1,0.9',
      '--depth',
      '1e-7',
      '--frames',
      '3',
      '--size',
      `${W},${H}`,
      '--out',
      join(dir, 'deep.webm'),
      '--frames-dir',
      frames,
    ]);
    const ws = windows(frames);
    // Frame 1 spans 2e-3 of lr and 3.5e-4 of momentum (float32); frame 2 1e-6 and 1e-7 (df64).
    expect(ws.map((w) => w.precision)).toEqual(['f32', 'f32', 'df64']);
    expect(r.err).toMatch(/f32, df64 from frame 2/);
    const last = ws[2];
    const ref = join(dir, 'deep-last.png');
    await run([
      'map',
      ...small,
      '--x',
      `lr:${last.x[0]}:${last.x[1]}:log`,
      '--y',
      `momentum:${last.y[0]}:${last.y[1]}:lin`,
      '--precision',
      'df64',
      '--size',
      `${W},${H - CAPTION}`,
      '--out',
      ref,
    ]);
    const a = png(ref);
    expect(Buffer.compare(png(join(frames, 'frame-00002.png')).data.subarray(0, a.data.length), a.data)).toBe(0);
  }, 60_000);

  test('bad input exits 2 with one line', async () => {
    const base = ['record-zoom', ...SURFACE, '--x', SX, '--y', SY, '--out', join(dir, 'bad.webm')];
    const cases: [string[], RegExp][] = [
      [['--to', '0.1,0.9', '--depth', '0'], /^etascape: --depth: .*0 < D < 1, got 0$/],
      [['--to', '0.1,0.9', '--depth', '1'], /^etascape: --depth: .*0 < D < 1, got 1$/],
      [['--to', '0.1,0.9', '--depth', '1e-3', '--frames', '0'], /^etascape: --frames must be/],
      [['--to', '2,0.9', '--depth', '1e-3'], /^etascape: --to 2,0\.9: the point must lie inside the window/],
      [['--to', '0.1,0.9', '--depth', '1e-14'], /^etascape: --depth 1e-14: the last window is .* deeper than df64 resolves/],
      [['--to', '0.1,0.9', '--depth', '1e-9', '--sam_rho', '0.1'], /^etascape: --precision df64: SAM is float32 only$/],
      [['--to', '0.1,0.9', '--depth', '1e-3', '--size', '481,300'], /^etascape: --size: even whole numbers/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess([...base, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
    // No Chromium (the encoder): refused before any frame is computed.
    const chromium = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      const r = await inProcess([...base, '--to', '0.1,0.9', '--depth', '1e-3']);
      expect([r.code, ...r.err]).toEqual([2, 'etascape: no Chromium at /nonexistent/chromium: install it (apt-get install chromium) or set CHROMIUM_PATH']);
    } finally {
      if (chromium === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = chromium;
    }
    // df64 where map --model refuses it (relu): one line, before any frame.
    const relu = await inProcess([
      'record-zoom',
      '--model',
      'mlp:4,4,1:relu:mean-field',
      '--x',
      'lr_layer0:1:100:log',
      '--y',
      'lr_layer1:1:100:log',
      '--res',
      '4',
      '--steps',
      '5',
      '--engine',
      'cpu',
      '--to',
      '15,12',
      '--depth',
      '1e-7',
      '--out',
      join(dir, 'relu.mp4'),
    ]);
    expect(relu.code).toBe(2);
    expect(relu.err).toHaveLength(1);
    expect(relu.err[0]).toMatch(/^etascape: --precision df64: .*relu/);
    expect((await run(['help', 'record-zoom'])).out).toMatch(/--depth D/);
  }, 30_000);
});
