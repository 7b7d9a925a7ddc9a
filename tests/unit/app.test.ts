// The explorer's logic that needs no browser: legend ticks, lr colours, state
// validation, layouts from state, the height mapping, the mesh and its contours,
// and snapshot / restore of a run.

import { describe, expect, test } from 'vitest';
import { buildRun, layoutFor, particleColors, runConfig } from '../../src/model/setup';
import { previewData } from '../../src/views/lr-preview';
import { DEFAULT_STATE, parseState, type ExplorerState } from '../../src/model/state';
import { CpuEngine } from '../../src/core/engine/cpu';
import { DEFAULT_RUN_CONFIG } from '../../src/core/particles';
import { resolveSurface } from '../../src/core/surfaces';
import { colormap } from '../../src/display/colormaps';
import { HEIGHT_CLIP, level, mappingFor, toWorld } from '../../src/display/mapping';
import { adaptiveGrid, buildMesh, sampleGrid } from '../../src/render/surface-mesh';
import { formatNumber, linearTicks, logTicks } from '../../src/display/ticks';

const state = (c: Partial<ExplorerState> = {}): ExplorerState => ({ ...DEFAULT_STATE, ...c });

describe('legend ticks', () => {
  test('log ticks fall on decades, in order, at their log positions', () => {
    const t = logTicks(1e-4, 1);
    expect(t.map((x) => x.value)).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    t.forEach((x, i) => expect(x.at).toBeCloseTo(i / 4, 12));
    expect(t.map((x) => x.label)).toEqual(['1e-4', '0.001', '0.01', '0.1', '1']);
  });
  test('a narrow range gets 1-2-5 ticks inside it', () => {
    const t = logTicks(0.005, 0.5);
    expect(t.map((x) => x.value)).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]);
    expect(t[0].at).toBe(0);
    expect(t.at(-1)!.at).toBeCloseTo(1, 12);
  });
  test('many decades are thinned to at most maxTicks', () => {
    expect(logTicks(1e-12, 1e6, 7).length).toBeLessThanOrEqual(7);
  });
  test('degenerate ranges still give labelled ends', () => {
    expect(logTicks(0.3, 0.35).map((x) => x.label)).toEqual(['0.3', '0.35']);
    expect(logTicks(1, 1)).toHaveLength(1);
  });
  test('linear ticks are round numbers', () => {
    expect(linearTicks(0, 0.95, 5).map((x) => x.value)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(formatNumber(12345)).toBe('1.2e4');
    expect(formatNumber(0.25)).toBe('0.25');
  });
});

describe('lr colours', () => {
  test('lrMin maps to the colormap start, lrMax to its end, log-linear between', () => {
    const s = state({ layout: 'sweep', lrMin: 1e-3, lrMax: 1e-1, n: 3 });
    const run = buildRun(s);
    const c = particleColors(run.particles, s);
    const expectRgb = (i: number, t: number) => colormap(s.particleColormap, t).forEach((v, k) => expect(c[4 * i + k]).toBeCloseTo(v, 5));
    expectRgb(0, 0);
    expectRgb(1, 0.5); // 1e-2 is halfway on a log scale
    expectRgb(2, 1);
    expect(c[3]).toBe(1);
  });
  test('colormaps stay in [0, 1] and differ along the scale', () => {
    for (const name of ['viridis', 'magma', 'inferno', 'plasma', 'turbo'] as const) {
      for (let t = 0; t <= 1; t += 0.05) colormap(name, t).forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
      expect(colormap(name, 0)).not.toEqual(colormap(name, 1));
    }
  });
});

describe('explorer state', () => {
  test('the default state is valid and builds 10^4 particles on the double well', () => {
    const r = parseState(DEFAULT_STATE);
    expect('state' in r).toBe(true);
    const run = buildRun(DEFAULT_STATE);
    expect(run.particles.n).toBe(10_000);
    expect(run.surface.id).toBe('double-well');
  });
  test('bad states are rejected with a message naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ ...DEFAULT_STATE, lrMin: -1 }, /lrMin/],
      [{ ...DEFAULT_STATE, n: 1e9 }, /n:/],
      [{ ...DEFAULT_STATE, lrMin: 1, lrMax: 0.1 }, /lrMin 1 is above lrMax 0.1/],
      [{ ...DEFAULT_STATE, start: [NaN, 1] }, /start/],
      [{ ...DEFAULT_STATE, layout: 'spiral' }, /layout/],
      ['not an object', /state/],
      [null, /state/],
    ];
    for (const [input, message] of bad) {
      const r = parseState(input);
      expect('error' in r && r.error).toMatch(message);
    }
  });
  test('each layout gives the particle count asked for (squares and bands round down)', () => {
    const surface = resolveSurface('quadratic');
    expect(layoutFor(state({ layout: 'sweep', n: 777 }), surface)).toMatchObject({ kind: 'sweep', n: 777 });
    expect(layoutFor(state({ layout: 'random', n: 10_000 }), surface)).toMatchObject({ kind: 'random', bands: 100, perBand: 100 });
    expect(layoutFor(state({ layout: 'grid', n: 10_000 }), surface)).toMatchObject({ kind: 'grid', nx: 100, ny: 100, lr: DEFAULT_STATE.lrMin });
    const map = layoutFor(state({ layout: 'map', n: 400, mapParam: 'momentum', mapMin: 0, mapMax: 0.9 }), surface);
    expect(map).toMatchObject({ kind: 'product', x: { param: 'lr', n: 20, scale: 'log' }, y: { param: 'momentum', n: 20, min: 0, max: 0.9 } });
  });
  test('bad input to a run names the problem', () => {
    expect(() => buildRun(state({ surface: 'x + * 2' }))).toThrow(/column 5/);
    expect(() => buildRun(state({ optimizer: 'sgd', hyper: { momentum: -1 } }))).toThrow(/momentum/);
    expect(() => buildRun(state({ layout: 'sweep', start: [NaN, 0] }))).toThrow(/start/);
  });
});

describe('height mapping and surface mesh', () => {
  test('level is 0 at the lowest loss, 1 at the colour-scale top, clipped above', () => {
    const m = mappingFor([-1, 1, -1, 1], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false);
    expect(level(m, m.lossMin)).toBe(0);
    expect(level(m, m.lossTop)).toBeCloseTo(1, 12);
    expect(level(m, 1e9)).toBe(HEIGHT_CLIP);
    expect(level(m, NaN)).toBe(HEIGHT_CLIP);
    const logM = { ...m, log: true };
    expect(level(logM, m.lossTop)).toBeCloseTo(1, 12);
    expect(level(logM, (m.lossMin + m.lossTop) / 10)).toBeGreaterThan(level(m, (m.lossMin + m.lossTop) / 10));
  });
  test('world coordinates put the domain centre at the origin and keep y as depth', () => {
    const m = mappingFor([0, 4, -1, 1], [0, 1], false);
    expect(toWorld(m, 2, 0, 0)).toEqual([0, 0, -0]);
    expect(toWorld(m, 4, 1, 0)[0]).toBeCloseTo(1, 12);
    expect(toWorld(m, 4, 1, 0)[2]).toBeCloseTo(-0.5, 12);
  });
  test('the mesh resolution follows the surface detail', () => {
    const smooth = adaptiveGrid(resolveSurface('quadratic'), false);
    const rugged = adaptiveGrid(resolveSurface('rastrigin'), false);
    expect(rugged.res).toBeGreaterThan(smooth.res);
  });
  test('mesh heights follow the loss and contours lie between grid values', () => {
    const surface = resolveSurface('quadratic');
    const grid = sampleGrid(surface, 33);
    const mesh = buildMesh(grid, { log: false, colormap: 'viridis', contourLevels: 5 });
    const centre = 16 * 33 + 16; // (0, 0): the minimum
    expect(mesh.positions[3 * centre + 1]).toBe(0);
    expect(mesh.indices.length).toBe(32 * 32 * 6);
    expect(mesh.contours.length % 6).toBe(0);
    expect(mesh.contours.length / 6).toBeGreaterThan(50);
    // Contour points sit at one of the iso heights (plus the small lift).
    const isoHeights = [1, 2, 3, 4, 5].map((k) => (k / 6) * mesh.mapping.heightScale + 0.004);
    for (let i = 1; i < mesh.contours.length; i += 3) {
      expect(Math.min(...isoHeights.map((h) => Math.abs(h - mesh.contours[i])))).toBeLessThan(0.02);
    }
  });
});

describe('snapshot and restore', () => {
  test('a run restored from a snapshot continues exactly as the uninterrupted run', async () => {
    const run = buildRun(state({ n: 400 }));
    const setup = { surface: run.surface, optimizer: run.optimizer, config: DEFAULT_RUN_CONFIG };
    const whole = new CpuEngine({ ...setup, particles: run.particles });
    whole.step(60);
    const first = new CpuEngine({ ...setup, particles: run.particles });
    first.step(25);
    const restored = new CpuEngine({ ...setup, particles: await first.read() });
    restored.step(35);
    const a = await whole.read();
    const b = await restored.read();
    expect(Array.from(b.pos)).toEqual(Array.from(a.pos));
    expect(Array.from(b.state)).toEqual(Array.from(a.state));
    expect(Array.from(b.info)).toEqual(Array.from(a.info));
  });
});

describe('minimum labels', () => {
  test('sharp and flat minima are labelled with lambda_max and 2/lambda_max', async () => {
    const { minimumLabelText } = await import('../../src/render/scene');
    const [flat, sharp] = resolveSurface('double-well').minima;
    expect(minimumLabelText(sharp)).toMatch(/^sharp {2}λmax 44\.\d {2}2\/λ 0\.044\d$/);
    expect(minimumLabelText(flat)).toMatch(/^flat {2}λmax 2\.4\d? {2}2\/λ 0\.8\d*$/);
    expect(minimumLabelText(resolveSurface('ackley').minima[0])).toBe('origin  (non-smooth)');
    expect(minimumLabelText(resolveSurface('rosenbrock').minima[0])).toMatch(/^valley end {2}λmax 1e3|^valley end {2}λmax 1000/);
  });
});

describe('clipping in the explorer state', () => {
  test('clipNorm and clipValue reach the engines config; negative values are rejected', async () => {
    const { runConfig } = await import('../../src/model/setup');
    expect(runConfig(state({ clipNorm: 1.5, clipValue: 0.2 }))).toMatchObject({ clipNorm: 1.5, clipValue: 0.2, gtol: DEFAULT_RUN_CONFIG.gtol });
    expect(runConfig(DEFAULT_STATE)).toMatchObject({ clipNorm: 0, clipValue: 0 });
    const r = parseState({ ...DEFAULT_STATE, clipNorm: -1 });
    expect('error' in r && r.error).toMatch(/clipNorm/);
  });
});

describe('schedules, noise, SAM and parameter groups in the explorer state', () => {
  test('the schedule text compiles into the run; bad text names the problem', () => {
    const run = buildRun(state({ schedule: 'StepLR(step_size=10, gamma=0.5)', n: 100 }));
    expect(run.optimizer.schedule?.def.name).toBe('StepLR');
    expect(run.optimizer.state).toContain('sch_lr_used');
    expect(() => buildRun(state({ schedule: 'StepLR(step_size=0)' }))).toThrow(/step_size must satisfy 1 <= step_size, got 0/);
    expect(() => buildRun(state({ schedule: 'Nope' }))).toThrow(/unknown schedule 'Nope'/);
    expect(() => buildRun(state({ schedule: 'StepLR(' }))).toThrow(/column 8/);
  });

  test('noise, batch size, seed and SAM reach the engines config; lr_y makes two parameter groups', () => {
    const s = state({ noise: 0.3, batchSize: 8, samRho: 0.05, seed: 42 });
    expect(runConfig(s)).toMatchObject({ noise: 0.3, batchSize: 8, samRho: 0.05, seed: 42 });
    const run = buildRun(state({ lrY: 0.01, n: 100 }));
    const H = run.particles.hyperStride;
    expect(run.optimizer.def.hyper.at(-1)!.name).toBe('lr_y');
    expect(run.particles.hyper[H - 1]).toBeCloseTo(0.01, 7);
    // The map's second axis can be lr_y: an eta_x x eta_y map.
    const map = buildRun(state({ layout: 'map', mapParam: 'lr_y', mapMin: 0.01, mapMax: 0.1, n: 100 }));
    const ys = new Set(Array.from({ length: 100 }, (_, i) => map.particles.hyper[i * map.particles.hyperStride + map.particles.hyperStride - 1].toFixed(4)));
    expect(ys.size).toBe(10);
    expect(parseState({ ...DEFAULT_STATE, batchSize: 0 })).toMatchObject({ error: expect.stringMatching(/batchSize/) });
    expect(parseState({ ...DEFAULT_STATE, lrY: -1 })).toMatchObject({ error: expect.stringMatching(/lrY/) });
    expect(parseState({ ...DEFAULT_STATE, schedule: 7 })).toMatchObject({ error: expect.stringMatching(/schedule/) });
  });

  test('eta(t) preview data: the compiled schedule per lr, one curve when the schedule sets its own lr, notes otherwise', () => {
    const d = previewData({ schedule: 'StepLR(step_size=10, gamma=0.5)', lrMin: 0.01, lrMax: 1 });
    expect(d.series).toHaveLength(3);
    expect(d.steps).toHaveLength(40);
    expect(d.series[2].lr[0]).toBeCloseTo(1, 6);
    expect(d.series[2].lr[10]).toBeCloseTo(0.5, 6);
    expect(d.series[0].lr[39]).toBeCloseTo(0.01 / 8, 8);
    expect(previewData({ schedule: 'CyclicLR(base_lr=0.1, max_lr=1, step_size_up=5)', lrMin: 0.01, lrMax: 1 }).series).toHaveLength(1);
    expect(previewData({ schedule: 'OneCycleLR(total_steps=50)', lrMin: 0.01, lrMax: 1 }).steps).toHaveLength(51);
    expect(previewData({ schedule: 'ReduceLROnPlateau', lrMin: 0.01, lrMax: 1 }).note).toMatch(/from its own run/);
    expect(previewData({ schedule: 'StepLR(', lrMin: 0.01, lrMax: 1 }).note).toMatch(/column 8/);
    expect(previewData({ schedule: '', lrMin: 0.01, lrMax: 1 }).note).toMatch(/constant/);
  });
});
