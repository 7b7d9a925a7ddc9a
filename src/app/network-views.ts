// The views of networks (state.model set): the network map (network-map-view.ts), and
// the loss curves of a few live networks spread over the lr range (their losses read
// from the particle buffers a few times a second, never awaited in the frame loop).

import { followedNetworks } from '../model/network';
import type { ViewPanel } from '../views/dock';
import { LossCurvesView, lrColor } from '../views/traces-view';
import type { ChartSeries } from '../views/chart';
import type { Explorer } from './explorer';
import { NetworkMapView } from './network-map-view';

const CHART = { width: 410, height: 190 };
const CURVES = 5;
const MAX_SAMPLES = 400;

export class NetworkViews {
  /** The network map (network-map-view.ts). */
  readonly map: NetworkMapView;
  private loss: LossCurvesView | null = null;
  private samples: { step: number; loss: number[] }[] = [];
  private lastRead = 0;
  private reading = false;
  private run: unknown = null;

  constructor(private readonly explorer: Explorer) {
    this.map = new NetworkMapView(explorer);
  }

  ensure(name: 'netmap' | 'netloss', panel: ViewPanel): void {
    if (name === 'netmap') this.map.ensure(panel);
    if (name === 'netloss' && !this.loss) this.loss = new LossCurvesView(panel, CHART);
  }

  /** After a change of state: the map restarts when what it is built from changed. */
  sync(): void {
    this.map.sync();
  }

  /** Once per frame. */
  frame(now: number): void {
    const views = this.explorer.state.views;
    if (views.includes('netmap')) this.map.frame();
    const net = this.explorer.networks;
    if (net !== this.run) {
      this.run = net;
      this.samples = [];
    }
    if (net && this.loss && views.includes('netloss') && !this.reading && now - this.lastRead > 400) {
      this.lastRead = now;
      this.reading = true;
      const step = net.stepsDone;
      void net
        .read()
        .then((p) => {
          if (net !== this.explorer.networks) return;
          const picked = followedNetworks(p.n, CURVES);
          if (this.samples.at(-1)?.step !== step) this.samples.push({ step, loss: picked.map((i) => p.pos[4 * i + 2]) });
          if (this.samples.length > MAX_SAMPLES) this.samples = this.samples.filter((_, k) => k % 2 === 0 || k === this.samples.length - 1);
          this.showLoss(net.built.lr, picked);
        })
        .finally(() => (this.reading = false));
    }
  }

  private showLoss(lr: Float32Array, picked: number[]): void {
    const s = this.explorer.state;
    const series: ChartSeries[] = picked.map((i, k) => ({
      label: `η ${lr[i].toPrecision(3)}`,
      values: this.samples.map((x) => x.loss[k]),
      // The colour the sharpness view (network-charts.ts) gives the same network.
      color: lrColor(lr[i], s.lrMin, s.lrMax, s.particleColormap),
    }));
    this.loss!.update(
      { x: this.samples.map((x) => x.step + 1), series, legend: series.map((c) => ({ label: c.label, color: c.color })) },
      `${picked.length} of the networks, spread over the lr range: full-batch loss`,
    );
  }

  /** For tests: whether each open network view has drawn. */
  get drawn(): { netmap: boolean; netloss: boolean } {
    return { netmap: this.map.drawn, netloss: !!this.loss?.chart.root && this.samples.length > 1 };
  }
}
