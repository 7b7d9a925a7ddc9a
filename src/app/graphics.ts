// The device and the renderer: the WebGPU device (or WebGL2 when there is none), three's
// renderer and the surface view over one canvas, and their re-creation when the device
// is lost. What runs on them (the run, the frame's drawing) is rebuilt by the explorer.

import * as THREE from 'three/webgpu';
import { requestDevice, type DeviceHandle } from '../gpu/device';
import { SurfaceView } from '../render/scene';
import { splatFormatSupported } from '../render/splat';
import { canvasFormat, configureCanvasForCompute } from '../render/three-adapter';

export class Graphics {
  renderer!: THREE.WebGPURenderer;
  view!: SurfaceView;
  /** The canvas format when compute passes can draw into it (null: sprites). */
  splatFormat: GPUTextureFormat | null = null;
  adapterName = 'CPU (no WebGPU)';
  /** Called once per device loss, with the browser's account of it. */
  onLost: (info: GPUDeviceLostInfo) => void = () => {};
  /** Called for each GPU error no error scope caught (a validation error, out of memory). */
  onError: (message: string) => void = () => {};
  private disposed = false;

  constructor(
    public canvas: HTMLCanvasElement,
    public handle: DeviceHandle | null,
    /** Each new surface view is handed here (camera, orbit listener) before its first frame. */
    private readonly prepareView: (view: SurfaceView) => void,
  ) {}

  get mode(): 'gpu' | 'cpu' {
    return this.handle ? 'gpu' : 'cpu';
  }

  get device(): GPUDevice | null {
    return this.handle?.device ?? null;
  }

  /** No GPU, or one emulated on the CPU (SwiftShader, llvmpipe): a smaller frame budget, no MSAA, baked light. */
  get software(): boolean {
    return !this.handle || this.handle.software;
  }

  /** The rendering tier `state` asks for: auto is low on software adapters, high otherwise. */
  quality(state: { quality: 'auto' | 'high' | 'low' }): 'high' | 'low' {
    return state.quality === 'auto' ? (this.software ? 'low' : 'high') : state.quality;
  }

  /** Three's renderer and a surface view on the canvas (WebGPU on the device, else WebGL2). */
  async init(): Promise<void> {
    // MSAA costs a software rasterizer (SwiftShader) most of its frame time.
    const params: Record<string, unknown> = { canvas: this.canvas, antialias: !this.software };
    if (this.handle) {
      params.device = this.handle.device;
      this.adapterName = this.handle.adapterName;
      this.watch(this.handle);
    } else {
      // Right after a GPU loss the browser's GPU process may still be restarting: retry a while.
      let gl = this.canvas.getContext('webgl2');
      for (let i = 0; !gl && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 250));
        gl = this.canvas.getContext('webgl2');
      }
      if (!gl) throw new Error('this browser offers neither WebGPU nor WebGL2: there is nothing to draw with');
      this.adapterName = 'CPU (no WebGPU)';
      params.forceWebGL = true;
    }
    this.renderer = new THREE.WebGPURenderer(params as ConstructorParameters<typeof THREE.WebGPURenderer>[0]);
    this.renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
    await this.renderer.init();
    this.splatFormat = null;
    if (this.handle) {
      const format = canvasFormat(this.renderer);
      if (splatFormatSupported(this.handle.device, format)) {
        configureCanvasForCompute(this.renderer, this.handle.device);
        this.splatFormat = format;
      }
    }
    const old = this.view as SurfaceView | undefined;
    this.view = new SurfaceView(this.renderer, this.canvas);
    if (old) {
      this.view.camera.position.copy(old.camera.position);
      this.view.controls.target.copy(old.controls.target);
      old.controls.dispose();
    }
    this.prepareView(this.view);
  }

  private watch(handle: DeviceHandle): void {
    handle.device.lost.then((info) => {
      if (!this.disposed && handle === this.handle) this.onLost(info);
    });
    handle.device.addEventListener('uncapturederror', (e) => {
      if (!this.disposed && handle === this.handle) this.onError((e as GPUUncapturedErrorEvent).error.message);
    });
  }

  /**
   * After a loss: a new device if one comes (else null, and the reason it did not), and a
   * new renderer on it or on WebGL2. Everything built on the old device died with it.
   */
  async reopen(): Promise<{ lostFor: string | null }> {
    let lostFor: string | null = null;
    try {
      this.handle = await requestDevice(navigator.gpu);
    } catch (e) {
      this.handle = null;
      lostFor = (e as Error).message;
    }
    this.renderer.dispose();
    if (!this.handle) {
      // A canvas that had a WebGPU context cannot give a WebGL2 one: swap in a fresh one.
      const fresh = this.canvas.cloneNode(false) as HTMLCanvasElement;
      this.canvas.replaceWith(fresh);
      this.canvas = fresh;
    }
    await this.init();
    return { lostFor };
  }

  /** The canvas's CSS size into the camera and the drawing buffer. */
  resize(): void {
    this.view.resize(this.canvas.clientWidth || 1, this.canvas.clientHeight || 1);
  }

  /** For tests: loses the device as a driver reset would. */
  simulateLoss(): void {
    this.handle?.device.destroy();
  }

  dispose(): void {
    this.disposed = true;
    this.renderer.dispose();
  }
}
