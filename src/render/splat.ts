// Particles and trails drawn by a compute pass into the canvas (shaders/splat.wgsl),
// over a cached image of everything else: the surface, contours, labels and probe are
// drawn by three.js only when they or the camera change. On a software rasterizer this
// turns a frame of 10^4 particles from ~300 ms into tens of ms (see `npm run bench:frame`).
// Positions, status and trails are read from the engine's buffers: no readback.

import type * as THREE from 'three/webgpu';
import splatWgsl from '../../shaders/splat.wgsl?raw';
import { COMMON_WGSL, WORKGROUP_SIZE } from '../../shaders/common';
import { struct, wgslConstants } from '../../shaders/layout';
import { HEIGHT_CLIP, LOG_GAIN, PARTICLE_LIFT, PARTICLE_RIM_PX, PARTICLE_RIM_SHADE, TRAIL_LIFT, type Mapping } from '../display/mapping';

/** Formats a compute pass can write into a canvas of: rgba8unorm always, bgra8unorm with its feature. */
export function splatFormatSupported(device: GPUDevice, format: GPUTextureFormat): boolean {
  return format === 'rgba8unorm' || (format === 'bgra8unorm' && device.features.has('bgra8unorm-storage'));
}

export interface SplatBuffers {
  n: number;
  pos: GPUBuffer;
  info: GPUBuffer;
  /** Per-particle colour (rgba), as the sprites had it. */
  colors: Float32Array;
  trails: { ring: GPUBuffer; colors: Float32Array; count: number; len: number } | null;
}

/** The splat's uniform, written once per frame by ParticleSplat.draw. */
export const SplatParams = struct(
  'SplatParams',
  {
    viewProj: 'mat4x4<f32>',
    viewport: 'vec2<f32>',
    pixelsPerUnit: 'f32',
    particleSize: 'f32',
    mapCenter: 'vec2<f32>',
    mapScale: 'f32',
    heightScale: 'f32',
    lossMin: 'f32',
    lossTop: 'f32',
    logHeight: 'u32',
    stoppedOpacity: 'f32',
    colorByStatus: 'u32',
    highlight: 'u32',
    highlightDiv: 'u32',
    highlightMod: 'u32',
    highlightBin: 'u32',
    particleCount: 'u32',
    trailCount: 'u32',
    trailLen: 'u32',
    trailHead: 'u32',
    trailFilled: 'u32',
  },
  {
    uniform: true,
    docs: {
      viewProj: 'projection x view, column-major',
      viewport: 'width, height (pixels)',
      pixelsPerUnit: 'pixels per world unit at depth 1',
      particleSize: 'world units',
      mapCenter: 'the surface mapping (render/mapping.ts)',
      lossMin: 'loss at height 0',
      lossTop: 'loss at the top of the colour scale',
      logHeight: 'log height (0/1)',
      stoppedOpacity: 'opacity of stopped particles',
      colorByStatus: 'colour by status instead of lr (0/1)',
      highlight: 'highlight the particles with (i / highlightDiv) % highlightMod == highlightBin (0/1)',
      trailLen: 'points per trail (a ring)',
      trailHead: 'ring index of the newest point',
      trailFilled: 'points recorded so far',
    },
  },
);

/** splat.wgsl with what it shares with TypeScript printed in front: constants and SplatParams. */
function splatShader(format: GPUTextureFormat): string {
  const constants = wgslConstants({ LOG_GAIN, HEIGHT_CLIP, PARTICLE_LIFT, TRAIL_LIFT, PARTICLE_RIM_PX, PARTICLE_RIM_SHADE }, 'f32');
  return [COMMON_WGSL, constants, SplatParams.wgsl, splatWgsl.replace('FORMAT', format)].join('\n\n');
}

export class ParticleSplat {
  private readonly params: GPUBuffer;
  private readonly paramData = new ArrayBuffer(SplatParams.size);
  private readonly colorBuffer: GPUBuffer;
  private readonly trailColorBuffer: GPUBuffer;
  private readonly ringBuffer: GPUBuffer;
  private readonly ownRing: boolean;
  private keys: GPUBuffer | null = null;
  private cache: GPUTexture | null = null;
  /** Labels drawn over the particles (premultiplied alpha; transparent until captured). */
  private labels: GPUTexture | null = null;
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelines: Record<'particles_splat' | 'particles_resolve' | 'trails_splat' | 'trails_resolve', GPUComputePipeline>;
  private readonly matrix = new Float32Array(16);
  private size = 0.02;
  private fade = 0.12;
  private byStatus = 0;
  private highlight: { div: number; mod: number; bin: number } | null = null;
  private mapping: Mapping | null = null;
  private trailHead = 0;
  private trailFilled = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly format: GPUTextureFormat,
    private readonly b: SplatBuffers,
  ) {
    if (!splatFormatSupported(device, format)) throw new Error(`a compute pass cannot write a ${format} canvas on this device`);
    const storage = (bytes: number) =>
      device.createBuffer({ label: 'splat', size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.params = device.createBuffer({ label: 'splat params', size: this.paramData.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.colorBuffer = storage(b.colors.byteLength);
    device.queue.writeBuffer(this.colorBuffer, 0, b.colors.buffer as ArrayBuffer, b.colors.byteOffset, b.colors.byteLength);
    this.trailColorBuffer = storage(b.trails?.colors.byteLength ?? 0);
    if (b.trails)
      device.queue.writeBuffer(this.trailColorBuffer, 0, b.trails.colors.buffer as ArrayBuffer, b.trails.colors.byteOffset, b.trails.colors.byteLength);
    this.ownRing = !b.trails;
    this.ringBuffer = b.trails?.ring ?? storage(16);
    const entry = (binding: number, rest: Omit<GPUBindGroupLayoutEntry, 'binding' | 'visibility'>): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      ...rest,
    });
    this.layout = device.createBindGroupLayout({
      label: 'splat',
      entries: [
        entry(0, { buffer: { type: 'uniform' } }),
        entry(1, { buffer: { type: 'read-only-storage' } }),
        entry(2, { buffer: { type: 'read-only-storage' } }),
        entry(3, { buffer: { type: 'read-only-storage' } }),
        entry(4, { buffer: { type: 'storage' } }),
        entry(5, { texture: { sampleType: 'float' } }),
        entry(6, { storageTexture: { access: 'write-only', format } }),
        entry(7, { buffer: { type: 'read-only-storage' } }),
        entry(8, { buffer: { type: 'read-only-storage' } }),
        entry(9, { texture: { sampleType: 'float' } }),
      ],
    });
    const module = device.createShaderModule({ label: 'splat', code: splatShader(format) });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
    const pipeline = (entryPoint: string) => device.createComputePipeline({ label: entryPoint, layout, compute: { module, entryPoint } });
    this.pipelines = {
      particles_splat: pipeline('particles_splat'),
      particles_resolve: pipeline('particles_resolve'),
      trails_splat: pipeline('trails_splat'),
      trails_resolve: pipeline('trails_resolve'),
    };
  }

  setMapping(m: Mapping): void {
    this.mapping = m;
  }
  setSize(size: number): void {
    this.size = size;
  }
  setColorByStatus(on: boolean): void {
    this.byStatus = on ? 1 : 0;
  }
  /** Highlights the particles of one bin ((i / div) % mod == bin); null clears. */
  setHighlight(h: { binning: { div: number; mod: number }; bin: number } | null): void {
    this.highlight = h ? { div: h.binning.div, mod: h.binning.mod, bin: h.bin } : null;
  }
  /** Trails drawn or not (they are recorded either way). */
  showTrails = true;
  /** New particle (and trail) colours, same layout as at construction: a look change. */
  setColors(colors: Float32Array, trailColors: Float32Array | null): void {
    this.device.queue.writeBuffer(this.colorBuffer, 0, colors.buffer as ArrayBuffer, colors.byteOffset, colors.byteLength);
    if (trailColors && this.b.trails)
      this.device.queue.writeBuffer(this.trailColorBuffer, 0, trailColors.buffer as ArrayBuffer, trailColors.byteOffset, trailColors.byteLength);
  }
  /** Ring head and fill, from the trail recorder, once per frame. */
  updateTrails(head: number, filled: number): void {
    this.trailHead = Math.max(0, head);
    this.trailFilled = filled;
  }

  /** True when a cached surface image of this size exists (else the caller draws it first). */
  hasCache(width: number, height: number): boolean {
    return this.cache !== null && this.cache.width === width && this.cache.height === height;
  }

  private allocate(w: number, h: number): void {
    if (this.hasCache(w, h)) return;
    const { device } = this;
    this.cache?.destroy();
    this.labels?.destroy();
    this.keys?.destroy();
    const image = (label: string) =>
      device.createTexture({
        label,
        size: [w, h],
        format: this.format,
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC,
      });
    this.cache = image('surface image');
    this.labels = image('labels image');
    this.keys = device.createBuffer({ label: 'splat keys', size: 4 * w * h, usage: GPUBufferUsage.STORAGE });
  }

  /**
   * Keeps `source` (the canvas with only the labels drawn, on transparent black) as the
   * layer drawn over particles and trails. Call before drawing the new surface image.
   */
  captureLabels(source: GPUTexture): void {
    this.allocate(source.width, source.height);
    const enc = this.device.createCommandEncoder({ label: 'labels' });
    enc.copyTextureToTexture({ texture: source }, { texture: this.labels! }, [source.width, source.height]);
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * Draws the particles into `target` (the canvas's current texture). With `freshBackground`
   * the target already holds a new surface image, which becomes the cache; otherwise the
   * cached image is copied in first.
   */
  draw(target: GPUTexture, camera: THREE.Camera, freshBackground: boolean): void {
    const { device } = this;
    const w = target.width;
    const h = target.height;
    if (!freshBackground && !this.hasCache(w, h)) throw new Error('the splat has no surface image of this size: draw the surface first');
    this.allocate(w, h);
    this.writeParams(camera, w, h);
    const bindGroup = device.createBindGroup({
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: this.b.pos } },
        { binding: 2, resource: { buffer: this.b.info } },
        { binding: 3, resource: { buffer: this.colorBuffer } },
        { binding: 4, resource: { buffer: this.keys! } },
        { binding: 5, resource: this.cache!.createView() },
        { binding: 6, resource: target.createView() },
        { binding: 7, resource: { buffer: this.ringBuffer } },
        { binding: 8, resource: { buffer: this.trailColorBuffer } },
        { binding: 9, resource: this.labels!.createView() },
      ],
    });
    const enc = device.createCommandEncoder({ label: 'splat' });
    if (freshBackground) enc.copyTextureToTexture({ texture: target }, { texture: this.cache! }, [w, h]);
    else enc.copyTextureToTexture({ texture: this.cache! }, { texture: target }, [w, h]);
    const segments = this.b.trails && this.showTrails && this.trailFilled > 1 ? this.b.trails.count * (this.b.trails.len - 1) : 0;
    const pass = enc.beginComputePass({ label: 'splat' });
    pass.setBindGroup(0, bindGroup);
    const run = (name: keyof typeof this.pipelines, count: number) => {
      if (count === 0) return;
      pass.setPipeline(this.pipelines[name]);
      pass.dispatchWorkgroups(Math.ceil(count / WORKGROUP_SIZE));
    };
    // Every splat before every resolve: a resolve must see the final winner of each pixel.
    run('trails_splat', segments);
    run('particles_splat', this.b.n);
    run('trails_resolve', segments);
    run('particles_resolve', this.b.n);
    pass.end();
    device.queue.submit([enc.finish()]);
  }

  private writeParams(camera: THREE.Camera, w: number, h: number): void {
    const m = this.mapping;
    if (!m) throw new Error('the splat needs the surface mapping first');
    camera.updateMatrixWorld();
    const vp = this.matrix;
    // projection x view, column-major as WGSL's mat4x4 expects.
    const p = camera.projectionMatrix.elements;
    const v = camera.matrixWorldInverse.elements;
    for (let c = 0; c < 4; c++)
      for (let r = 0; r < 4; r++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += p[k * 4 + r] * v[c * 4 + k];
        vp[c * 4 + r] = s;
      }
    const t = this.b.trails;
    SplatParams.write(
      {
        viewProj: vp,
        viewport: [w, h],
        pixelsPerUnit: (p[5] * h) / 2,
        particleSize: this.size,
        mapCenter: [m.cx, m.cy],
        mapScale: m.scale,
        heightScale: m.heightScale,
        lossMin: m.lossMin,
        lossTop: m.lossTop,
        logHeight: m.log ? 1 : 0,
        stoppedOpacity: this.fade,
        colorByStatus: this.byStatus,
        highlight: this.highlight ? 1 : 0,
        highlightDiv: this.highlight?.div ?? 1,
        highlightMod: this.highlight?.mod ?? 1,
        highlightBin: this.highlight?.bin ?? 0,
        particleCount: this.b.n,
        trailCount: t?.count ?? 0,
        trailLen: t?.len ?? 2,
        trailHead: this.trailHead,
        trailFilled: this.trailFilled,
      },
      this.paramData,
    );
    this.device.queue.writeBuffer(this.params, 0, this.paramData);
  }

  dispose(): void {
    this.params.destroy();
    this.colorBuffer.destroy();
    this.trailColorBuffer.destroy();
    if (this.ownRing) this.ringBuffer.destroy();
    this.keys?.destroy();
    this.cache?.destroy();
    this.labels?.destroy();
  }
}
