// `etascape bench` on a tiny workload: the shape of the results and that each figure
// follows from the counts beside it, not the speed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_WORKLOAD, type BenchWorkload } from '../../src/cli/bench';
import { PEER_OPTIMIZERS, PEER_SURFACES, type PeerRow } from '../../src/cli/bench-peers';
import { ok, tempDir } from './cli';

describe('etascape bench', () => {
  it("--n 4096 --steps 10 --json: the results' shape, each rate and ratio from the counts; --out writes the same", () => {
    const file = join(tempDir(), 'results', 'bench.json');
    const r = JSON.parse(
      ok([
        'bench',
        '--n',
        '4096',
        '--steps',
        '10',
        '--json',
        '--out',
        file,
        '--min-seconds',
        '0.2',
        '--cpu-seconds',
        '0.2',
        '--map-res',
        '16',
        '--map-steps',
        '50',
        '--peer-n',
        '1024',
      ]),
    );
    expect(Object.keys(r).sort()).toEqual(['adapter', 'cpu', 'date', 'map', 'node', 'peers', 'ratios', 'workloads']);
    expect(typeof r.adapter).toBe('string');
    expect(r.adapter.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    expect(r.node).toBe(process.version);
    expect(r.cpu).toMatch(/ x \d+$/);
    const workloadKeys = [
      'dispatches',
      'engine',
      'lr_max',
      'lr_min',
      'name',
      'optimizer',
      'particle_steps',
      'particle_steps_per_second',
      'particles',
      'seconds',
      'start',
      'stopped',
      'steps_per_dispatch',
      'surface',
    ];
    expect(r.workloads.map((w: BenchWorkload) => w.engine)).toEqual(['gpu', 'gpu', 'cpu', 'bare']);
    expect(r.workloads.map((w: BenchWorkload) => w.steps_per_dispatch)).toEqual([10, 1, r.workloads[2].steps_per_dispatch, 10]);
    for (const w of r.workloads as BenchWorkload[]) {
      expect(Object.keys(w).sort()).toEqual(workloadKeys.sort());
      expect(w).toMatchObject({
        surface: BENCH_WORKLOAD.surface,
        lr_min: BENCH_WORKLOAD.lrMin,
        lr_max: BENCH_WORKLOAD.lrMax,
        start: BENCH_WORKLOAD.start,
        particles: 4096,
        stopped: 0,
      });
      expect(w.particle_steps).toBeGreaterThan(0);
      expect(w.particle_steps % 4096).toBe(0); // every particle keeps running
      expect(w.particle_steps).toBe(4096 * w.steps_per_dispatch * w.dispatches);
      expect(w.seconds).toBeGreaterThan(0);
      expect(w.particle_steps_per_second).toBe(w.particle_steps / w.seconds);
    }
    // Each ratio is the quotient of the rates (or times) reported beside it.
    const rate = (k: number) => r.workloads[k].particle_steps_per_second;
    expect(Object.keys(r.ratios).sort()).toEqual(['engine_vs_bare', 'fused_vs_unfused', 'gpu_vs_cpu', 'map_gpu_vs_cpu']);
    expect(r.ratios.gpu_vs_cpu).toBe(rate(0) / rate(2));
    expect(r.ratios.fused_vs_unfused).toBe(rate(0) / rate(1));
    expect(r.ratios.engine_vs_bare).toBe(rate(0) / rate(3));
    // Peer rows: every optimizer x surface, the engine and its bare twin on the same particles.
    const pairs = (r.peers as PeerRow[]).map((p) => `${p.optimizer} ${p.surface}`);
    expect(pairs).toEqual(PEER_OPTIMIZERS.flatMap((o) => PEER_SURFACES.map((s) => `${o.label} ${s}`)));
    for (const p of r.peers as PeerRow[]) {
      expect(p).toMatchObject({ particles: 1024, steps_per_dispatch: 10 });
      for (const t of [p.engine, p.bare]) {
        expect(t.stopped).toBe(0);
        expect(t.particle_steps).toBe(1024 * 10 * t.dispatches);
        expect(t.particle_steps_per_second).toBe(t.particle_steps / t.seconds);
      }
      expect(p.engine_vs_bare).toBe(p.engine.particle_steps_per_second / p.bare.particle_steps_per_second);
    }
    expect(r.map).toMatchObject({ res: 16, steps: 50 });
    expect(r.ratios.map_gpu_vs_cpu).toBe(r.map.cpu_seconds_extrapolated / r.map.gpu_seconds);
    expect(r.map.cpu_seconds_extrapolated).toBe((r.map.cpu_seconds_measured * r.map.res) / r.map.cpu_rows);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(r);
  });

  it('prints a table and the ratios without --json', () => {
    const out = ok(['bench', '--n', '1024', '--steps', '4', '--min-seconds', '0.05', '--cpu-seconds', '0.05']);
    expect(out).toMatch(/^adapter: \S/m);
    expect(out).toMatch(/particle-steps\/s/);
    expect(out).toMatch(/^gpu vs cpu:\s+[\d.]+x/m);
    expect(out).toMatch(/^fused vs unfused:\s+[\d.]+x/m);
    expect(out).toMatch(/^engine vs bare:\s+[\d.]+x/m);
    expect(out).toMatch(/^GD\s+rosenbrock\s+\S+\s+\S+\s+[\d.]+x\s+0$/m);
  });
});
