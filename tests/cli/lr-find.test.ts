// `etascape lr-find`: the suggestions and the curve (JSON, CSV), both engines, and every
// bad-input path (exit 2, one line naming the flag).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, close, ok, tempDir } from './cli';

// GD on a quadratic with lambda = (1, 10): it blows up past 2/10.
const QUAD = ['lr-find', '--surface', 'quadratic', '--surface-param', 'lambda1=1', '--surface-param', 'lambda2=10', '--optimizer', 'gd'];
const ONE_START = [...QUAD, '--start', '1,1', '--lr-min', '1e-5', '--lr-max', '10', '--steps', '120'];

interface Doc {
  lr_min: number;
  lr_max: number;
  steps: number;
  particles: number;
  engine: string;
  schedule: string;
  stop: { reason: string; step: number | null; lr: number | null };
  suggestions: Record<'valley' | 'steep' | 'minimum', { lr: number; step: number; loss: number; lr_at_minimum?: number } | null>;
  window: [number, number];
  curve: { step: number[]; lr: number[]; loss: number[]; smoothed: number[] };
}

const json = (args: string[]): Doc => JSON.parse(ok([...args, '--json']));

describe('etascape lr-find', () => {
  it('GD on a quadratic: stops past 2/lambda_max, valley below it; the curve is the range test', () => {
    const d = json(ONE_START);
    expect(d.particles).toBe(1);
    expect(d.engine).toBe('gpu');
    expect(d.schedule).toMatch(/^LRRangeTest\(start_lr=0\.00001, num_it=120\)$/);
    expect(d.stop.reason).toBe('diverged');
    expect(d.stop.lr!).toBeGreaterThan(0.2);
    expect(d.suggestions.valley!.lr).toBeLessThan(0.2);
    expect(d.suggestions.steep!.lr).toBeLessThan(0.2);
    expect(d.suggestions.minimum!.lr_at_minimum!).toBe(d.curve.lr[d.suggestions.minimum!.step]);
    expect(Math.fround(10 * d.suggestions.minimum!.lr)).toBe(Math.fround(d.suggestions.minimum!.lr_at_minimum!));
    // The curve runs up to and including the stopping step; lr grows by (lr_max/lr_min)^(1/steps).
    const n = d.stop.step! + 1;
    expect(d.curve.step).toEqual(Array.from({ length: n }, (_, i) => i));
    d.curve.lr.forEach((lr, t) => expect(close(lr, 1e-5 * 1e6 ** (t / 120), 1e-5)).toBe(true));
    // Step 0's loss is the start's, 0.5 (1 + 10); the smoothing starts from it (debiased).
    expect(d.curve.loss[0]).toBeCloseTo(5.5, 5);
    expect(d.curve.smoothed[0]).toBeCloseTo(5.5, 5);
    expect(d.curve.smoothed[n - 1]).toBeGreaterThan(4 * Math.min(...d.curve.smoothed));
    // Suggestions point into the window fastai reads: steps num_it//10 .. len-5.
    expect(d.window).toEqual([12, n - 5]);
    for (const s of Object.values(d.suggestions)) {
      expect(s!.step).toBeGreaterThanOrEqual(12);
      expect(s!.step).toBeLessThan(n - 5);
      expect(s!.loss).toBe(d.curve.smoothed[s!.step]);
    }
    expect(d.suggestions.valley!.lr).toBe(d.curve.lr[d.suggestions.valley!.step]);
  });

  it('random starts: the CPU reference gives the same curve as the GPU; the seed picks the starts', () => {
    const args = [...QUAD, '--starts', '32', '--seed', '4', '--steps', '80', '--lr-min', '1e-4'];
    const gpu = json(args);
    const cpu = json([...args, '--engine', 'cpu']);
    expect(cpu.engine).toBe('cpu');
    expect(gpu.particles).toBe(32);
    expect(cpu.curve).toEqual(gpu.curve);
    expect(cpu.suggestions).toEqual(gpu.suggestions);
    const other = json([...QUAD, '--starts', '32', '--seed', '5', '--steps', '80', '--lr-min', '1e-4', '--engine', 'cpu']);
    expect(other.curve.loss[0]).not.toBe(cpu.curve.loss[0]);
  });

  it('the summary names the stop and the three suggestions, with 2/lambda_max', () => {
    const text = ok(ONE_START);
    expect(text).toMatch(/^etascape lr-find: 1 particle from \(1, 1\), SGD .* on quadratic, lr 1e-5 \.\. 10 over 120 steps/);
    expect(text).toMatch(/stopped at step \d+, lr [\d.]+: the smoothed loss passed 4x its best \(stop_div\)/);
    for (const k of ['valley', 'steep', 'minimum']) expect(text).toMatch(new RegExp(`^  ${k} +[\\d.e-]+ `, 'm'));
    expect(text).toContain('2/lambda_max at the known minima: origin 0.2');
  });

  it('--out FILE.csv writes the curve; --out FILE.json the whole result', () => {
    const dir = tempDir();
    const d = json(ONE_START);
    const csvPath = join(dir, 'lr.csv');
    const text = ok([...ONE_START, '--out', csvPath]);
    expect(text).toContain(`wrote ${d.curve.step.length} rows to ${csvPath}`);
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('step,lr,loss,smoothed');
    expect(lines).toHaveLength(d.curve.step.length + 1);
    const row = lines[6].split(',').map(Number);
    expect(row).toEqual([5, d.curve.lr[5], d.curve.loss[5], d.curve.smoothed[5]]);
    const jsonPath = join(dir, 'sub', 'lr.json');
    ok([...ONE_START, '--out', jsonPath]);
    expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual(d);
  });

  it("a run too short for fastai's window reports no suggestions", () => {
    // 5 steps: fastai reads lrs[0:-5], nothing.
    const d = json([...QUAD, '--start', '1,1', '--steps', '5', '--engine', 'cpu']);
    expect(d.window).toEqual([0, 0]);
    expect(d.suggestions).toEqual({ valley: null, steep: null, minimum: null });
    expect(ok([...QUAD, '--start', '1,1', '--steps', '5', '--engine', 'cpu'])).toContain('too few steps before the stop');
  });

  it('help: its own page, and the command list', () => {
    const help = ok(['lr-find', '--help']);
    expect(help).toContain('Usage: etascape lr-find');
    expect(help).toMatch(/valley +half-way down the longest valley/);
    expect(ok(['help', 'lr-find'])).toContain('Usage: etascape lr-find');
    expect(ok(['--help'])).toMatch(/^ {2}lr-find /m);
  });

  const BAD: [string, string[], RegExp][] = [
    ['lr-min 0', ['--lr-min', '0'], /--lr-min must be > 0, got 0/],
    ['lr-min negative', ['--lr-min', '-1e-3'], /--lr-min must be > 0, got -1e-3/],
    ['lr-min = lr-max', ['--lr-min', '0.5', '--lr-max', '0.5'], /--lr-min 0.5 must be below --lr-max 0.5/],
    ['lr-min > lr-max', ['--lr-min', '1', '--lr-max', '0.1'], /--lr-min 1 must be below --lr-max 0.1/],
    ['steps 1', ['--steps', '1'], /--steps must be >= 2, got 1/],
    ['steps 0', ['--steps', '0'], /--steps must be >= 2, got 0/],
    ['steps too many', ['--steps', '20000'], /--steps must be at most 10000/],
    ['starts 0', ['--starts', '0'], /--starts must be >= 1, got 0/],
    ['starts too many', ['--starts', '5000'], /--starts must be at most 4096/],
    ['a fixed lr', ['--lr', '0.1'], /lr-find sweeps the lr itself: give --lr-min and --lr-max/],
    ['a schedule', ['--schedule', 'StepLR'], /lr-find runs its own schedule/],
    ['bad --out', ['--out', 'curve.txt'], /--out: the file name must end in .csv or .json/],
    ['bad engine', ['--engine', 'tpu'], /--engine: expected cpu or gpu/],
    ["another optimizer's flag", ['--betas', '0.9,0.99'], /SGD has no hyperparameter 'betas'/],
  ];
  for (const [name, extra, message] of BAD) {
    it(`bad input exits 2 with one line: ${name}`, () => {
      const r = cli([...QUAD, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^etascape: /);
      expect(lines[0]).toMatch(message);
    });
  }

  it('no surface: exit 2 naming --surface', () => {
    const r = cli(['lr-find', '--optimizer', 'gd']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^etascape: --surface is required/);
  });
});
