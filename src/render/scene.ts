// The 3-D view: surface mesh, contours, minima markers, particles, orbit camera.

import * as THREE from 'three/webgpu';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { Surface } from '../core/surfaces';
import { toWorld, type Mapping } from './mapping';
import type { MeshData } from './surface-mesh';

export class SurfaceView {
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  private surfaceGroup = new THREE.Group();
  private particleObject: THREE.Object3D | null = null;
  private topDown = false;

  constructor(readonly renderer: THREE.WebGPURenderer, canvas: HTMLCanvasElement) {
    this.scene.background = new THREE.Color(0x0f1117);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 50);
    this.camera.position.set(0, 3.0, 1.2);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0.1, 0.1);
    this.controls.enableDamping = true;
    this.scene.add(this.surfaceGroup);
    this.scene.add(new THREE.AmbientLight(0xffffff, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(2, 4, 1);
    this.scene.add(sun);
  }

  setSurface(mesh: MeshData, surface: Surface): void {
    this.surfaceGroup.clear();
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(mesh.positions, 3));
    geom.setAttribute('color', new THREE.BufferAttribute(mesh.colors, 3));
    geom.setIndex(new THREE.BufferAttribute(mesh.indices, 1));
    geom.computeVertexNormals();
    const mat = new THREE.MeshStandardNodeMaterial({ vertexColors: true, roughness: 0.85, metalness: 0, side: THREE.DoubleSide });
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
    }
    this.mapping = mesh.mapping;
  }

  mapping: Mapping | null = null;

  setParticles(object: THREE.Object3D | null): void {
    if (this.particleObject) this.scene.remove(this.particleObject);
    this.particleObject = object;
    if (object) this.scene.add(object);
  }

  setTopDown(on: boolean): void {
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
}
