// The page: builds the explorer, the panel and the overlays, wires keys and clicks, and
// fills window.etascape (its type: automation.ts).

import { Explorer, type FrameStats } from './explorer';
import { decodeHash, encodeHash, exportJson, importJson, type Loaded } from '../model/share';
import { ControlPanel } from './gui';
import { renderHud, renderInspect, renderLegend, renderNotice } from './overlay';
import { buildRun } from '../model/setup';
import { DEFAULT_STATE } from '../model/state';
import { LrPreview } from '../views/lr-preview';
import { ViewDriver } from './view-driver';
import { Lecture, lectureKeys } from './lecture';
import { ALL_SCENES } from '../model/scenes';
import type { EtascapeApi } from './automation';
import { hashPixels } from './pixel-hash';
import { RecordPanel } from './record-panel';
import { downloadBlob } from '../views/export';

const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const canvas = $<HTMLCanvasElement>('#view');
const hud = $('#hud');
const legend = $('#legend');
const notice = $('#notice');
const inspect = $('#inspect');
const preview = new LrPreview($('#lr-preview'));
const drawPreview = (ex: Explorer) => preview.update({ schedule: ex.state.schedule, lrMin: ex.state.lrMin, lrMax: ex.state.lrMax });

function drawLegend(ex: Explorer): void {
  const s = ex.state;
  if (s.colorBy === 'status') {
    renderLegend(legend, {
      title: 'status',
      entries: [
        ['#a6bff2', 'running'],
        ['#4dd966', 'converged'],
        ['#f24d40', 'diverged'],
        ['#e64de6', 'non-finite'],
      ],
    });
  } else {
    renderLegend(legend, { title: 'learning rate η (log)', min: s.lrMin, max: s.lrMax, colormap: s.particleColormap });
  }
}

/** The page's parts, set once the explorer runs (its events may fire before that). */
const parts: { explorer?: Explorer; panel?: ControlPanel; views?: ViewDriver; lecture?: Lecture } = {};
let hashTimer = 0;
const events = {
  notice: (text: string | null) => renderNotice(notice, text),
  frame: (stats: FrameStats) => {
    renderHud(hud, stats);
    parts.views?.frame(performance.now());
    parts.lecture?.update();
  },
  rebuilt: () => {
    if (parts.explorer) drawLegend(parts.explorer);
    parts.views?.rebuilt();
  },
  changed: () => {
    const ready = parts.explorer;
    if (ready) {
      drawLegend(ready);
      drawPreview(ready);
      // The link always describes what is on screen (debounced: orbiting fires often).
      clearTimeout(hashTimer);
      hashTimer = window.setTimeout(() => history.replaceState(null, '', encodeHash(ready.state)), 300);
    }
    parts.lecture?.changed();
    parts.panel?.sync();
    parts.views?.sync();
  },
};

/** A shared link's state, or the default with a notice saying what was wrong with the link. */
async function start(): Promise<Explorer> {
  const linked = decodeHash(location.hash);
  if ('state' in linked) {
    try {
      buildRun(linked.state, 1); // a bad expression or value fails here, before the canvas is taken
      // Over the budget on this device: the default runs instead, and the notice says why.
      const ex = await Explorer.create(canvas, linked.state, events, navigator.gpu, { ...DEFAULT_STATE });
      if (ex.refused) linkProblem = `This link's settings could not run here (${ex.refused}); showing the default scene.`;
      return ex;
    } catch (e) {
      if (location.hash === '' || location.hash === '#') throw e;
      linkProblem = `This link's settings could not run (${(e as Error).message}); showing the default scene.`;
    }
  } else {
    linkProblem = `This link could not be loaded: ${linked.error}. Showing the default scene.`;
  }
  return Explorer.create(canvas, { ...DEFAULT_STATE }, events);
}
let linkProblem: string | null = null;
const explorer = await start().catch((e: Error) => {
  renderNotice(notice, `etascape could not start: ${e.message}`);
  throw e;
});
if (linkProblem) renderNotice(notice, linkProblem);
parts.explorer = explorer;
const views = (parts.views = new ViewDriver($('#views'), explorer, (p, curve) =>
  renderInspect(inspect, p, curve, p.minimum === null ? null : (explorer.surface?.minima[p.minimum]?.name ?? null), 'probe (clicked in a view)'),
));
views.rebuilt();
const lecture = (parts.lecture = new Lecture(explorer, $<HTMLCanvasElement>('#annotations')));

/** Loads a state from a link or a file: on a problem, says what it was and keeps the current one. */
async function load(r: Loaded, source: string): Promise<string | null> {
  const error = 'error' in r ? r.error : await explorer.apply(r.state);
  const adjusted = explorer.adjustment ? `The ${source} was loaded, changed to fit this device: ${explorer.adjustment}.` : null;
  renderNotice(notice, error ? `The ${source} could not be loaded: ${error}` : adjusted);
  return error;
}
addEventListener('hashchange', () => void load(decodeHash(location.hash), 'link'));
drawLegend(explorer);
drawPreview(explorer);
const panel = (parts.panel = new ControlPanel(
  explorer,
  {
    exportJson: () => downloadBlob('etascape-state.json', new Blob([exportJson(explorer.state)], { type: 'application/json' })),
    importJson: async (text: string) => load(importJson(text), 'state file'),
    link: () => new URL(encodeHash(explorer.state), location.href).href,
  },
  {
    load: (id: string) => lecture.loadScene(id),
    togglePresentation: () => lecture.setPresentation(!lecture.presenting),
    current: () => lecture.scene?.id ?? null,
  },
));
lecture.onChange(() => panel.sync());
// The panel goes to the right column, under the η(t) chart.
panel.gui.domElement.classList.remove('autoPlace');
$('#lr-preview').after(panel.gui.domElement);

// The canvas fills what the docks leave: any change of the stage's size resizes it.
const stage = $('#stage');
new ResizeObserver(() => {
  explorer.resize();
  lecture.update();
}).observe(stage);
dragSplitter($('#splitter'), $('#app'));

/** Dragging the splitter sets the views dock's height (between 120 px and 75% of the window). */
function dragSplitter(handle: HTMLElement, app: HTMLElement): void {
  let from: { y: number; h: number } | null = null;
  handle.addEventListener('pointerdown', (e) => {
    from = { y: e.clientY, h: $('#views').getBoundingClientRect().height };
    handle.setPointerCapture(e.pointerId);
  });
  handle.addEventListener('pointermove', (e) => {
    if (!from) return;
    const h = Math.max(120, Math.min(innerHeight * 0.75, from.h - (e.clientY - from.y)));
    app.style.setProperty('--dock-h', `${Math.round(h)}px`);
  });
  const end = () => (from = null);
  handle.addEventListener('pointerup', end);
  handle.addEventListener('pointercancel', end);
}

addEventListener('resize', () => explorer.resize());
addEventListener('keydown', (e) => {
  if ((e.target as HTMLElement).closest('input, textarea, select')) return;
  if (e.key === ' ') {
    e.preventDefault();
    if (explorer.playing) explorer.pause();
    else explorer.play();
  } else if (e.key === 'ArrowRight') explorer.stepOnce();
  else if (e.key === 'r' || e.key === 'R') void explorer.reset();
  else if (e.key === 'f' || e.key === 'F') void explorer.frameView();
});
addEventListener(
  'keydown',
  lectureKeys(lecture, (error) => error && renderNotice(notice, error)),
);

// On the container: the explorer may replace its canvas (GPU lost for good -> WebGL2).
const container = canvas.parentElement!;
let down: { x: number; y: number } | null = null;
container.addEventListener('pointerdown', (e) => (down = e.target === explorer.canvasElement ? { x: e.clientX, y: e.clientY } : null));
container.addEventListener('pointerup', async (e) => {
  // A click, not the end of an orbit drag.
  if (!down || e.target !== explorer.canvasElement || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return;
  const rect = explorer.canvasElement.getBoundingClientRect();
  const hit = await explorer.pick(e.clientX - rect.left, e.clientY - rect.top);
  if (!hit) {
    inspect.hidden = true;
    return;
  }
  const minimum = hit.particle.minimum === null ? null : (explorer.surface?.minima[hit.particle.minimum]?.name ?? null);
  renderInspect(inspect, hit.particle, hit.curve, minimum);
});

/** The panel's Record folder: videos and PNG snapshots of what is on screen, annotations included. */
const recordPanel = new RecordPanel(panel.gui, explorer, { save: downloadBlob, annotations: () => lecture.annotations(), views });

/** Automation and tests: the live explorer and its controls (typed in automation.ts). */
const api: EtascapeApi = {
  ready: true,
  explorer,
  panel,
  preview,
  views,
  lecture,
  defaults: DEFAULT_STATE,
  recordPanel,
  // The recorder and the decoder (mediabunny) load on first use.
  record: async (options) => (await import('./recorder')).record(explorer, { annotations: () => lecture.annotations(), views, ...options }),
  snapshot: async (options) => (await import('./recorder')).snapshot(explorer, { annotations: () => lecture.annotations(), views, ...options }),
  formats: async (width, height, fps) => (await import('./recorder')).supportedFormats(width, height, fps),
  video: {
    inspect: async (blob) => (await import('./video-check')).inspectVideo(blob),
    compare: async (a, b) => (await import('./video-check')).compareVideos(a, b),
    frame: async (blob, k) => (await import('./video-check')).videoFrame(blob, k),
    hashPixels,
  },
  scenes: ALL_SCENES,
  loadScene: (id) => lecture.loadScene(id),
  setState: (change) => lecture.setState(change),
  step: (k) => lecture.step(k),
  annotations: () => lecture.annotations(),
  presentation: (on) => {
    lecture.setPresentation(on ?? !lecture.presenting);
    return lecture.presenting;
  },
  share: { encodeHash, decodeHash, exportJson, importJson, load },
};
window.etascape = api;
