// The 3-D view: surface mesh, contours, minima markers, particles, orbit camera.

import * as THREE from 'three/webgpu';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { Minimum, Surface } from '../core/surfaces';
import { formatNumber } from '../display/ticks';
import { toWorld, type Mapping } from '../display/mapping';
import type { MeshData } from './surface-mesh';

export class SurfaceView {
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  private surfaceGroup = new THREE.Group();
  private particleObjects: THREE.Object3D[] = [];
  private topDown = false;
  private initialized = false;

  /** Key light and sky/ground fill (used by the high tier's lit material only). */
  private readonly lights = new THREE.Group();
  /** Highest world height of the surface drawn, and a sample of its points (framing). */
  private top = 0.8;
  private framePoints: THREE.Vector3[] = [-1, 1].flatMap((x) => [-1, 1].flatMap((z) => [0, 0.8].map((y) => new THREE.Vector3(x, y, z))));

  constructor(
    readonly renderer: THREE.WebGPURenderer,
    canvas: HTMLCanvasElement,
  ) {
    this.scene.background = new THREE.Color(0x0f1117);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 50);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.frame();
    const key = new THREE.DirectionalLight(0xffffff, 2.1);
    key.position.copy(KEY_LIGHT);
    this.lights.add(key, new THREE.HemisphereLight(0xc8d8ff, 0x2a2433, 0.9));
    this.lights.visible = false;
    this.scene.add(this.surfaceGroup, this.lights);
  }

  /**
   * The default view: oblique (DEFAULT_ELEVATION above the horizon, from the front),
   * centred on the surface as drawn and as close as keeps all of its height in the
   * canvas (its nearest corners may be cropped at the sides): it fills the view.
   */
  frame(elevation = DEFAULT_ELEVATION, azimuth = 0): void {
    const cam = this.camera;
    const dir = new THREE.Vector3(Math.sin(azimuth) * Math.cos(elevation), Math.sin(elevation), Math.cos(azimuth) * Math.cos(elevation));
    const points = this.framePoints;
    const target = new THREE.Vector3();
    const up = new THREE.Vector3();
    const right = new THREE.Vector3();
    const p = new THREE.Vector3();
    /** Places the camera at distance d, panned so the surface's projection is centred; returns its NDC half-extents. */
    const place = (d: number) => {
      target.set(0, this.top * 0.3, 0);
      let extent = { x: 0, y: 0 };
      for (let pass = 0; pass < 3; pass++) {
        cam.position.copy(target).addScaledVector(dir, d);
        cam.lookAt(target);
        cam.updateMatrixWorld();
        cam.updateProjectionMatrix();
        let x0 = Infinity,
          x1 = -Infinity,
          y0 = Infinity,
          y1 = -Infinity;
        for (const q of points) {
          p.copy(q).project(cam);
          x0 = Math.min(x0, p.x);
          x1 = Math.max(x1, p.x);
          y0 = Math.min(y0, p.y);
          y1 = Math.max(y1, p.y);
        }
        extent = { x: (x1 - x0) / 2, y: (y1 - y0) / 2 };
        // Pan by the projection's off-centre (NDC -> world at the target's depth).
        const h = d * Math.tan(THREE.MathUtils.degToRad(cam.fov / 2));
        up.setFromMatrixColumn(cam.matrixWorld, 1);
        right.setFromMatrixColumn(cam.matrixWorld, 0);
        target.addScaledVector(up, ((y0 + y1) / 2) * h).addScaledVector(right, ((x0 + x1) / 2) * h * cam.aspect);
      }
      cam.position.copy(target).addScaledVector(dir, d);
      cam.lookAt(target);
      cam.updateMatrixWorld();
      return extent;
    };
    let lo = 0.3;
    let hi = 20;
    for (let i = 0; i < 24; i++) {
      const mid = (lo + hi) / 2;
      const e = place(mid);
      // All of its height in view; its widest (nearest) corners may leave the sides a little.
      if (e.y <= 0.97 && e.x <= 1.2) hi = mid;
      else lo = mid;
    }
    place(hi);
    this.controls.target.copy(target);
    this.controls.update();
    this.framedAt = cam.position.clone();
  }

  /**
   * The surface, drawn at `quality`: high lights it per pixel (a key light, a sky/ground
   * fill, little specular); low bakes the lighting into the vertex colours with an unlit
   * material (per-pixel lighting of a full-screen mesh costs a software rasterizer most of a frame).
   */
  setSurface(mesh: MeshData, surface: Pick<Surface, 'minima'>, quality: 'high' | 'low' = 'low'): void {
    this.surfaceGroup.clear();
    this.labels = [];
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(mesh.positions, 3));
    geom.setAttribute('color', new THREE.BufferAttribute(mesh.colors, 3));
    geom.setIndex(new THREE.BufferAttribute(mesh.indices, 1));
    geom.computeVertexNormals();
    let mat: THREE.Material;
    if (quality === 'high') {
      mat = new THREE.MeshPhongNodeMaterial({ vertexColors: true, side: THREE.DoubleSide, shininess: 10, specular: new THREE.Color(0x1a1a1a) });
    } else {
      bakeLighting(geom, KEY_LIGHT.clone().normalize());
      mat = new THREE.MeshBasicNodeMaterial({ vertexColors: true, side: THREE.DoubleSide });
    }
    this.lights.visible = quality === 'high';
    this.surfaceGroup.add(new THREE.Mesh(geom, mat));
    const framed = this.isFramed;
    this.top = maxHeight(mesh.positions);
    this.framePoints = samplePoints(mesh.positions, 1500);
    if (framed) this.frame();

    if (mesh.contours.length > 0) {
      // (No contours: no empty line object, which WebGPU would draw with 0 vertices.)
      const lines = new THREE.BufferGeometry();
      lines.setAttribute('position', new THREE.BufferAttribute(mesh.contours, 3));
      const lineMat = new THREE.LineBasicNodeMaterial({ color: 0x0b0d12, transparent: true, opacity: 0.45 });
      this.surfaceGroup.add(new THREE.LineSegments(lines, lineMat));
    }

    for (const m of surface.minima) {
      const [X, Y, Z] = toWorld(mesh.mapping, m.x, m.y, m.loss);
      const marker = new THREE.Mesh(
        new THREE.RingGeometry(0.025, 0.04, 32),
        new THREE.MeshBasicNodeMaterial({
          color: m.label === 'sharp' ? 0xff5a5f : 0xffffff,
          side: THREE.DoubleSide,
          transparent: true,
          opacity: 0.9,
          depthTest: false,
        }),
      );
      marker.rotation.x = -Math.PI / 2;
      marker.position.set(X, Y + 0.006, Z);
      marker.renderOrder = 1;
      this.surfaceGroup.add(marker);
      const label = minimumLabel(m);
      label.position.set(X, Y + 0.09, Z);
      this.surfaceGroup.add(label);
      this.labels.push(label);
    }
    this.mapping = mesh.mapping;
  }

  mapping: Mapping | null = null;
  /** The minima's labels: drawn over the particles too (renderLabels). */
  private labels: THREE.Object3D[] = [];

  /** The particles and, optionally, their trails. */
  setParticles(...objects: (THREE.Object3D | null)[]): void {
    this.particleObjects.forEach((o) => this.scene.remove(o));
    this.particleObjects = objects.filter((o): o is THREE.Object3D => o !== null);
    this.particleObjects.forEach((o) => this.scene.add(o));
  }

  /** Places the orbit camera (a shared link's view). */
  setCamera(c: { position: [number, number, number]; target: [number, number, number] }): void {
    this.camera.position.set(...c.position);
    this.controls.target.set(...c.target);
    this.controls.update();
  }

  getCamera(): { position: [number, number, number]; target: [number, number, number] } {
    const r = (v: number) => Number(v.toFixed(4));
    const p = this.camera.position;
    const t = this.controls.target;
    return { position: [r(p.x), r(p.y), r(p.z)], target: [r(t.x), r(t.y), r(t.z)] };
  }

  setTopDown(on: boolean): void {
    if (on === this.topDown && this.initialized) return;
    this.initialized = true;
    this.topDown = on;
    if (on) {
      this.camera.position.set(0, 3.2, 0.0001);
      this.controls.target.set(0, 0, 0);
      this.controls.enableRotate = false;
      this.controls.update();
    } else {
      this.controls.enableRotate = true;
      this.frame();
    }
  }

  get isTopDown(): boolean {
    return this.topDown;
  }

  resize(width: number, height: number): void {
    const framed = this.isFramed;
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.renderer.setSize(width, height, false);
    if (framed) this.frame(); // the default view keeps the domain filling the new shape
  }

  /** Whether the camera is still the default framing (not orbited, not a saved camera). */
  private get isFramed(): boolean {
    return this.framedAt !== null && this.camera.position.distanceTo(this.framedAt) < 1e-6;
  }
  private framedAt: THREE.Vector3 | null = null;

  render(): void {
    this.renderer.render(this.scene, this.camera);
  }

  /**
   * Draws only the minima's labels, on a transparent background: the layer the
   * compute-drawn particles put back on top of themselves.
   */
  renderLabels(): void {
    const hidden = [...this.scene.children, ...this.surfaceGroup.children].filter((o) => o !== this.surfaceGroup && !this.labels.includes(o) && o.visible);
    hidden.forEach((o) => (o.visible = false));
    const background = this.scene.background;
    this.scene.background = null;
    try {
      this.renderer.render(this.scene, this.camera);
    } finally {
      this.scene.background = background;
      hidden.forEach((o) => (o.visible = true));
    }
  }
}

/** Text of a minimum's label: sharp/flat (or its name) with lambda_max and the GD limit 2/lambda_max. */
export function minimumLabelText(m: Minimum): string {
  const who = m.label === 'sharp' || m.label === 'flat' ? m.label : m.name;
  const lam = m.eigenvalues[1];
  return Number.isFinite(lam) ? `${who}  λmax ${formatNumber(lam)}  2/λ ${formatNumber(2 / lam)}` : `${who}  (non-smooth)`;
}

function minimumLabel(m: Minimum): THREE.Sprite {
  const text = minimumLabelText(m);
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  const font = '600 30px "DejaVu Sans", sans-serif';
  ctx.font = font;
  canvas.width = Math.ceil(ctx.measureText(text).width) + 24;
  canvas.height = 44;
  ctx.font = font;
  ctx.fillStyle = 'rgba(15,17,23,0.78)';
  ctx.beginPath();
  ctx.roundRect(0, 0, canvas.width, canvas.height, 10);
  ctx.fill();
  ctx.fillStyle = m.label === 'sharp' ? '#ff8a8d' : '#f2f4f8';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 12, canvas.height / 2 + 1);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  const mat = new THREE.SpriteNodeMaterial({ map: texture, transparent: true, depthTest: false, depthWrite: false });
  const sprite = new THREE.Sprite(mat);
  const h = 0.055;
  sprite.scale.set((h * canvas.width) / canvas.height, h, 1);
  sprite.renderOrder = 3;
  return sprite;
}

/** Where the key light comes from (world direction; the low tier bakes the same light). */
const KEY_LIGHT = new THREE.Vector3(0.45, 0.85, 0.3).multiplyScalar(4);
/** The default camera's elevation above the horizon (radians). */
const DEFAULT_ELEVATION = (36 * Math.PI) / 180;

/** About `count` of the mesh's vertices, evenly spread (every k-th). */
function samplePoints(positions: Float32Array, count: number): THREE.Vector3[] {
  const n = positions.length / 3;
  const k = Math.max(1, Math.floor(n / count));
  const out: THREE.Vector3[] = [];
  for (let i = 0; i < n; i += k) out.push(new THREE.Vector3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]));
  out.push(new THREE.Vector3(positions[3 * n - 3], positions[3 * n - 2], positions[3 * n - 1]));
  return out;
}

function maxHeight(positions: Float32Array): number {
  let top = 0;
  for (let i = 1; i < positions.length; i += 3) top = Math.max(top, positions[i]);
  return top;
}

/** Multiplies vertex colours by ambient + diffuse shading for a light from `dir`. */
function bakeLighting(geom: THREE.BufferGeometry, dir: THREE.Vector3, ambient = 0.62): void {
  const n = geom.getAttribute('normal') as THREE.BufferAttribute;
  const c = geom.getAttribute('color') as THREE.BufferAttribute;
  for (let i = 0; i < c.count; i++) {
    // Double-sided: light whichever side faces up.
    const d = Math.abs(n.getX(i) * dir.x + n.getY(i) * dir.y + n.getZ(i) * dir.z);
    const k = ambient + (1 - ambient) * d;
    c.setXYZ(i, c.getX(i) * k, c.getY(i) * k, c.getZ(i) * k);
  }
  c.needsUpdate = true;
}
