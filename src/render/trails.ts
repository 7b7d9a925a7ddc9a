// Trails as fading line segments read straight from the GPU ring buffer that
// gpu/trails.ts fills: vertex v belongs to trail v / (2(len-1)), and its age picks the
// ring slot. No CPU copy of any point.

import * as THREE from 'three/webgpu';
import { float, select, storage, uniform, vertexIndex } from 'three/tsl';
import { TRAIL_LIFT, type Mapping } from '../display/mapping';
import { MappingNodes } from './mapping-node';

export class TrailLines {
  readonly object: THREE.LineSegments;
  private readonly mapping = new MappingNodes();
  private readonly u = {
    head: uniform(0, 'uint'),
    filled: uniform(0, 'uint'),
  };

  constructor(
    ring: THREE.StorageInstancedBufferAttribute,
    colors: THREE.StorageInstancedBufferAttribute,
    readonly count: number,
    readonly len: number,
  ) {
    const u = this.u;
    const segs = len - 1;
    const v = vertexIndex;
    const trail = v.div(2 * segs);
    const r = v.mod(2 * segs);
    const age = r.div(2).add(r.mod(2));
    const slot = u.head.add(len).sub(age).mod(len);
    const p = storage(ring, 'vec4', count * len)
      .toReadOnly()
      .element(trail.mul(len).add(slot));
    const c = storage(colors, 'vec4', count).toReadOnly().element(trail);
    const mat = new THREE.LineBasicNodeMaterial({ transparent: true, depthWrite: false, depthTest: false });
    mat.positionNode = this.mapping.world(p.x, p.y, p.z, TRAIL_LIFT);
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
    this.mapping.set(m);
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
