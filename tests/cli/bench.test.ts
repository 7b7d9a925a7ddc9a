// `etascape bench` on a tiny workload: the shape of the results and that each figure
// follows from the counts beside it, not the speed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_WORKLOAD, type BenchWorkload } from '../../src/cli/bench';
import { ok, tempDir } from './cli';

describe('etascape bench', () => {
  it('--n 4096 --steps 10 --json: the results\' shape, each rate and ratio from the counts; --out writes the same', () => {
    const file = join(tempDir(), 'results', 'bench.json');
    const r = JSON.parse(ok(['bench', '--n', '4096', '--steps', '10', '--json', '--out', file, '--min-seconds', '0.2', '--cpu-seconds', '0.2', '--map-res', '16', '--map-steps', '50']));
    expect(Object.keys(r).sort()).toEqual(['adapter', 'cpu', 'date', 'map', 'node', 'ratios', 'workloads']);
    expect(typeof r.adapter).toBe('string');
    expect(r.adapter.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    expect(r.node).toBe(process.version);
    expect(r.cpu).toMatch(/ x \d+$/);
    const workloadKeys = [
      'dispatches', 'engine', 'lr_max', 'lr_min', 'name', 'optimizer', 'particle_steps', 'particle_steps_per_second', 'particles', 'seconds', 'start', 'stopped', 'steps_per_dispatch', 'surface',
    ];
    expect(r.workloads.map((w: BenchWorkload) => w.engine)).toEqual(['gpu', 'gpu', 'cpu']);
    expect(r.workloads.map((w: BenchWorkload) => w.steps_per_dispatch).slice(0, 2)).toEqual([10, 1]);
    for (const w of r.workloads as BenchWorkload[]) {
      expect(Object.keys(w).sort()).toEqual(workloadKeys.sort());
      expect(w).toMatchObject({ surface: BENCH_WORKLOAD.surface, lr_min: BENCH_WORKLOAD.lrMin, lr_max: BENCH_WORKLOAD.lrMax, start: BENCH_WORKLOAD.start, particles: 4096, stopped: 0 });
      expect(w.particle_steps).toBeGreaterThan(0);
      expect(w.particle_steps % 4096).toBe(0); // every particle keeps running
      expect(w.particle_steps).toBe(4096 * w.steps_per_dispatch * w.dispatches);
      expect(w.seconds).toBeGreaterThan(0);
      expect(w.particle_steps_per_second).toBe(w.particle_steps / w.seconds);
    }
    // Each ratio is the quotient of the rates (or times) reported beside it.
    const rate = (k: number) => r.workloads[k].particle_steps_per_second;
    expect(Object.keys(r.ratios).sort()).toEqual(['fused_vs_unfused', 'gpu_vs_cpu', 'map_gpu_vs_cpu']);
    expect(r.ratios.gpu_vs_cpu).toBe(rate(0) / rate(2));
    expect(r.ratios.fused_vs_unfused).toBe(rate(0) / rate(1));
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
  });
});
