// Frame-time benchmark of the explorer page: headless Chromium (WebGPU on whatever
// adapter it finds; SwiftShader here), 1280x720, the default scene at 10^4, 10^5 and
// 10^6 particles with 10 steps per frame. Prints a table and writes JSON.
//
//   npm run bench:frame            (after npm run build:app)
//
// With the screenshot flags (see HEADLESS-WEBGPU.md): without them this Chromium loses
// the WebGPU device right after start. They route compositing through software Vulkan,
// which caps the free-running fps; the compute / render split is GPU time from
// timestamp queries (the wait for onSubmittedWorkDone where there are none, which adds
// the browser's polling delay) and leaves the compositor out.

import { mkdirSync, writeFileSync } from 'node:fs';
import type {} from '../src/app/automation'; // window.etascape's type
import { launch } from '../tests/e2e/browser';
import { serveApp } from '../tests/e2e/server';

const COUNTS = (process.env.BENCH_COUNTS ?? '10000,100000,1000000').split(',').map(Number);
const STEPS_PER_FRAME = 10;
const FRAMES = Number(process.env.BENCH_FRAMES ?? 5);
const out = process.argv[2] ?? 'bench/results/frame.json';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serveApp();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
// tsx (esbuild) wraps named functions in __name(); functions sent to the page need it too.
await page.addInitScript({ content: 'window.__name = (f) => f;' });
// Count every mapAsync the page makes (readbacks), by wrapping the method before load.
await page.addInitScript(() => {
  const w = window as unknown as { __mapAsyncCalls: number };
  w.__mapAsyncCalls = 0;
  const proto = globalThis.GPUBuffer?.prototype;
  if (proto) {
    const original = proto.mapAsync;
    proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
      w.__mapAsyncCalls++;
      return original.apply(this, args);
    };
  }
});
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') console.error('page', m.type(), m.text().slice(0, 300));
});
page.on('pageerror', (e) => console.error('pageerror', e.message));
await page.goto(server.url);
await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 120_000 });
const adapter = await page.evaluate(() => document.querySelector('#hud')?.textContent ?? '');

/**
 * In the page, with the loop paused: `frames` frames of `steps` steps each drawn over the
 * cached surface image, then `frames` frames drawing the surface again too (as when the
 * camera moves), each on its own animation frame and timed by the page's timeFrame.
 */
async function timeFrames([frames, steps]: readonly [number, number]) {
  const ex = window.etascape!.explorer;
  const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
  const wasPlaying = ex.playing;
  ex.pause();
  const computeMs: number[] = [];
  const renderMs: number[] = [];
  const redrawMs: number[] = [];
  let method = '';
  try {
    await ex.timeFrame(0, true); // the surface image cached, pipelines compiled
    for (let f = 0; f < frames; f++) {
      await nextFrame();
      const t = await ex.timeFrame(steps, false);
      computeMs.push(t.computeMs);
      renderMs.push(t.renderMs);
      method = t.method;
    }
    for (let f = 0; f < frames; f++) {
      await nextFrame();
      redrawMs.push((await ex.timeFrame(0, true)).renderMs);
    }
  } finally {
    if (wasPlaying) ex.play();
  }
  return { computeMs, renderMs, redrawMs, method };
}

const rows = [];
for (const n of COUNTS) {
  const error = await page.evaluate(async ([n, k]) => window.etascape!.explorer.apply({ n, stepsPerFrame: k, trails: 0 }), [n, STEPS_PER_FRAME]);
  if (error) throw new Error(error);
  // Free-running frames: the normal loop, with its readback counter.
  const loop = await page.evaluate(async () => {
    const w = window as unknown as { __mapAsyncCalls: number };
    const ex = window.etascape!.explorer;
    ex.play();
    await new Promise((r) => setTimeout(r, 500));
    const calls0 = w.__mapAsyncCalls;
    const steps0 = ex.steps;
    const t0 = performance.now();
    let frames = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        frames++;
        if (performance.now() - t0 < 4000) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    const seconds = (performance.now() - t0) / 1000;
    return { frames, seconds, mapAsync: w.__mapAsyncCalls - calls0, steps: ex.steps - steps0 };
  });
  const split = await page.evaluate(timeFrames, [FRAMES, STEPS_PER_FRAME] as const);
  const row = {
    particles: n,
    stepsPerFrame: STEPS_PER_FRAME,
    frameMs: (loop.seconds * 1000) / loop.frames,
    fps: loop.frames / loop.seconds,
    computeMs: median(split.computeMs),
    renderMs: median(split.renderMs),
    redrawMs: median(split.redrawMs),
    gpuFrameMs: median(split.computeMs) + median(split.renderMs),
    gpuFps: 1000 / (median(split.computeMs) + median(split.renderMs)),
    timing: split.method,
    particleStepsPerSecond: (n * STEPS_PER_FRAME) / (median(split.computeMs) / 1000),
    mapAsyncPerFrame: loop.mapAsync / loop.frames,
    mapAsyncCalls: loop.mapAsync,
    frames: loop.frames,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
// Responsiveness while a hyperparameter map computes in the page (its own particles,
// bounded ticks, one per frame): frame intervals with the map view running at 512^2 x
// 1000 steps, against the same page with no view open.
const intervals = (seconds: number, untilMapDone: boolean) =>
  page.evaluate(
    async ([seconds, untilMapDone]) => {
      const out: number[] = [];
      let last = performance.now();
      const t0 = last;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          out.push(now - last);
          last = now;
          const done = untilMapDone ? !window.etascape!.views.computing('map') : false;
          if (now - t0 < seconds * 1000 && !done) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      return { intervals: out, seconds: (performance.now() - t0) / 1000 };
    },
    [seconds, untilMapDone] as const,
  );
const stats = (xs: number[]) => ({
  frames: xs.length,
  medianMs: median(xs),
  p95Ms: [...xs].sort((a, b) => a - b)[Math.floor(0.95 * (xs.length - 1))],
  maxMs: Math.max(...xs),
});
await page.evaluate(() => window.etascape!.explorer.apply({ n: 1000, stepsPerFrame: 1, trails: 0, views: [] }));
// The switch down from 10^6 particles (buffers freed, pipelines rebuilt) stalls a frame
// for many seconds: the baseline starts once 10 frames have passed.
await page.evaluate(
  () =>
    new Promise<void>((done) => {
      let left = 10;
      const tick = () => (--left <= 0 ? done() : requestAnimationFrame(tick));
      requestAnimationFrame(tick);
    }),
);
const idle = stats((await intervals(5, false)).intervals);
await page.evaluate(() => window.etascape!.explorer.apply({ views: ['map'], mapRes: 512, mapSteps: 1000 }));
const busy = await intervals(180, true);
const mapRow = { mapSize: 512, mapSteps: 1000, mapSeconds: busy.seconds, withMap: stats(busy.intervals.slice(1)), without: idle };
console.log(JSON.stringify(mapRow));
await browser.close();
await server.close();

const fmt = (v: number, d = 1) => v.toFixed(d);
console.log(`\netascape frame benchmark, 1280x720, ${STEPS_PER_FRAME} steps per frame (${adapter.split('\n')[1] ?? ''})`);
console.log(
  `GPU time per frame (${rows[0]?.timing === 'timestamp' ? 'timestamp queries' : 'waiting for the queue'}): compute = ${STEPS_PER_FRAME} steps; render = particles drawn over the cached surface image; redraw = render when the surface must be drawn again (camera moving).`,
);
console.log(
  'The page fps is what headless Chromium shows: its compositing through software Vulkan, not the GPU work, sets it (in one measurement a bare WebGPU canvas that only cleared reached ~10 fps with these flags, ~80 with --disable-gpu-vsync --disable-frame-rate-limit).',
);
console.log('particles   compute ms   render ms   GPU fps   redraw ms   page fps   particle-steps/s   mapAsync/frame');
for (const r of rows) {
  console.log(
    `${String(r.particles).padStart(9)}  ${fmt(r.computeMs, 2).padStart(11)}  ${fmt(r.renderMs, 2).padStart(10)}  ${fmt(r.gpuFps).padStart(8)}  ${fmt(r.redrawMs).padStart(10)}  ${fmt(r.fps).padStart(9)}  ${r.particleStepsPerSecond.toExponential(2).padStart(17)}  ${fmt(r.mapAsyncPerFrame, 3).padStart(15)}`,
  );
}
console.log(
  "mapAsync: the state snapshot for device-loss recovery (4 buffers every 2 s) and the sweep view's small per-bin summary; particles are drawn from GPU buffers.",
);
console.log(
  `\nwhile a 512^2 map of 1000 steps computes in the page (10^3 particles): ${fmt(mapRow.mapSeconds)} s; frame ms median ${fmt(mapRow.withMap.medianMs)}, p95 ${fmt(mapRow.withMap.p95Ms)}, max ${fmt(mapRow.withMap.maxMs)}`,
);
console.log(`the same page without the map: median ${fmt(idle.medianMs)}, p95 ${fmt(idle.p95Ms)}, max ${fmt(idle.maxMs)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ date: new Date().toISOString(), viewport: [1280, 720], stepsPerFrame: STEPS_PER_FRAME, rows, mapWhileRunning: mapRow }, null, 2),
);
console.log(`wrote ${out}`);
