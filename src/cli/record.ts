// `etascape record`: a video of a scene or a state, made by the page itself (the built
// app in headless Chromium, WebGPU and WebCodecs) with window.etascape.record: the same
// frame-exact file the page's Record button makes.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Page } from 'playwright-core';
import { FORMAT_CODECS, planRecording, RECORD_FORMATS, RECORD_LAYOUTS, RecordOptionError, type RecordPlan } from '../model/record-options';
import { findScene } from '../model/scenes';
import { buildRun } from '../model/setup';
import { decodeHash, encodeHash, importJson, type Loaded } from '../model/share';
import { DEFAULT_STATE, type ExplorerState } from '../model/state';
import { defineFlags, formatFlags, parseSchema, UsageError, type FlagValues } from './args';
import { appDir, chromiumPath, launchChromium, saveBlob, serveStatic } from './browser';
import { checkOutputPath } from './output';
import { startProgress } from './progress';

const FLAGS = defineFlags({
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.mp4|FILE.webm',
    ext: ['.mp4', '.webm'],
    help: 'the video file to write (its extension picks the container)',
    required: '--out FILE.mp4 or FILE.webm is required',
  },
  scene: { name: 'scene', kind: 'string', meta: 'NAME|N', help: "a lecture scene, by name or number (the page's Scenes folder)" },
  state: { name: 'state', kind: 'string', meta: 'FILE.json', help: 'a state file exported from the page (Share > export state)' },
  hash: { name: 'hash', kind: 'string', meta: '#s=...|URL', help: 'a shared link, or its #s=... part' },
  width: { name: 'width', kind: 'int', meta: 'W', help: 'video width in pixels (even)', defaultText: '1280' },
  height: { name: 'height', kind: 'int', meta: 'H', help: 'video height in pixels (even)', defaultText: '720' },
  fps: { name: 'fps', kind: 'int', meta: 'F', help: 'frames per second: 24, 30, 60 (any whole number up to 120)', defaultText: '30' },
  seconds: { name: 'seconds', kind: 'number', meta: 'T', help: 'length in seconds (T x fps frames)', defaultText: '10' },
  steps: { name: 'steps', kind: 'int', meta: 'N', help: 'length in steps instead: frames showing steps 0, S, 2S, ... up to N' },
  stepsPerFrame: { name: 'steps-per-frame', kind: 'int', meta: 'S', help: 'optimizer steps between frames', defaultText: "the state's steps per frame" },
  format: {
    name: 'format',
    kind: 'string',
    meta: RECORD_FORMATS.join('|'),
    help: 'H.264 MP4, VP9 WebM, AV1 in MP4 or WebM',
    defaultText: 'from --out: mp4 or webm',
  },
  layout: {
    name: 'layout',
    kind: 'string',
    meta: 'L',
    help: `what a frame shows: 3d, 3d+VIEW (the 3-D view and a view side by side) or VIEW alone; VIEW: ${RECORD_LAYOUTS.filter((l) => !l.includes('3d')).join(', ')}`,
    defaultText: '3d',
  },
  orbit: { name: 'orbit', kind: 'number', meta: 'DEGREES', help: 'turn the camera around the surface by DEGREES over the video (b-roll)', defaultText: '0' },
});

export function recordHelp(): string {
  return `Usage: etascape record --out FILE.mp4|FILE.webm [--scene NAME | --state FILE.json | --hash LINK]
                       [--width W] [--height H] [--fps F] [--seconds T | --steps N]
                       [--steps-per-frame S] [--format ${RECORD_FORMATS.join('|')}]
                       [--layout 3d|3d+VIEW|VIEW] [--orbit DEGREES]

Records a video of a scene, of a saved state, or of the default state: the built app
(dist/app) runs in the system's headless Chromium (${chromiumPath()}, or
$CHROMIUM_PATH) with WebGPU, and its window.etascape.record makes the file. Frame k
shows exactly the state after k x S steps from the start, whatever the machine's
speed; frame k is at k / fps seconds; a view in the layout (e.g. --layout 3d+sweep) is
brought up to that very state before the frame is drawn. Common sizes: 1280x720,
1920x1080, 3840x2160.
Formats this machine's Chromium cannot encode are refused with the list of those it can.
A progress bar shows on a terminal.

Flags:
${formatFlags(FLAGS)}`;
}

/**
 * What this command uses of the page's window.etascape (set by src/app/main.ts), and the
 * two globals it adds to pass progress and the video across page.evaluate.
 */
interface RecordingPage {
  etascape?: {
    ready?: boolean;
    loadScene(name: string): Promise<string | null>;
    explorer: { apply(patch: { views: never[] }): Promise<unknown> };
    formats(width: number, height: number, fps: number): Promise<{ format: string; available: boolean }[]>;
    record(options: object): Promise<Blob>;
  };
  __etascapeRecordProgress(p: object): void;
  __etascapeVideo?: Blob;
}

/** The option's flag in a message from planRecording ('width must ...' -> '--width must ...'). */
function asFlags(e: RecordOptionError): UsageError {
  const msg = e.message.replace(
    /^(width|height|fps|format|seconds|steps|stepsPerFrame|layout|orbit)\b/,
    (m) => `--${m === 'stepsPerFrame' ? 'steps-per-frame' : m}`,
  );
  return new UsageError(msg.replace('give seconds or steps', 'give --seconds or --steps'));
}

/** The state to record from --state or --hash, checked here before any browser starts. */
function givenState(flags: FlagValues<typeof FLAGS>): ExplorerState | null {
  let loaded: Loaded;
  let what: string;
  if (flags.state !== undefined) {
    const path = flags.state;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`--state: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    loaded = importJson(text);
    what = '--state';
  } else if (flags.hash !== undefined) {
    const text = flags.hash;
    const i = text.indexOf('#');
    loaded = decodeHash(i >= 0 ? text.slice(i) : `#${text}`);
    what = '--hash';
  } else {
    return null;
  }
  if ('error' in loaded) throw new UsageError(`${what}: ${loaded.error}`);
  try {
    buildRun(loaded.state, 1);
  } catch (e) {
    throw new UsageError(`${what}: these settings cannot run: ${(e as Error).message}`);
  }
  return loaded.state;
}

export async function recordCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: flags, help } = parseSchema(argv, FLAGS);
  if (help) {
    out(recordHelp());
    return 0;
  }
  const outPath = flags.out;
  const ext = extname(outPath).toLowerCase();
  const format = flags.format ?? ext.slice(1);
  const known = RECORD_FORMATS.find((f) => f === format);
  if (known && `.${FORMAT_CODECS[known].container}` !== ext) {
    throw new UsageError(`--format ${format} writes ${FORMAT_CODECS[known].container.toUpperCase()}, but --out ends in ${ext}`);
  }
  const sources = (['scene', 'state', 'hash'] as const).filter((k) => flags[k] !== undefined);
  if (sources.length > 1) throw new UsageError(`give one of --scene, --state, --hash, not ${sources.map((s) => `--${s}`).join(' and ')}`);
  const { width, height, fps, seconds, steps, stepsPerFrame, layout, orbit } = flags;
  const request = { width, height, fps, seconds, steps, stepsPerFrame, format, layout, orbit };
  let plan: RecordPlan;
  try {
    plan = planRecording(request, 1); // checked again in the page with the state's steps per frame
  } catch (e) {
    throw e instanceof RecordOptionError ? asFlags(e) : e;
  }
  const state = givenState(flags);
  const scene = flags.scene;
  if (scene !== undefined) {
    try {
      findScene(scene);
    } catch (e) {
      throw new UsageError(`--scene: ${(e as Error).message}`);
    }
  }
  checkOutputPath(outPath, '--out');
  const dir = appDir();

  const browser = await launchChromium();
  const server = await serveStatic(dir);
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 540 }, acceptDownloads: true });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Only the layout's view is open: the others never appear in the video.
    const views = plan.layout.view ? [plan.layout.view] : [];
    const hash = encodeHash({ ...(state ?? DEFAULT_STATE), views });
    await page.goto(server.url + hash);
    await page
      .waitForFunction(() => (window as unknown as RecordingPage).etascape?.ready === true, null, { timeout: 180_000 })
      .catch(() => {
        throw new Error(`the app did not start in Chromium${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
      });
    if (scene !== undefined) await loadScene(page, scene, views);
    await checkFormat(page, plan);
    return await recordInPage(page, plan, request, outPath, out);
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
}

async function loadScene(page: Page, name: string, views: string[]): Promise<void> {
  const error = await page.evaluate(
    async ([n, v]) => {
      const e = (window as unknown as RecordingPage).etascape!;
      const problem = await e.loadScene(n);
      if (!problem) await e.explorer.apply({ views: v as never[] });
      return problem;
    },
    [name, views] as const,
  );
  if (error) throw new Error(`the scene '${name}' could not be loaded: ${error}`);
}

async function checkFormat(page: Page, plan: RecordPlan): Promise<void> {
  const formats = await page.evaluate(([w, h, fps]) => (window as unknown as RecordingPage).etascape!.formats(w, h, fps), [plan.width, plan.height, plan.fps]);
  if (!formats.find((f) => f.format === plan.format)?.available) {
    const can = formats.filter((f) => f.available).map((f) => f.format);
    throw new UsageError(
      `--format ${plan.format}: this Chromium cannot encode ${FORMAT_CODECS[plan.format].label} at ${plan.width}x${plan.height}; it can: ${can.join(', ') || 'none'}`,
    );
  }
}

async function recordInPage(page: Page, plan: RecordPlan, request: object, outPath: string, out: (s: string) => void): Promise<number> {
  let bar: ReturnType<typeof startProgress> | null = null;
  let frames = 0;
  await page.exposeFunction('__etascapeRecordProgress', (p: { frame: number; frames: number }) => {
    bar ??= startProgress('etascape record', p.frames, 'frames');
    bar.update(p.frame);
    frames = p.frame;
  });
  let result: { size: number; type: string };
  try {
    result = await page.evaluate(async (opts) => {
      const w = window as unknown as RecordingPage;
      const blob = await w.etascape!.record({ ...opts, onProgress: (p: object) => w.__etascapeRecordProgress(p) });
      w.__etascapeVideo = blob;
      return { size: blob.size, type: blob.type };
    }, request);
  } catch (e) {
    // The page's message without playwright's wrapping.
    const msg = (e as Error).message.replace(/^page\.evaluate: (\w*Error: )?/, '').split('\n')[0];
    throw new Error(`recording failed: ${msg}`, { cause: e });
  } finally {
    (bar as ReturnType<typeof startProgress> | null)?.stop();
  }
  // The file leaves the page as a download: written to disk as it streams, never whole in Node.
  await saveBlob(page, '__etascapeVideo', outPath);
  out(
    `wrote ${outPath}: ${frames} frames, ${plan.width}x${plan.height} at ${plan.fps} fps (${(frames / plan.fps).toFixed(2)} s), ${FORMAT_CODECS[plan.format].label}, layout ${layoutName(plan)}, ${result.size} bytes`,
  );
  return 0;
}

function layoutName(plan: RecordPlan): string {
  const { scene, view } = plan.layout;
  return [scene ? '3d' : null, view].filter(Boolean).join('+') + (plan.orbit ? `, orbit ${plan.orbit}°` : '');
}
