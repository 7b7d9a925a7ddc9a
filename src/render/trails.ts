// Trails as fading line segments read straight from the GPU ring buffer that
// gpu/trails.ts fills: vertex v belongs to trail v / (2(len-1)), and its age picks the
// ring slot. No CPU copy of any point.

import * as THREE from 'three/webgpu';
import { float, log, max, min, mix, select, storage, uniform, vec3, vertexIndex } from 'three/tsl';
import { HEIGHT_CLIP, LOG_GAIN, type Mapping } from './mapping';

export class TrailLines {
  readonly object: THREE.LineSegments;
  private readonly u = {
    head: uniform(0, 'uint'),
    filled: uniform(0, 'uint'),
    cx: uniform(0),
    cy: uniform(0),
    scale: uniform(1),
    lossMin: uniform(0),
    lossTop: uniform(1),
    logHeight: uniform(0),
    heightScale: uniform(1),
  };

  constructor(ring: THREE.StorageInstancedBufferAttribute, colors: THREE.StorageInstancedBufferAttribute, readonly count: number, readonly len: number) {
    const u = this.u;
    const segs = len - 1;
    const v = vertexIndex;
    const trail = v.div(2 * segs);
    const r = v.mod(2 * segs);
    const age = r.div(2).add(r.mod(2));
    const slot = u.head.add(len).sub(age).mod(len);
    const p = storage(ring, 'vec4', count * len).toReadOnly().element(trail.mul(len).add(slot));
    const c = storage(colors, 'vec4', count).toReadOnly().element(trail);
    const t = max(float(0), p.z.sub(u.lossMin).div(u.lossTop.sub(u.lossMin)));
    const logLevel = log(t.mul(LOG_GAIN).add(1)).div(Math.log1p(LOG_GAIN));
    const lvl = min(mix(t, logLevel, u.logHeight), float(HEIGHT_CLIP));
    const mat = new THREE.LineBasicNodeMaterial({ transparent: true, depthWrite: false, depthTest: false });
    mat.positionNode = vec3(p.x.sub(u.cx).mul(u.scale), lvl.mul(u.heightScale).add(0.01), p.y.sub(u.cy).mul(u.scale).negate());
    mat.colorNode = c.xyz;
    // Older points fade; slots not yet written are invisible.
    const fresh = float(1).sub(float(age).div(len));
    mat.opacityNode = select(age.lessThan(u.filled), fresh.mul(0.85), float(0));
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(count * segs * 2 * 3), 3));
    this.object = new THREE.LineSegments(geometry, mat);
    this.object.frustumCulled = false;
    this.object.renderOrder = 1;
  }

  setMapping(m: Mapping): void {
    this.u.cx.value = m.cx;
    this.u.cy.value = m.cy;
    this.u.scale.value = m.scale;
    this.u.lossMin.value = m.lossMin;
    this.u.lossTop.value = m.lossTop;
    this.u.logHeight.value = m.log ? 1 : 0;
    this.u.heightScale.value = m.heightScale;
  }

  /** Ring head and fill, from the recorder, once per frame. */
  update(head: number, filled: number): void {
    this.u.head.value = head;
    this.u.filled.value = filled;
  }

  dispose(): void {
    this.object.geometry.dispose();
    (this.object.material as THREE.Material).dispose();
  }
}
