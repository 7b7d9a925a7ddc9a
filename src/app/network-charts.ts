// Two chart views of a live run of networks: *Network sharpness* (the top Hessian
// eigenvalue of the networks the loss curves follow, every sharpnessEvery steps, on the
// GPU, against each one's edge of stability 2/eta_t, or 2(1+beta)/eta_t with momentum,
// dashed in the same colour) and *Network sweep* (every network's current loss against
// its lr, binned on a log axis as the 2-D sweep view: median, q10-q90, fractions
// converged and diverged). Both read the GPU a few times a second, never awaited in the
// frame loop.

import { Status } from '../core/particles';
import { stabilityThreshold } from '../core/nn/sharpness';
import { lrColor } from '../views/traces-view';
import { formatNumber } from '../display/ticks';
import { followedNetworks } from '../model/network';
import type { ChartData, ChartSeries } from '../views/chart';
import type { ViewPanel } from '../views/dock';
import { SweepView, type SweepStats } from '../views/sweep-view';
import { alignSteps, SharpnessView } from '../views/traces-view';
import type { Explorer } from './explorer';
import type { NetworkRun } from './network-run';
import { SharpnessProbe } from './network-sharpness';

const CHART = { width: 410, height: 190 };
/** Most lr bins of the sweep curve, and the most sharpness samples drawn (older ones thinned). */
const SWEEP_BINS = 256;
const MAX_SAMPLES = 600;

/** Pure: per followed network its sharpness (solid) and its threshold at the same steps (dashed, same colour). */
function netSharpnessChart(
  samples: { step: number; lambda: number[] }[],
  nets: { index: number; lr: number; color: string; threshold: number[] }[],
): ChartData {
  const steps = samples.map((s) => s.step);
  const { x, values } = alignSteps([{ steps, values: nets.flatMap((n, k) => [samples.map((s) => s.lambda[k]), n.threshold]) }]);
  const series: ChartSeries[] = nets.flatMap((n, k) => [
    { label: `λmax #${n.index}`, values: values[2 * k], color: n.color, width: 1.5 },
    { label: `edge #${n.index}`, values: values[2 * k + 1], color: n.color, width: 1, dash: [5, 4] },
  ]);
  const legend = [...nets.map((n) => ({ label: `η ${formatNumber(n.lr)}`, color: n.color })), { label: 'edge 2/η (dashed)', color: '#c9d1d9', dash: true }];
  return { x, series, legend };
}

/** Pure: current losses and statuses of n networks binned by lr (log bins over their range; at most `bins`). */
function netSweepStats(lr: Float32Array, loss: (i: number) => number, status: (i: number) => number, bins = SWEEP_BINS): SweepStats {
  const n = lr.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lr) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const distinct = new Set(lr).size;
  const B = Math.max(1, Math.min(bins, distinct));
  const span = Math.log(hi / lo) || 1;
  const binOf = (v: number) => (B === 1 ? 0 : Math.min(B - 1, Math.round((Math.log(v / lo) / span) * (B - 1))));
  const members: number[][] = Array.from({ length: B }, () => []);
  for (let i = 0; i < n; i++) members[binOf(lr[i])].push(i);
  const out: SweepStats = { lr: [], q10: [], median: [], q90: [], converged: [], diverged: [], minima: [] };
  members.forEach((ids) => {
    if (!ids.length) return;
    const q = (f: number, v: number[]) => (v.length ? v[Math.min(v.length - 1, Math.floor(f * v.length))] : NaN);
    const finite = ids
      .filter((i) => status(i) !== Status.Diverged && status(i) !== Status.NonFinite)
      .map(loss)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    out.lr.push(Math.exp(ids.reduce((a, i) => a + Math.log(lr[i]), 0) / ids.length));
    out.q10.push(q(0.1, finite));
    out.median.push(q(0.5, finite));
    out.q90.push(q(0.9, finite));
    out.converged.push(ids.filter((i) => status(i) === Status.Converged).length / ids.length);
    out.diverged.push(ids.filter((i) => status(i) === Status.Diverged || status(i) === Status.NonFinite).length / ids.length);
  });
  return out;
}

export class NetworkCharts {
  private sharp: SharpnessView | null = null;
  private sweep: SweepView | null = null;
  private probe: SharpnessProbe | null = null;
  private creating: string | null = null;
  private lastPoll = 0;
  private lastSweep = 0;
  private readingSweep = false;
  private sweepDrawn = false;

  constructor(private readonly explorer: Explorer) {}

  ensure(name: 'netsharp' | 'netsweep', panel: ViewPanel): void {
    if (name === 'netsharp') this.sharp ??= new SharpnessView(panel, CHART);
    else this.sweep ??= new SweepView(panel, CHART);
  }

  /** Once per frame. */
  frame(now: number): void {
    const s = this.explorer.state;
    const net = this.explorer.networks;
    if (this.probe && (this.probe.run !== net || this.probe.every !== s.sharpnessEvery || !s.views.includes('netsharp'))) {
      this.probe.destroy();
      this.probe = null;
    }
    if (net && this.sharp && s.views.includes('netsharp')) this.followSharpness(net, now);
    if (net && this.sweep && s.views.includes('netsweep') && !this.readingSweep && now - this.lastSweep > 500) this.readSweep(net, now);
    if (!net) {
      const why = 'choose a model (Model folder) or a network scene: this view follows networks';
      if (this.sharp) this.sharp.panel.status.textContent = why;
      if (this.sweep) this.sweep.panel.status.textContent = why;
    }
  }

  private followSharpness(net: NetworkRun, now: number): void {
    const every = this.explorer.state.sharpnessEvery;
    const key = `${every}`;
    if (!this.probe) {
      if (this.creating === key) return;
      this.creating = key;
      void SharpnessProbe.create(net, followedNetworks(net.n), every).then(
        (p) => {
          this.creating = null;
          if (net !== this.explorer.networks || every !== this.explorer.state.sharpnessEvery) return p.destroy();
          this.probe = p;
          net.observer = p;
          p.measure(net.stepsDone);
        },
        (e: Error) => {
          this.creating = null;
          if (this.sharp) this.sharp.panel.status.textContent = `could not measure: ${e.message}`;
        },
      );
      return;
    }
    if (now - this.lastPoll < 300) return;
    this.lastPoll = now;
    const p = this.probe;
    void p.poll()?.then((fresh) => fresh && p === this.probe && this.drawSharpness(p));
  }

  private drawSharpness(p: SharpnessProbe): void {
    const s = this.explorer.state;
    let samples = p.samples;
    if (samples.length > MAX_SAMPLES) samples = samples.filter((_, k) => k % Math.ceil(samples.length / MAX_SAMPLES) === 0 || k === samples.length - 1);
    const steps = samples.map((x) => x.step);
    const setup = p.run.built.setup;
    const nets = p.picked.map((i) => ({
      index: i,
      lr: p.run.built.lr[i],
      color: lrColor(p.run.built.lr[i], s.lrMin, s.lrMax, s.particleColormap),
      threshold: stabilityThreshold(setup, i, steps),
    }));
    const edgeKnown = nets.every((n) => n.threshold.every(Number.isFinite));
    this.sharp!.update(
      netSharpnessChart(samples, nets),
      `top Hessian eigenvalue every ${p.every} steps (GPU power iteration)${edgeKnown ? '' : '; no edge of stability is known for this optimizer'}`,
    );
  }

  private readSweep(net: NetworkRun, now: number): void {
    this.lastSweep = now;
    this.readingSweep = true;
    const step = net.stepsDone;
    void net
      .read()
      .then((p) => {
        if (net !== this.explorer.networks || !this.sweep) return;
        const stats = netSweepStats(
          net.built.lr,
          (i) => p.pos[4 * i + 2],
          (i) => p.info[4 * i],
        );
        let conv = 0;
        let div = 0;
        for (let i = 0; i < p.n; i++) {
          const st = p.info[4 * i];
          if (st === Status.Converged) conv++;
          else if (st === Status.Diverged || st === Status.NonFinite) div++;
        }
        this.sweep.update(stats, [], `${p.n} networks at step ${step} (lr: layer 0's): converged ${conv}, diverged ${div}`);
        this.sweepDrawn = true;
      })
      .finally(() => (this.readingSweep = false));
  }

  /** For tests: whether each open view has drawn. */
  get drawn(): { netsharp: boolean; netsweep: boolean } {
    return { netsharp: !!this.sharp?.chart.root && (this.probe?.samples.length ?? 0) > 1, netsweep: this.sweepDrawn && !!this.sweep?.chart.root };
  }

  /** For tests and exports: what a chart shows (null before it draws). */
  chartData(name: 'netsharp' | 'netsweep'): ChartData | null {
    return (name === 'netsharp' ? this.sharp : this.sweep)?.data() ?? null;
  }
}
