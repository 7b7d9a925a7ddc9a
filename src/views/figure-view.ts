// A map figure (src/display/map-figure.ts) in a DOM canvas: hovering a pixel, clicking it,
// and dragging a window to zoom into (with a rubber band while dragging). The map,
// basins and bifurcation views are all such figures.

import type { ViewPanel } from './dock';
import { canvasPng, exportButtons, figureCsv } from './export';
import {
  drawMapFigure,
  mapFigureGeometry,
  pixelAt,
  windowFromDrag,
  type MapAxis,
  type MapFigureGeometry,
  type MapFigureInput,
  type MapPixel,
  type MapWindow,
} from '../display/map-figure';

/** The page's panels are narrow: a slimmer legend than the CLI's figures. */
const PANEL_LEGEND_WIDTH = 160;

export class FigureView {
  readonly canvas = document.createElement('canvas');
  private geometry: MapFigureGeometry | null = null;
  private input: MapFigureInput | null = null;
  private drag: { x: number; y: number; x1: number; y1: number } | null = null;
  onHover: ((p: MapPixel | null) => void) | null = null;
  onClick: ((p: MapPixel) => void) | null = null;
  /** Set for views that zoom: called with the dragged window. */
  onZoom: ((w: MapWindow) => void) | null = null;

  constructor(
    readonly panel: ViewPanel,
    private readonly size: { width: number; height: number },
  ) {
    this.canvas.className = 'figure';
    this.canvas.style.width = `${size.width}px`;
    this.canvas.style.height = `${size.height}px`;
    this.canvas.width = Math.round(size.width * devicePixelRatio);
    this.canvas.height = Math.round(size.height * devicePixelRatio);
    panel.body.appendChild(this.canvas);
    exportButtons(panel, {
      png: () => (this.geometry ? canvasPng(this.canvas) : null),
      csv: () => {
        const d = this.data();
        return d ? figureCsv(d.x, d.y, d.image) : null;
      },
    });
    const at = (e: PointerEvent) => {
      const r = this.canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      const p = at(e);
      this.drag = { x: p.x, y: p.y, x1: p.x, y1: p.y };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      const p = at(e);
      if (this.drag) {
        this.drag.x1 = p.x;
        this.drag.y1 = p.y;
        if (this.onZoom) this.redraw();
      }
      if (this.geometry) this.onHover?.(pixelAt(this.geometry, p.x, p.y));
    });
    this.canvas.addEventListener('pointerleave', () => this.onHover?.(null));
    this.canvas.addEventListener('pointerup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (!d || !this.geometry) return;
      const p = at(e);
      const w = windowFromDrag(this.geometry, d.x, d.y, p.x, p.y);
      if (w && this.onZoom) {
        this.onZoom(w);
        return;
      }
      this.redraw();
      const px = pixelAt(this.geometry, p.x, p.y);
      if (px && !w) this.onClick?.(px);
    });
  }

  /** Draws a figure: the image on axes x, y (n = the image's size along each). */
  show(x: MapAxis, y: MapAxis, input: MapFigureInput): void {
    this.geometry = mapFigureGeometry(this.size.width, this.size.height, x, y, PANEL_LEGEND_WIDTH);
    this.input = input;
    this.redraw();
  }

  /** What it shows (for export): the image and its axes, null before the first show. */
  data(): { x: MapAxis; y: MapAxis; image: MapFigureInput['image'] } | null {
    return this.geometry && this.input ? { x: this.geometry.x, y: this.geometry.y, image: this.input.image } : null;
  }

  get current(): MapFigureGeometry | null {
    return this.geometry;
  }

  private redraw(): void {
    if (!this.geometry || !this.input) return;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    drawMapFigure(ctx, this.geometry, { font: "'DejaVu Sans', sans-serif", ...this.input });
    const d = this.drag;
    if (d && this.onZoom) {
      ctx.strokeStyle = '#ff2d55';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(Math.min(d.x, d.x1), Math.min(d.y, d.y1), Math.abs(d.x1 - d.x), Math.abs(d.y1 - d.y));
      ctx.setLineDash([]);
    }
  }
}
