// One network map being computed (network-map-plan.ts says what): level by level, a
// coarse pass first and then the full resolution, each a fresh engine of res x res
// networks trained a bounded number of network-steps per frame (by the float32
// NetworkEngine, or by NetworkEngineDF64 when the window is below what float32 resolves)
// and its outcome read back once, without awaiting it in the frame loop. Each level's
// image replaces the one before.

import { FRAME_WORK } from '../core/budget';
import type { ProductLayout } from '../core/layouts';
import { DF64Error } from '../core/nn/interp-df64';
import { initialTheta } from '../core/nn/network';
import { fractalImage, networkOutcomes } from '../core/nn/outcome';
import { buildNetSetup } from '../core/nn/setup';
import { wideHyper } from '../core/nn/train-wide';
import type { DeviceHandle } from '../gpu/device';
import { NetworkEngine } from '../gpu/network-engine';
import { NetworkEngineDF64 } from '../gpu/network-engine-df64';
import { networkProblem, networkStepCost } from '../model/network';
import type { ExplorerState } from '../model/state';
import { netMapRates, type NetMapPlan } from './network-map-plan';

/**
 * A df64 step's cost in float32 steps, for the frame budget. On a software GPU it is
 * measured: 2.0x on Dawn/SwiftShader (README, "Deep zoom (df64)"). On hardware it is an
 * estimate, not yet measured: a double-float add or multiply is 10-20 float32
 * operations (two-sum; Dekker's split, no fused fma).
 */
const DF64_STEP_FACTOR = { software: 2, hardware: 16 } as const;

export interface NetMapImage {
  layout: ProductLayout;
  nx: number;
  ny: number;
  /** Packed RGBA8, row 0 at the y axis' minimum. */
  rgba: Uint32Array;
  /** Per network, row-major from the y axis' minimum: converged (fractal measure). */
  converged: boolean[];
  level: number;
  final: boolean;
}

interface Level {
  index: number;
  layout: ProductLayout;
  n: number;
  engine: NetworkEngine | NetworkEngineDF64 | null;
  queued: number;
  perTick: number;
  reading: boolean;
}

export class NetworkMapJob {
  /** The latest level's image (the coarse one until the full one replaces it). */
  image: NetMapImage | null = null;
  /** Why the map cannot be computed (null while it can). */
  error: string | null = null;
  /** Set with `error` when float32 does not resolve the window and df64 cannot train these settings. */
  unresolved = false;
  private level: Level | null = null;
  private next = 0;
  private destroyed = false;
  private readonly make: (lrLayers: number[][]) => ReturnType<typeof buildNetSetup>;
  private readonly cost: number;
  private readonly budget: number;
  /** The learning rate of the layers that are not axes, and the number of layers. */
  private readonly fill: number;
  private readonly layers: number;

  constructor(
    private readonly handle: DeviceHandle,
    s: ExplorerState,
    readonly key: string,
    readonly plan: NetMapPlan,
  ) {
    const { model, data } = networkProblem(s);
    // One shared initial draw (the fractal's setup): every pixel differs only by its learning rates.
    const one = initialTheta(model, 1, { seed: s.seed });
    const { lr: _lr, ...settings } = s.hyper;
    void _lr;
    const schedule = s.schedule.trim() || undefined;
    this.make = (lrLayers) => {
      const theta = new Float32Array(lrLayers.length * model.params);
      for (let i = 0; i < lrLayers.length; i++) theta.set(one, i * model.params);
      return buildNetSetup({ model, data, optimizer: s.optimizer, settings, schedule, lrLayers, theta, config: { history: plan.steps } });
    };
    const tier = handle.software ? 'software' : 'hardware';
    this.cost = networkStepCost(model, data.n) * (plan.precision === 'df64' ? DF64_STEP_FACTOR[tier] : 1);
    this.budget = FRAME_WORK[tier] / 2;
    this.fill = Math.sqrt(s.lrMin * s.lrMax);
    this.layers = model.layers.length;
  }

  get finished(): boolean {
    return this.next >= this.plan.levels.length && !this.level;
  }

  /** The level being trained and its steps queued (null when none is). */
  get progress(): { layout: ProductLayout; coarse: boolean; done: number } | null {
    const l = this.level;
    return l ? { layout: l.layout, coarse: l.index < this.plan.levels.length - 1, done: l.queued } : null;
  }

  /** Once per frame: starts the next level, queues its next steps (bounded), or reads its outcome once all are queued. */
  tick(): void {
    if (this.destroyed || this.error) return;
    const l = this.level;
    if (!l) {
      if (this.next < this.plan.levels.length) this.start(this.next++);
      return;
    }
    const e = l.engine;
    if (!e || l.reading) return;
    const steps = this.plan.steps;
    if (l.queued < steps) {
      const k = Math.min(l.perTick, steps - l.queued);
      e.step(k);
      l.queued += k;
      return;
    }
    l.reading = true;
    void e.read().then(
      (st) => {
        if (this.destroyed) return;
        const { converged, value } = networkOutcomes(st, steps, 'fractal');
        const { nx, ny } = { nx: l.layout.x.n, ny: l.layout.y.n };
        const rgba = fractalImage(nx, converged, value);
        // fractalImage's row 0 is the top; the figure's row 0 is the y axis' minimum.
        const rows = new Uint8Array(rgba.length);
        const w = 4 * nx;
        for (let r = 0; r < ny; r++) rows.set(rgba.subarray((ny - 1 - r) * w, (ny - r) * w), r * w);
        const final = l.index === this.plan.levels.length - 1;
        this.image = { layout: l.layout, nx, ny, rgba: new Uint32Array(rows.buffer), converged, level: l.index, final };
        e.destroy();
        this.level = null;
      },
      (err: Error) => this.fail(err),
    );
  }

  private start(index: number): void {
    const layout = this.plan.levels[index];
    const n = layout.x.n * layout.y.n;
    const level: Level = { index, layout, n, engine: null, queued: 0, perTick: Math.max(1, Math.floor(this.budget / (n * this.cost))), reading: false };
    this.level = level;
    let lrLayers: number[][];
    let setup: ReturnType<typeof buildNetSetup>;
    try {
      lrLayers = netMapRates(layout, this.layers, this.fill, this.plan.precision);
      setup = this.make(lrLayers);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const created =
      this.plan.precision === 'df64' ? NetworkEngineDF64.create(this.handle, setup, wideHyper(setup, lrLayers)) : NetworkEngine.create(this.handle, setup);
    void created.then(
      (e) => {
        if (this.destroyed || this.level !== level) e.destroy();
        else level.engine = e;
      },
      (e: Error) => this.fail(e),
    );
  }

  private fail(e: Error): void {
    if (this.destroyed) return;
    if (e instanceof DF64Error) {
      this.unresolved = true;
      this.error = `float32 no longer resolves this window (${this.plan.why}); df64 cannot train it: ${e.message.replace(/^df64: /, '')}`;
    } else this.error = `could not run: ${e.message}`;
    this.level?.engine?.destroy();
    this.level = null;
  }

  destroy(): void {
    this.destroyed = true;
    this.level?.engine?.destroy();
    this.level = null;
  }
}
