// Picking and probes: the particle drawn nearest a canvas point, one particle's loss
// curve re-run exactly by the CPU reference, and probe particles spawned from a view
// (a clicked bin or map pixel) whose paths are drawn over the surface.

import * as THREE from 'three/webgpu';
import { CpuEngine } from '../core/engine/cpu';
import { buildParticles } from '../core/layouts';
import { INFO_WORDS, particleAt, particleStatus, Status, type ParticleState, type ParticleView } from '../core/particles';
import { PARTICLE_LIFT, toWorld, type Mapping } from '../display/mapping';
import { ProbeLine } from '../render/probe';
import type { SurfaceView } from '../render/scene';
import { runConfig, type RunSetup } from '../model/setup';
import type { ExplorerState } from '../model/state';

export type Probe = { particle: ParticleView; curve: number[] };

/** The particle whose drawn position is nearest (px, py), in CSS pixels of a w x h canvas, within `radius`; -1 if none. */
export function nearestOnScreen(
  state: ParticleState,
  mapping: Mapping,
  camera: THREE.Camera,
  w: number,
  h: number,
  px: number,
  py: number,
  radius: number,
): number {
  const v = new THREE.Vector3();
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < state.n; i++) {
    const x = state.pos[4 * i];
    const y = state.pos[4 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const [X, Y, Z] = toWorld(mapping, x, y, state.pos[4 * i + 2]);
    v.set(X, Y + PARTICLE_LIFT, Z).project(camera);
    const sx = ((v.x + 1) / 2) * w;
    const sy = ((1 - v.y) / 2) * h;
    const d = (sx - px) ** 2 + (sy - py) ** 2;
    if (d < bestD && v.z < 1) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * One particle run by the CPU reference until it stops or `steps` ran: its (x, y, loss)
 * after each step, the start first, and its final state.
 */
function cpuPath(setup: RunSetup, state: ExplorerState, particle: ParticleState, steps: number): { path: number[]; state: ParticleState } {
  const engine = new CpuEngine({ surface: setup.surface, optimizer: setup.optimizer, particles: particle, config: runConfig(state) });
  engine.step(0);
  const path: number[] = [engine.state.pos[0], engine.state.pos[1], engine.state.pos[2]];
  for (let t = 0; t < steps && particleStatus(engine.state.info, 0) === Status.Running; t++) {
    engine.step(1);
    path.push(engine.state.pos[0], engine.state.pos[1], engine.state.pos[2]);
  }
  return { path, state: engine.state };
}

/** The loss at every step of particle `index` of a run, re-run by the CPU reference from its start (at most 5000 steps). */
export function lossCurve(setup: RunSetup, state: ExplorerState, index: number, steps: number): number[] {
  const p = setup.particles;
  const one = {
    n: 1,
    hyperStride: p.hyperStride,
    stateStride: p.stateStride,
    pos: p.pos.slice(4 * index, 4 * index + 4),
    hyper: p.hyper.slice(p.hyperStride * index, p.hyperStride * (index + 1)),
    state: p.state.slice(p.stateStride * index, p.stateStride * (index + 1)),
    info: p.info.slice(INFO_WORDS * index, INFO_WORDS * (index + 1)),
  };
  const { path } = cpuPath(setup, state, one, Math.min(steps, 5000));
  return path.filter((_, k) => k % 3 === 2);
}

/** The probe drawn in a surface view (at most one at a time). */
export class ProbeLayer {
  private probe: ProbeLine | null = null;

  constructor(private readonly view: () => SurfaceView) {}

  /**
   * Spawns one particle with these settings: the CPU reference runs it (up to `steps`
   * steps) and its path replaces the probe drawn so far.
   */
  spawn(setup: RunSetup, state: ExplorerState, mapping: Mapping, settings: { hyper: Record<string, number>; start?: [number, number] }, steps: number): Probe {
    const { surface, optimizer } = setup;
    const start = settings.start ?? state.start ?? surface.spec.defaultStart;
    const { lr, ...rest } = settings.hyper;
    const base = { ...state.hyper, ...(state.lrY !== null ? { lr_y: state.lrY } : {}), ...rest };
    const { path, state: end } = cpuPath(setup, state, buildParticles({ kind: 'sweep', start, lrMin: lr, lrMax: lr, n: 1 }, optimizer, base), steps);
    this.clear();
    this.probe = new ProbeLine(Float32Array.from(path), mapping);
    this.view().scene.add(this.probe.object);
    return { particle: particleAt(end, 0), curve: path.filter((_, k) => k % 3 === 2) };
  }

  /** Removes the probe; false when there was none. */
  clear(): boolean {
    if (!this.probe) return false;
    this.view().scene.remove(this.probe.object);
    this.probe.dispose();
    this.probe = null;
    return true;
  }
}
