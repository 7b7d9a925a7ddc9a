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

  constructor(readonly renderer: THREE.WebGPURenderer, canvas: HTMLCanvasElement) {
    this.scene.background = new THREE.Color(0x0f1117);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 50);
    this.camera.position.set(0, 3.0, 1.2);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0.1, 0.1);
    this.controls.enableDamping = true;
    this.scene.add(this.surfaceGroup);
  }

  setSurface(mesh: MeshData, surface: Surface): void {
    this.surfaceGroup.clear();
    this.labels = [];
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(mesh.positions, 3));
    geom.setAttribute('color', new THREE.BufferAttribute(mesh.colors, 3));
    geom.setIndex(new THREE.BufferAttribute(mesh.indices, 1));
    geom.computeVertexNormals();
    // Lighting baked into the vertex colours once, with an unlit material: per-pixel
    // lighting of a full-screen mesh costs a software rasterizer most of a frame.
    bakeLighting(geom, new THREE.Vector3(0.45, 0.85, 0.3).normalize());
    const mat = new THREE.MeshBasicNodeMaterial({ vertexColors: true, side: THREE.DoubleSide });
    this.surfaceGroup.add(new THREE.Mesh(geom, mat));

    const lines = new THREE.BufferGeometry();
    lines.setAttribute('position', new THREE.BufferAttribute(mesh.contours, 3));
    const lineMat = new THREE.LineBasicNodeMaterial({ color: 0x0b0d12, transparent: true, opacity: 0.45 });
    this.surfaceGroup.add(new THREE.LineSegments(lines, lineMat));

    for (const m of surface.minima) {
      const [X, Y, Z] = toWorld(mesh.mapping, m.x, m.y, m.loss);
      const marker = new THREE.Mesh(
        new THREE.RingGeometry(0.025, 0.04, 32),
        new THREE.MeshBasicNodeMaterial({ color: m.label === 'sharp' ? 0xff5a5f : 0xffffff, side: THREE.DoubleSide, transparent: true, opacity: 0.9, depthTest: false }),
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
    } else {
      this.camera.position.set(0, 3.0, 1.2);
      this.controls.target.set(0, 0.1, 0.1);
      this.controls.enableRotate = true;
    }
    this.controls.update();
  }

  get isTopDown(): boolean {
    return this.topDown;
  }

  resize(width: number, height: number): void {
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.renderer.setSize(width, height, false);
  }

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
