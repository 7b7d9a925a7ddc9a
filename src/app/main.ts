// The page: builds the explorer, the panel and the overlays, and wires keys and clicks.

import { Explorer } from './explorer';
import { ControlPanel } from './gui';
import { renderHud, renderInspect, renderLegend, renderNotice } from './overlay';
import { DEFAULT_STATE } from './state';
import { LrPreview } from '../views/lr-preview';

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
    renderLegend(legend, { title: 'status', entries: [['#a6bff2', 'running'], ['#4dd966', 'converged'], ['#f24d40', 'diverged'], ['#e64de6', 'non-finite']] });
  } else {
    renderLegend(legend, { title: 'learning rate η (log)', min: s.lrMin, max: s.lrMax, colormap: s.particleColormap });
  }
}

let ready: Explorer | undefined;
let panel: ControlPanel | undefined;
const explorer = await Explorer.create(canvas, { ...DEFAULT_STATE }, {
  notice: (text) => renderNotice(notice, text),
  frame: (stats) => renderHud(hud, stats),
  rebuilt: () => ready && drawLegend(ready),
  changed: () => {
    if (ready) {
      drawLegend(ready);
      drawPreview(ready);
    }
    panel?.sync();
  },
}).catch((e: Error) => {
  renderNotice(notice, `etascape could not start: ${e.message}`);
  throw e;
});
ready = explorer;
drawLegend(explorer);
drawPreview(explorer);
panel = new ControlPanel(explorer);

addEventListener('resize', () => explorer.resize());
addEventListener('keydown', (e) => {
  if ((e.target as HTMLElement).closest('input, textarea, select')) return;
  if (e.key === ' ') {
    e.preventDefault();
    if (explorer.playing) explorer.pause();
    else explorer.play();
  } else if (e.key === 'ArrowRight') explorer.stepOnce();
  else if (e.key === 'r' || e.key === 'R') void explorer.reset();
});

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

/** Automation and tests: the live explorer and its controls. */
Object.assign(window, { etascape: { explorer, panel, preview, defaults: DEFAULT_STATE, ready: true } });
