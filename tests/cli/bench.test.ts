// `etascape bench` on a tiny workload: the shape of the results, not the speed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir } from './cli';

describe('etascape bench', () => {
  it('--n 4096 --steps 10 --json: positive rates, their ratios and the adapter; --out writes the same', () => {
    const file = join(tempDir(), 'results', 'bench.json');
    const r = JSON.parse(ok(['bench', '--n', '4096', '--steps', '10', '--json', '--out', file, '--min-seconds', '0.2', '--cpu-seconds', '0.2']));
    expect(typeof r.adapter).toBe('string');
    expect(r.adapter.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    expect(r.node).toBe(process.version);
    expect(r.workloads.map((w: any) => w.engine)).toEqual(['gpu', 'gpu', 'cpu']);
    expect(r.workloads.map((w: any) => w.steps_per_dispatch).slice(0, 2)).toEqual([10, 1]);
    for (const w of r.workloads) {
      expect(w.particles).toBe(4096);
      expect(w.particle_steps).toBeGreaterThan(0);
      expect(w.particle_steps % 4096).toBe(0); // every particle keeps running
      expect(w.stopped).toBe(0);
      expect(w.seconds).toBeGreaterThan(0);
      expect(w.particle_steps_per_second).toBeGreaterThan(0);
    }
    expect(r.ratios.gpu_vs_cpu).toBeGreaterThan(0);
    expect(r.ratios.fused_vs_unfused).toBeGreaterThan(0);
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
