// The frame: what the canvas shows and when it must be drawn again. The surface mesh,
// and the particles and trails of the live run: drawn by compute passes over a cached
// image of the surface (WebGPU), or as three.js sprites and lines (WebGL2 fallback).

import * as THREE from 'three/webgpu';
import type { Surface } from '../core/surfaces';
import { ParticleSprites } from '../render/particles';
import { ParticleSplat } from '../render/splat';
import { canvasTexture, keepCanvasForCompute } from '../render/three-adapter';
import { TrailLines } from '../render/trails';
import { adaptiveGrid, buildMesh, type MeshData, type SurfaceGrid } from '../render/surface-mesh';
import type { ExplorerState } from '../model/state';
import type { Graphics } from './graphics';
import type { LiveRun } from './runs';

/** Frames drawn after a change though nothing steps (three may compile pipelines late). */
const SETTLE_FRAMES = 8;

export type Highlight = { binning: { div: number; mod: number }; bin: number } | null;

export class Frame {
  /** The surface as drawn (its mapping places particles, picks and probes). */
  mesh: MeshData | null = null;
  /** Particles as sprites drawn by three.js: the WebGL2 (CPU engine) path. */
  private sprites: ParticleSprites | null = null;
  private trailLines: TrailLines | null = null;
  /** The sprites' and trail lines' colour buffers (rewritten when the colormap changes). */
  private spriteColors: THREE.StorageInstancedBufferAttribute | null = null;
  private trailColors: THREE.StorageInstancedBufferAttribute | null = null;
  /** Particles and trails drawn by compute over a cached surface image: the WebGPU path. */
  private splat: ParticleSplat | null = null;
  /** Camera and size the cached surface image was drawn with. */
  private backgroundKey = '';
  /** Frames still to draw though no step runs. */
  private dirty = SETTLE_FRAMES;
  /** Of those, frames whose surface image must be drawn again (not for a highlight). */
  private surfaceDirty = SETTLE_FRAMES;

  constructor(private readonly graphics: Graphics) {}

  /** How particles are drawn: by compute over the cached surface (WebGPU), or as three.js sprites. */
  get particleDrawing(): 'compute' | 'sprites' | null {
    return this.splat ? 'compute' : this.sprites ? 'sprites' : null;
  }

  /** The picture must be drawn again for a while; with `surface`, the surface image too. */
  invalidate(surface = true): void {
    this.dirty = SETTLE_FRAMES;
    if (surface) this.surfaceDirty = SETTLE_FRAMES;
  }

  /** A new surface mesh for `surface` drawn as `state` says; the particles drawn (if any) follow its mapping. */
  setSurface(surface: Surface, state: ExplorerState): void {
    this.setGrid(adaptiveGrid(surface, state.logHeight), surface, state);
  }

  /** A mesh of sampled losses (a surface's, or the networks' plane) with `marks`' minima. */
  setGrid(grid: SurfaceGrid, marks: Pick<Surface, 'minima'>, state: ExplorerState): void {
    this.mesh = buildMesh(grid, {
      log: state.logHeight,
      colormap: state.surfaceColormap,
      contourLevels: state.contours ? 14 : 0,
      heightScale: state.heightScale,
    });
    this.graphics.view.setSurface(this.mesh, marks, this.graphics.quality(state));
    this.splat?.setMapping(this.mesh.mapping);
    this.sprites?.setMapping(this.mesh.mapping);
    this.trailLines?.setMapping(this.mesh.mapping);
    this.invalidate();
  }

  /** Particle colours for `state` (a colormap change): the particles keep their places. */
  recolor(colors: Float32Array, run: LiveRun): void {
    const sel = run.trails?.selected;
    const trailColors = sel ? selectColors(colors, sel) : null;
    this.splat?.setColors(colors, trailColors);
    if (this.spriteColors) {
      this.spriteColors.array.set(colors);
      this.spriteColors.needsUpdate = true;
    }
    if (this.trailColors && trailColors) {
      this.trailColors.array.set(trailColors);
      this.trailColors.needsUpdate = true;
    }
    this.invalidate(false);
  }

  /** Draws `run`'s particles (and trails) from now on, in place of the previous run's. */
  attach(run: LiveRun, colors: Float32Array, state: ExplorerState): void {
    const mesh = this.mesh!;
    this.disposeParticles();
    const trailColors = (sel: Uint32Array) => selectColors(colors, sel);
    const { handle, splatFormat, view } = this.graphics;
    if (run.gpuBuffers && handle && splatFormat) {
      const t = run.trails;
      this.splat = new ParticleSplat(handle.device, splatFormat, {
        n: run.n,
        pos: run.gpuBuffers.pos,
        info: run.gpuBuffers.info,
        colors,
        trails: t && run.gpuBuffers.ring ? { ring: run.gpuBuffers.ring, colors: trailColors(t.selected), count: t.selected.length, len: t.recorder.len } : null,
      });
      this.splat.setMapping(mesh.mapping);
      view.setParticles();
    } else {
      const color = new THREE.StorageInstancedBufferAttribute(colors, 4);
      this.spriteColors = color;
      this.sprites = new ParticleSprites({ n: run.n, pos: run.pos, info: run.info, color });
      this.sprites.setMapping(mesh.mapping);
      if (run.trails) {
        const sel = run.trails.selected;
        this.trailColors = new THREE.StorageInstancedBufferAttribute(trailColors(sel), 4);
        this.trailLines = new TrailLines(run.trails.ring, this.trailColors, sel.length, run.trails.recorder.len);
        this.trailLines.setMapping(mesh.mapping);
      }
      view.setParticles(this.sprites.object, this.trailLines?.object ?? null);
    }
    this.look(state);
  }

  /** The settings that only change how things look: camera, particle size and colouring. */
  look(state: ExplorerState): void {
    this.invalidate();
    const view = this.graphics.view;
    view.setTopDown(state.topDown);
    if (state.camera) view.setCamera(state.camera);
    this.sprites?.setSize(state.particleSize);
    this.sprites?.setColorByStatus(state.colorBy === 'status');
    this.splat?.setSize(state.particleSize);
    this.splat?.setColorByStatus(state.colorBy === 'status');
    if (this.splat) this.splat.showTrails = state.showTrails;
    if (this.trailLines) this.trailLines.object.visible = state.showTrails;
  }

  /** Linked views: light up the particles of one bin (null: none). */
  highlight(h: Highlight): void {
    this.sprites?.setHighlight(h);
    this.splat?.setHighlight(h);
    this.invalidate(false); // particles only: the surface image stays
  }

  /** After the run stepped: the trails' ring moved on. */
  updateTrails(run: LiveRun): void {
    const t = run.trails;
    if (!t) return;
    this.trailLines?.update(t.recorder.head, t.recorder.filled);
    this.splat?.updateTrails(t.recorder.head, t.recorder.filled);
  }

  /** The frame loop's drawing: only when something moved, a setting changed, or `always`. */
  drawIfNeeded(moved: boolean): void {
    if (!moved && this.dirty === 0) return;
    const surfaceChanged = this.surfaceDirty > 0;
    this.dirty = Math.max(0, this.dirty - 1);
    this.surfaceDirty = Math.max(0, this.surfaceDirty - 1);
    this.draw(surfaceChanged);
  }

  /**
   * Draws one frame into the canvas. On the WebGPU path three.js draws the surface only
   * when it may look different (a setting changed, the camera moved, the size changed);
   * then compute passes draw particles and trails over that image.
   */
  draw(surfaceChanged: boolean): void {
    const { view, renderer, canvas, handle } = this.graphics;
    if (!this.splat) {
      view.render();
      return;
    }
    keepCanvasForCompute(renderer, handle!.device);
    const cam = view.camera;
    cam.updateMatrixWorld();
    const key = `${canvas.width}x${canvas.height} ${cam.matrixWorld.elements.join()} ${cam.projectionMatrix.elements.join()}`;
    const fresh = surfaceChanged || key !== this.backgroundKey || !this.splat.hasCache(canvas.width, canvas.height);
    if (fresh) {
      // The labels alone first (kept to go over the particles), then the whole surface.
      view.renderLabels();
      this.splat.captureLabels(canvasTexture(renderer));
      view.render();
      this.backgroundKey = key;
    }
    this.splat.draw(canvasTexture(renderer), cam, fresh);
  }

  /** After a device loss: what was drawn from the old device is forgotten, not disposed. */
  drop(): void {
    this.sprites = null;
    this.trailLines = null;
    this.splat = null;
    this.mesh = null;
    this.backgroundKey = '';
  }

  dispose(): void {
    this.disposeParticles();
  }

  private disposeParticles(): void {
    this.spriteColors = null;
    this.trailColors = null;
    this.sprites?.dispose();
    this.trailLines?.dispose();
    this.splat?.dispose();
    this.sprites = null;
    this.trailLines = null;
    this.splat = null;
  }
}

/** The colours of the particles `sel` (the ones with a trail), in that order. */
function selectColors(colors: Float32Array, sel: Uint32Array): Float32Array {
  const out = new Float32Array(4 * sel.length);
  sel.forEach((i, k) => out.set(colors.subarray(4 * i, 4 * i + 4), 4 * k));
  return out;
}
