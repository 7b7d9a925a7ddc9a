// `etascape record-zoom`: a keyframed zoom into a map, from its whole window to a point,
// as a video. Frame k's window is the first one shrunk about the point by depth^(k/(N-1))
// on each axis (in log10 units on a log axis): a constant zoom speed, the point fixed on
// screen. Each frame is a full map at its window made by the `map` command itself (its
// PNG, read back), so a frame's map pixels are exactly what `map --out` writes for that
// window; the frame adds a caption band (window, zoom factor, precision). A network map's
// frame draws map --model's pixels as a figure (axes, ticks, legend) at a whole number
// of screen pixels per network.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlags, flagKey, formatFlags, parseSchema, UsageError, type FlagValues } from './args';
import { chromiumPath } from './browser';
import { parseAxisSpec } from './map';
import { checkOutputPath, writeOutput } from './output';
import { startProgress } from './progress';
import { shardOf, shardPart, tileDone, tileParams, writeTile, SHARD_FLAGS } from './shard';
import { F32_MIN_RELATIVE_WIDTH } from '../core/nn/precision';
import { CAPTION, composeFrame, framePng, relativeWidth, writeZoomVideo, zoomWindows, type FrameJob, type ZoomAxis, type ZoomFrame } from './zoom-frames';

/** More frames than this is a mistake: each frame is a full map (10,000 frames are 5.5 minutes at 30 fps). */
const MAX_ZOOM_FRAMES = 10_000;
/** df64 keeps every status down to a window 6e-13 wide and fails at 6e-15 (2^-48): deeper is refused. */
const DF64_MIN_RELATIVE_WIDTH = 1e-12;

const FLAGS = defineFlags({
  to: { name: 'to', kind: 'numbers', arity: 2, meta: 'X,Y', help: 'the point zoomed into, in axis units (inside the --x, --y window; required)' },
  depth: {
    name: 'depth',
    kind: 'number',
    meta: 'D',
    help: "the last frame's window width as a fraction of the first's, 0 < D < 1 (e.g. 1e-9; required)",
  },
  frames: {
    name: 'frames',
    kind: 'int',
    min: 2,
    max: MAX_ZOOM_FRAMES,
    maxWhy: 'each frame is a full map',
    meta: 'N',
    help: 'frames of the video',
    default: 60,
  },
  fps: { name: 'fps', kind: 'int', min: 1, max: 120, maxWhy: 'the recorder allows up to 120', meta: 'F', help: 'frames per second', default: 30 },
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.mp4|FILE.webm',
    ext: ['.mp4', '.webm'],
    help: 'the video (H.264 MP4 or VP9 WebM; required, except with --shard)',
  },
  size: {
    name: 'size',
    kind: 'numbers',
    arity: 2,
    meta: 'W,H',
    help: 'frame size in pixels, even, W >= 200, H >= 228 (the figure and a caption band)',
    default: [960, 540],
  },
  precision: {
    name: 'precision',
    kind: 'choice',
    choices: ['auto', 'f32', 'df64'],
    meta: 'auto|f32|df64',
    help: `per frame; auto: df64 from the first frame whose window is narrower than float32 resolves (${F32_MIN_RELATIVE_WIDTH} of the axis value)`,
    default: 'auto',
  },
  framesDir: { name: 'frames-dir', kind: 'string', meta: 'DIR', help: 'also write each frame before encoding, as DIR/frame-00000.png ...' },
  ...SHARD_FLAGS,
});

const MINE = new Set(Object.values(FLAGS).map((f) => flagKey(f.name)));
/** The map's flags that record-zoom sets per frame. */
const HELD = new Set(['x', 'y', 'csv']);

export function recordZoomHelp(): string {
  return `Usage: etascape record-zoom MAP_FLAGS --to X,Y --depth D --out FILE.mp4|FILE.webm
                            [--frames N] [--fps F] [--size W,H] [--precision auto|f32|df64] [--frames-dir DIR]

A zoom video into a map (etascape help map; map --model for a network map): frame k
(0 .. N-1) is the map, with every MAP_FLAG as given, at the window of --x and --y shrunk
about the point X,Y by D^(k/(N-1)) on each axis (in log10 units on a log axis): a
constant zoom speed from the whole window to a window D times as wide. Each frame is
computed by the map command itself, so its map pixels are exactly what 'etascape map
... --out' writes for that window; under the figure (axes, ticks, legend) a band gives
the window, the zoom factor and the precision. The video is encoded by the system's
headless Chromium (WebCodecs).

Precision: a frame runs in df64 (etascape help map, map --model) where its window is
narrower than float32 resolves, surface and network maps alike; anything map
--precision df64 refuses is refused before the first frame.

With --shard K/N --tile FILE.tile, computes only frames floor(K F/N) .. floor((K+1) F/N) - 1
as a tile; 'etascape merge TILE... --out FILE.mp4' writes the video the unsharded
command writes (the same frames).

Flags:
${formatFlags(FLAGS)}

Examples:
  etascape record-zoom --model mlp:4,4,1:tanh:mean-field:gain=sqrt2 --x lr_layer0:1:100:log --y lr_layer1:1:100:log \\
      --res 64 --steps 60 --measure fractal --engine gpu --to 15.514,12 --depth 1e-9 --frames 300 --out zoom.mp4
  etascape record-zoom --surface quadratic --x lr:1e-3:1:log --y momentum:0:0.99 --res 128 --steps 200 \\
      --to 0.1,0.9 --depth 1e-3 --frames 120 --out zoom.webm`;
}

/** `PARAM:MIN:MAX[:log|lin]`, as map reads it (map itself checks the rest). */
function parseAxis(text: string, flag: string): ZoomAxis {
  const { param, min, max, scale } = parseAxisSpec(text, flag);
  return { param, min, max, scale: scale ?? 'linear' };
}

/** Splits argv into record-zoom's own flags, the map's, and the map's --x and --y held apart. */
function splitArgv(argv: string[]): { mine: string[]; map: string[]; held: Map<string, string> } {
  const mine: string[] = [];
  const map: string[] = [];
  const held = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const eq = tok.indexOf('=');
    const key = tok.startsWith('--') ? flagKey(eq >= 0 ? tok.slice(2, eq) : tok.slice(2)) : '';
    if (HELD.has(key)) {
      held.set(key, eq >= 0 ? tok.slice(eq + 1) : (argv[++i] ?? ''));
      continue;
    }
    const to = MINE.has(key) ? mine : map;
    to.push(tok);
    // Every flag of record-zoom's own takes a value.
    if (MINE.has(key) && eq < 0 && i + 1 < argv.length) to.push(argv[++i]);
  }
  return { mine, map, held };
}

// ---------------------------------------------------------------- command

function checkSize(size: number[]): [number, number] {
  const [w, h] = size;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w % 2 || h % 2 || w < 200 || h < 200 + CAPTION || w > 7680 || h > 7680)
    throw new UsageError(
      `--size: even whole numbers, W in 200..7680 and H in ${200 + CAPTION}..7680 (the figure and a ${CAPTION}-pixel caption), got ${size.join(',')}`,
    );
  return [w, h];
}

/** The frames' precision, or a refusal (one line). */
function planPrecision(flags: FlagValues<typeof FLAGS>, windows: ZoomFrame[]): ('f32' | 'df64')[] {
  const deepest = relativeWidth(windows[windows.length - 1]);
  if (deepest < DF64_MIN_RELATIVE_WIDTH)
    throw new UsageError(
      `--depth ${flags.depth}: the last window is ${deepest.toPrecision(2)} of the axis value wide, deeper than df64 resolves (${DF64_MIN_RELATIVE_WIDTH})`,
    );
  const p = flags.precision;
  if (p !== 'auto') return windows.map(() => p);
  const first = windows.findIndex((w) => relativeWidth(w) < F32_MIN_RELATIVE_WIDTH);
  return windows.map((_, k) => (first >= 0 && k >= first ? 'df64' : 'f32'));
}

/** `etascape record-zoom`; with `merged`, the frames (PNG bytes) come from tiles instead of runs. */
export async function recordZoomCommand(argv: string[], out: (s: string) => void, err: (s: string) => void, merged?: Uint8Array[]): Promise<number> {
  const split = splitArgv(argv);
  if (argv.includes('--help') || argv.includes('-h')) {
    out(recordZoomHelp());
    return 0;
  }
  const { values: flags } = parseSchema(split.mine, FLAGS);
  const xText = split.held.get('x');
  const yText = split.held.get('y');
  if (xText === undefined || yText === undefined) throw new UsageError("record-zoom needs the map's --x and --y (PARAM:MIN:MAX[:log|lin])");
  if (split.held.has('csv')) throw new UsageError("--csv: record-zoom writes a video; run 'etascape map' at a frame's window for its rows");
  if (flags.to === undefined || flags.depth === undefined)
    throw new UsageError('record-zoom needs --to X,Y (the point) and --depth D (the last window width, as a fraction)');
  const x = parseAxis(xText, '--x');
  const y = parseAxis(yText, '--y');
  const [tx, ty] = flags.to;
  if (!(tx >= x.min && tx <= x.max && ty >= y.min && ty <= y.max))
    throw new UsageError(`--to ${tx},${ty}: the point must lie inside the window (${x.param} ${x.min}..${x.max}, ${y.param} ${y.min}..${y.max})`);
  const depth = flags.depth;
  if (!(depth > 0 && depth < 1)) throw new UsageError(`--depth: the last window's width as a fraction of the first's, 0 < D < 1, got ${depth}`);
  const size = checkSize(flags.size);
  const network = split.map.some((t) => t === '--model' || t.startsWith('--model='));
  const windows = zoomWindows(x, y, [tx, ty], depth, flags.frames);
  const precisions = planPrecision(flags, windows);
  const sharded = shardOf(flags);
  if (sharded) {
    if (flags.out !== undefined || flags.framesDir !== undefined) throw new UsageError('--shard writes only its --tile: give --out to etascape merge');
    checkOutputPath(sharded.tile, '--tile');
  } else if (flags.out === undefined) throw new UsageError('record-zoom needs --out FILE.mp4 or FILE.webm');
  else {
    checkOutputPath(flags.out, '--out');
    // The encoder is Chromium's: refuse before any frame is computed if it is missing.
    if (!existsSync(chromiumPath())) throw new UsageError(`no Chromium at ${chromiumPath()}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const part = sharded ? shardPart(sharded.shard, flags.frames, 'frames') : ([0, flags.frames] as const);
  const params = tileParams('record-zoom', argv);
  if (sharded && tileDone(sharded.tile, params, sharded.shard)) {
    out(`${sharded.tile}: shard ${sharded.shard.k}/${sharded.shard.n} is already done (skipped)`);
    return 0;
  }

  if (merged) {
    if (merged.length !== flags.frames) throw new Error(`the tiles hold ${merged.length} frames, the video ${flags.frames}`);
    out(
      await writeZoomVideo(
        (async function* () {
          yield* merged;
        })(),
        flags.fps,
        flags.out!,
      ),
    );
    return 0;
  }

  const dir = mkdtempSync(join(tmpdir(), 'etascape-zoom-'));
  const job: FrameJob = { network, mapArgv: split.map, x, y, windows, precisions, size, dir };
  try {
    // The deepest frame at one run of one step on the CPU: the map's own checks of every
    // flag (and df64's refusals) before any real work.
    await framePng(job, windows.length - 1, { res: '1', steps: '1', engine: 'cpu' });
    if (flags.framesDir !== undefined) {
      // The windows, to reproduce any frame with 'etascape map' (17 digits: exact doubles).
      const rows = windows.map((w, k) =>
        [k, ...w.x, ...w.y]
          .map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(17)))
          .concat(precisions[k])
          .join(','),
      );
      writeOutput(
        join(flags.framesDir, 'windows.csv'),
        [`frame,${x.param}_min,${x.param}_max,${y.param}_min,${y.param}_max,precision`, ...rows].join('\n') + '\n',
      );
    }
    const t0 = performance.now();
    const frames: Uint8Array[] = [];
    const bar = startProgress('etascape record-zoom', part[1] - part[0], 'frames');
    const pngs = async function* () {
      for (let k = part[0]; k < part[1]; k++) {
        const png = (await composeFrame(job, k, await framePng(job, k))).toBuffer('image/png');
        if (flags.framesDir !== undefined) writeOutput(join(flags.framesDir, `frame-${String(k).padStart(5, '0')}.png`), png);
        bar.update(k + 1 - part[0]);
        yield png;
      }
    };
    try {
      if (sharded) for await (const png of pngs()) frames.push(png);
      // Streamed: each frame goes to the encoder as it is made.
      else out(await writeZoomVideo(pngs(), flags.fps, flags.out!));
    } finally {
      bar.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const df = precisions.indexOf('df64');
    const switchText = df < 0 ? 'f32 throughout' : df === 0 ? 'df64 throughout' : `f32, df64 from frame ${df}`;
    if (sharded) {
      const { shard, tile } = sharded;
      const arrays = Object.fromEntries(frames.map((f, i) => [`frame-${part[0] + i}`, f]));
      writeTile(tile, { params, shard, part: [part[0], part[1]], total: flags.frames, run: { seconds }, arrays });
      err(`etascape record-zoom: shard ${shard.k}/${shard.n} (frames ${part[0]}..${part[1] - 1} of ${flags.frames}), ${seconds.toFixed(2)} s`);
      out(`wrote ${tile} (${frames.length} frames)`);
    } else {
      err(
        `etascape record-zoom: ${flags.frames} frames, zoom ×${(1 / depth).toPrecision(3)} into ${x.param}=${tx}, ${y.param}=${ty}; ${switchText}; ${seconds.toFixed(2)} s`,
      );
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
