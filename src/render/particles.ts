// Particles drawn straight from the engine's storage buffers: position and loss from
// `pos`, status from `info`, colour from a per-particle colour buffer. The height uses
// the same formula as display/mapping.ts.

import * as THREE from 'three/webgpu';
import { float, instanceIndex, length, mix, select, smoothstep, storage, uniform, uv, vec3 } from 'three/tsl';
import { Status } from '../core/particles';
import { PARTICLE_LIFT, PARTICLE_RIM_SHADE, type Mapping } from '../display/mapping';
import { MappingNodes } from './mapping-node';

export interface ParticleBuffers {
  n: number;
  pos: THREE.StorageInstancedBufferAttribute;
  info: THREE.StorageInstancedBufferAttribute;
  color: THREE.StorageInstancedBufferAttribute;
}

export class ParticleSprites {
  readonly object: THREE.Sprite;
  private readonly mapping = new MappingNodes();
  private readonly u = {
    size: uniform(0.02),
    fadeDiverged: uniform(0.12),
    byStatus: uniform(0),
    // Linked views: particles whose bin (i / div) % mod equals `bin` are highlighted.
    highlight: uniform(0),
    hlDiv: uniform(1, 'uint'),
    hlMod: uniform(1, 'uint'),
    hlBin: uniform(0, 'uint'),
  };

  constructor(b: ParticleBuffers) {
    const p = storage(b.pos, 'vec4', b.n).toReadOnly().element(instanceIndex);
    const info = storage(b.info, 'uvec4', b.n).toReadOnly().element(instanceIndex);
    const c = storage(b.color, 'vec4', b.n).toReadOnly().element(instanceIndex);
    const u = this.u;
    const status = info.x;
    const stopped = status.greaterThanEqual(Status.Diverged);
    const converged = status.equal(Status.Converged);

    // Drawn over the surface: a particle at the bottom of a narrow well must stay visible.
    const mat = new THREE.SpriteNodeMaterial({ transparent: true, depthWrite: false, depthTest: false });
    mat.positionNode = this.mapping.world(p.x, p.y, p.z, PARTICLE_LIFT);
    const byLr = select(converged, mix(c.xyz, vec3(1, 1, 1), 0.35), c.xyz);
    // Status palette: running blue-grey, converged green, diverged red, non-finite magenta.
    const statusColor = select(
      converged,
      vec3(0.3, 0.85, 0.4),
      select(status.equal(Status.Diverged), vec3(0.95, 0.3, 0.25), select(status.equal(Status.NonFinite), vec3(0.9, 0.3, 0.9), vec3(0.65, 0.75, 0.95))),
    );
    const inBin = instanceIndex.div(u.hlDiv).mod(u.hlMod).equal(u.hlBin);
    const lit = u.highlight.greaterThan(0.5).and(inBin);
    const dimmed = u.highlight.greaterThan(0.5).and(inBin.not());
    const base = mix(byLr, statusColor, u.byStatus);
    const fill = select(lit, mix(base, vec3(1, 1, 1), 0.5), base);
    const r = length(uv().sub(0.5));
    // The dark rim of the compute splat (a band of the sprite here, which knows no pixel size).
    mat.colorNode = mix(fill, fill.mul(PARTICLE_RIM_SHADE), smoothstep(0.3, 0.36, r));
    const disc = float(1).sub(smoothstep(0.38, 0.5, r));
    mat.opacityNode = disc.mul(select(stopped, u.fadeDiverged, float(1))).mul(select(dimmed, float(0.15), float(1)));
    const size = select(converged, u.size.mul(1.5), u.size);
    mat.scaleNode = select(lit, size.mul(1.8), size);
    this.object = new THREE.Sprite(mat);
    this.object.count = b.n;
    this.object.frustumCulled = false;
    this.object.renderOrder = 2;
  }

  setMapping(m: Mapping): void {
    this.mapping.set(m);
  }

  setColorByStatus(on: boolean): void {
    this.u.byStatus.value = on ? 1 : 0;
  }

  /** Highlights the particles of one bin (a hovered view bin or map pixel); null clears. */
  setHighlight(h: { binning: { div: number; mod: number }; bin: number } | null): void {
    this.u.highlight.value = h ? 1 : 0;
    if (!h) return;
    this.u.hlDiv.value = h.binning.div;
    this.u.hlMod.value = h.binning.mod;
    this.u.hlBin.value = h.bin;
  }

  setSize(size: number): void {
    this.u.size.value = size;
  }

  dispose(): void {
    (this.object.material as THREE.Material).dispose();
    this.object.geometry.dispose();
  }
}
