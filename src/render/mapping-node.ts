// display/mapping.ts as TSL nodes: the world position of a point (x, y, loss) read on
// the GPU, for the particle and trail materials. Same formula as toWorld().

import type { Node } from 'three/webgpu';
import { float, log, max, min, mix, uniform, vec3 } from 'three/tsl';
import { HEIGHT_CLIP, LOG_GAIN, type Mapping } from '../display/mapping';

type FloatNode = Node<'float'>;

export class MappingNodes {
  private readonly u = {
    cx: uniform(0),
    cy: uniform(0),
    scale: uniform(1),
    lossMin: uniform(0),
    lossTop: uniform(1),
    logHeight: uniform(0),
    heightScale: uniform(1),
  };

  /** World position of domain point (x, y) with loss `loss`, lifted by `lift` above the surface. */
  world(x: FloatNode, y: FloatNode, loss: FloatNode, lift: number) {
    const u = this.u;
    const t = max(float(0), loss.sub(u.lossMin).div(u.lossTop.sub(u.lossMin)));
    const logLevel = log(t.mul(LOG_GAIN).add(1)).div(Math.log1p(LOG_GAIN));
    const level = min(mix(t, logLevel, u.logHeight), float(HEIGHT_CLIP));
    return vec3(x.sub(u.cx).mul(u.scale), level.mul(u.heightScale).add(lift), y.sub(u.cy).mul(u.scale).negate());
  }

  set(m: Mapping): void {
    this.u.cx.value = m.cx;
    this.u.cy.value = m.cy;
    this.u.scale.value = m.scale;
    this.u.lossMin.value = m.lossMin;
    this.u.lossTop.value = m.lossTop;
    this.u.logHeight.value = m.log ? 1 : 0;
    this.u.heightScale.value = m.heightScale;
  }
}
