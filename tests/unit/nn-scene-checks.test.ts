// The network scenes' check functions on synthetic runs whose verdict is known: each
// passes what it should and fails each condition it states (the scene tests then run
// them on real training, tests/unit/nn-scenes.test.ts and tests/gpu/nn-scenes.test.ts).

import { describe, expect, it } from 'vitest';
import type { SharpnessRun } from '../../src/core/nn/runner';
import { checkCatapult, checkEdgeOfStability, checkFractal, checkSharpVsFlat, type SceneCheck } from '../../src/core/nn/scenes';
import { Status } from '../../src/core/particles';

/** A run of networks with the given loss rows (steps each), statuses, final losses and sharpness samples. */
function fakeRun(rows: number[][], statuses: number[], finals: number[], at: number[], sharpness: number[][]): SharpnessRun {
  const n = rows.length;
  const info = new Uint32Array(4 * n);
  statuses.forEach((s, i) => (info[4 * i] = s));
  const losses = new Float32Array(2 * n);
  finals.forEach((f, i) => ((losses[2 * i] = rows[i][0]), (losses[2 * i + 1] = f)));
  return {
    state: { n, theta: new Float32Array(0), ostate: new Float32Array(0), info, losses, history: Float32Array.from(rows.flat()) },
    at,
    sharpness: sharpness.map((s) => Float32Array.from(s)),
  };
}

const failed = (c: SceneCheck, word: string) => !c.pass && c.failures.some((f) => f.includes(word));

describe('scene checks', () => {
  it('fractal: a checkerboard boundary passes; a straight one (dimension 1) and a map of one outcome fail', () => {
    const R = 16;
    const map = (f: (x: number, y: number) => boolean) => Uint8Array.from({ length: R * R }, (_, i) => (f(i % R, Math.floor(i / R)) ? 1 : 0));
    expect(checkFractal([map((x, y) => (x + y) % 2 === 0)], R).pass).toBe(true);
    expect(failed(checkFractal([map((x) => x < 7)], R), 'dimension')).toBe(true);
    expect(failed(checkFractal([map(() => true)], R), 'both outcomes')).toBe(true);
  });

  it('edge of stability: sharpening to 2/eta and hovering passes; hovering below, or a monotone loss, fails', () => {
    const steps = 100;
    const at = Array.from({ length: 11 }, (_, k) => 10 * k);
    const wobbly = Array.from({ length: steps }, (_, t) => (1 / (1 + 0.05 * t)) * (t >= 40 && t % 2 ? 1.05 : 1));
    const smooth = Array.from({ length: steps }, (_, t) => 1 / (1 + 0.05 * t));
    const edge = [3.5, 3.0, 3.2, 3.6, 4.0, 4.1, 3.9, 4.0, 4.05, 3.95, 4.0].map((s) => [s]);
    const flat = [3.5, 3.0, 3.2, 3.6, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0].map((s) => [s]);
    const ok = checkEdgeOfStability(fakeRun([wobbly], [Status.Running], [0.05], at, edge), 0.5, steps);
    expect(ok.failures).toEqual([]);
    expect(ok.measured.edgeReachedAt).toBe(30);
    expect(failed(checkEdgeOfStability(fakeRun([wobbly], [Status.Running], [0.05], at, flat), 0.5, steps), 'last half')).toBe(true);
    expect(failed(checkEdgeOfStability(fakeRun([smooth], [Status.Running], [0.05], at, edge), 0.5, steps), 'loss after the edge')).toBe(true);
  });

  it('catapult: no spike below 2/lambda_0, a spike then flatter in the window, divergence above; each broken case fails', () => {
    const rows = [
      [1, 0.9, 0.8, 0.7, 0.6],
      [1, 3, 0.9, 0.7, 0.5],
      [1, 10, 1e3, NaN, NaN],
    ];
    const factors = [0.8, 1.5, 3];
    const etas = factors.map((c) => 2 * c); // lambda_0 = 1
    const statuses = [Status.Running, Status.Running, Status.Diverged];
    const check = (r: number[][], st: number[], end: number[]) => checkCatapult(fakeRun(r, st, [0.5, 0.4, NaN], [5], [end]), factors, etas, 5);
    expect(check(rows, statuses, [0.9, 0.5, NaN]).failures).toEqual([]);
    expect(failed(check([rows[1], rows[1], rows[2]], statuses, [0.9, 0.5, NaN]), 'c = 0.8')).toBe(true);
    expect(failed(check([rows[0], rows[0], rows[2]], statuses, [0.9, 0.5, NaN]), 'c = 1.5')).toBe(true);
    expect(failed(check(rows, statuses, [0.9, 0.8, NaN]), 'c = 1.5')).toBe(true);
    expect(failed(check(rows, [Status.Running, Status.Running, Status.Running], [0.9, 0.5, NaN]), 'c = 3')).toBe(true);
  });

  it('sharp vs flat: flatter with eta and under 2/eta passes; flat in eta, or above 2/eta, fails', () => {
    const etas = Array.from({ length: 8 }, (_, i) => 0.2 * 1.4 ** i);
    const rows = etas.map(() => [1, 0.5]);
    const st = etas.map(() => Status.Running);
    const run = (end: number[]) =>
      fakeRun(
        rows,
        st,
        rows.map(() => 0.4),
        [2],
        [end],
      );
    expect(checkSharpVsFlat(run(etas.map((e) => Math.min(3, 0.95 * (2 / e)))), etas).failures).toEqual([]);
    expect(failed(checkSharpVsFlat(run(etas.map((e) => 0.9 * (2 / etas[7]) + 0 * e)), etas), 'flatter')).toBe(true);
    expect(failed(checkSharpVsFlat(run(etas.map((e) => 1.2 * (2 / e))), etas), '2/eta')).toBe(true);
  });
});
