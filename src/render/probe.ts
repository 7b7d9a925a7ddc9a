// A probe: one particle spawned from a view (a clicked bin or map pixel), its whole
// trajectory computed by the CPU reference and drawn as a bright polyline with a head.

import * as THREE from 'three/webgpu';
import { toWorld, type Mapping } from '../display/mapping';

export class ProbeLine {
  readonly object = new THREE.Group();

  constructor(path: Float32Array, mapping: Mapping, color = 0xffffff) {
    const n = path.length / 3;
    const pts = new Float32Array(3 * n);
    for (let k = 0; k < n; k++) {
      const [X, Y, Z] = toWorld(mapping, path[3 * k], path[3 * k + 1], path[3 * k + 2]);
      pts.set([X, Y + 0.014, Z], 3 * k);
    }
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(pts, 3));
    const line = new THREE.Line(geom, new THREE.LineBasicNodeMaterial({ color, transparent: true, opacity: 0.95, depthTest: false }));
    line.renderOrder = 4;
    const head = new THREE.Mesh(new THREE.SphereGeometry(0.022, 12, 8), new THREE.MeshBasicNodeMaterial({ color, depthTest: false }));
    head.position.set(pts[3 * n - 3], pts[3 * n - 2], pts[3 * n - 1]);
    head.renderOrder = 4;
    this.object.add(line, head);
  }

  dispose(): void {
    this.object.traverse((o) => {
      if (o instanceof THREE.Mesh || o instanceof THREE.Line) {
        o.geometry.dispose();
        (o.material as THREE.Material).dispose();
      }
    });
  }
}
