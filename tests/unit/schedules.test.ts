// Schedules: the text syntax, validation, every schedule against PyTorch's chainable
// forms (replayed in float64), and the stateful ones in the CPU reference.

import { describe, expect, test } from 'vitest';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { getOptimizer } from '../../src/core/optimizers';
import { DEFAULT_RUN_CONFIG, Status, particleStatus } from '../../src/core/particles';
import {
  compileSchedule,
  formatSchedule,
  parseScheduleText,
  resolveSchedule,
  SCHEDULE_DEFS,
  ScheduleError,
  scheduleText,
  scheduleValues,
  usesBaseLr,
  type ScheduleSpec,
} from '../../src/core/schedules';
import { resolveSurface } from '../../src/core/surfaces';
import { torchSchedule, TorchReduceLROnPlateau, type TorchSpec } from '../helpers/pytorch-schedulers';

const values = (text: string, lr: number, steps: number) => Array.from(scheduleValues(compileSchedule(resolveSchedule(text)), lr, steps));

/** float32 against float64: relative 1e-5, or 1e-5 of the peak near zero. */
function expectClose(got: number[], want: number[], what: string) {
  const peak = Math.max(...want.map(Math.abs));
  got.forEach((g, t) => {
    const tol = 1e-5 * Math.max(Math.abs(want[t]), 0.01 * peak);
    if (!(Math.abs(g - want[t]) <= tol)) throw new Error(`${what}: step ${t}: ${g} vs PyTorch ${want[t]}`);
  });
}

function toTorch(s: ScheduleSpec): TorchSpec {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.params)) params[k] = Array.isArray(v) && typeof v[0] === 'object' ? (v as ScheduleSpec[]).map(toTorch) : v;
  return { name: s.name, params };
}

describe('schedule text', () => {
  test('parses PyTorch-style constructor calls and prints them back', () => {
    const text = 'SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])';
    const spec = parseScheduleText(text);
    expect(spec.name).toBe('SequentialLR');
    expect(spec.params.milestones).toEqual([5]);
    expect((spec.params.schedulers as ScheduleSpec[])[1]).toEqual({ name: 'CosineAnnealingLR', params: { T_max: 95 } });
    expect(formatSchedule(spec)).toBe(text);
    expect(parseScheduleText(formatSchedule(spec))).toEqual(spec);
    expect(parseScheduleText("CyclicLR(max_lr=5, mode='triangular2', cycle_momentum=False)").params).toEqual({
      max_lr: 5,
      mode: 'triangular2',
      cycle_momentum: false,
    });
    expect(parseScheduleText('CyclicLR(max_lr=5, mode=exp_range, gamma=1e-3)').params).toEqual({ max_lr: 5, mode: 'exp_range', gamma: 1e-3 });
    expect(parseScheduleText('  StepLR  ')).toEqual({ name: 'StepLR', params: {} });
  });

  test('canonical text keeps only what differs from the defaults', () => {
    expect(scheduleText(resolveSchedule('StepLR(step_size=3, gamma=0.1)'))).toBe('StepLR(step_size=3)');
    expect(scheduleText(resolveSchedule('onecyclelr(total_steps=100)'))).toBe('OneCycleLR(total_steps=100)');
  });

  test.each([
    ['', /empty/],
    ['StepLR(', /column 8: expected a parameter name/],
    ['StepLR(step_size)', /expected '=' after step_size/],
    ['StepLR(step_size=3', /expected ',' or '\)'/],
    ['StepLR(step_size=3) extra', /unexpected text/],
    ['StepLR(step_size=3, step_size=4)', /given twice/],
    ["StepLR(step_size='3)", /unterminated string/],
    ['StepLR(step_size=None)', /None/],
    ['MultiStepLR(milestones=[1, LinearLR])', /numbers or schedules, not both/],
    ['SequentialLR(schedulers=LinearLR(total_iters=2))', /goes in a list/],
    ['a(b=[c(d=[e(f=[g(h=[i(j=[k])])])])])', /nested too deeply/],
    ['x'.repeat(3000), /longer than/],
  ])('malformed text %# -> ScheduleError', (text, re) => {
    expect(() => parseScheduleText(text)).toThrow(ScheduleError);
    expect(() => parseScheduleText(text)).toThrow(re);
  });

  test.each([
    ['FooLR', /unknown schedule 'FooLR' \(known: StepLR/],
    ['StepLR', /StepLR: step_size is required/],
    ['StepLR(step_size=0)', /step_size must satisfy 1 <= step_size, got 0/],
    ['StepLR(step_size=2.5)', /step_size must be a whole number/],
    ['StepLR(step_size=2, gamma=-1)', /gamma must satisfy 0 < gamma/],
    ['StepLR(step_size=2, gama=0.5)', /StepLR has no parameter 'gama' \(it takes step_size, gamma\)/],
    ['CosineAnnealingLR(T_max=0)', /T_max must satisfy 0 < T_max, got 0/],
    ['CosineAnnealingLR(T_max=-5)', /T_max must satisfy/],
    ['ExponentialLR', /gamma is required/],
    ['CyclicLR(max_lr=1, mode=sawtooth)', /mode must be one of triangular, triangular2, exp_range, got 'sawtooth'/],
    ['CyclicLR(max_lr=1, cycle_momentum=maybe)', /cycle_momentum is a flag/],
    ['OneCycleLR(max_lr=0.1)', /give total_steps, or epochs and steps_per_epoch/],
    ['OneCycleLR(max_lr=0.1, total_steps=3)', /phase 1 has no steps/],
    ['OneCycleLR(max_lr=0.1, total_steps=100, pct_start=1.5)', /pct_start must satisfy/],
    ['MultiStepLR(milestones=[2, -1])', /milestones holds step numbers/],
    ['SequentialLR(schedulers=[LinearLR, StepLR(step_size=2)], milestones=[])', /needs 1 milestones for 2 schedulers, got 0/],
    ['SequentialLR(schedulers=[LinearLR, ReduceLROnPlateau], milestones=[3])', /ReduceLROnPlateau cannot be one of SequentialLR's schedulers/],
    ['SequentialLR(schedulers=[LinearLR, StepLR], milestones=[3])', /StepLR: step_size is required/],
    ['ReduceLROnPlateau(factor=1)', /factor must satisfy 0 <= factor < 1/],
    ['GradNormBrake(window=17)', /window must satisfy 1 <= window <= 16/],
    ['CurvatureAdaptive(s=1)', /s must satisfy 0 < s < 1/],
  ])('bad parameters %j -> %s', (text, re) => {
    expect(() => resolveSchedule(text)).toThrow(ScheduleError);
    expect(() => resolveSchedule(text)).toThrow(re);
  });

  test('values from the command line arrive as text and are read by kind', () => {
    const r = resolveSchedule({ name: 'CyclicLR', params: { base_lr: '1', max_lr: '5', step_size_up: '4', mode: 'triangular2', cycle_momentum: 'false' } });
    expect(r.params).toMatchObject({ base_lr: 1, max_lr: 5, step_size_up: 4, mode: 'triangular2', cycle_momentum: false });
    expect(resolveSchedule({ name: 'MultiStepLR', params: { milestones: '2,5,9' } }).params.milestones).toEqual([2, 5, 9]);
  });

  test('stateful schedules have no lr(t) of their own', () => {
    for (const name of ['ReduceLROnPlateau', 'GradNormBrake', 'CurvatureAdaptive']) {
      expect(() => compileSchedule(resolveSchedule(name))).toThrow(/depends on the run/);
    }
  });

  test('usesBaseLr: false when the schedule sets its own lr', () => {
    expect(usesBaseLr(compileSchedule(resolveSchedule('StepLR(step_size=2)')))).toBe(true);
    expect(usesBaseLr(compileSchedule(resolveSchedule('CyclicLR(base_lr=1, max_lr=5)')))).toBe(false);
    expect(usesBaseLr(compileSchedule(resolveSchedule('LRRangeTest')))).toBe(false);
    expect(usesBaseLr(compileSchedule(resolveSchedule('CyclicLR(max_lr=5)')))).toBe(true);
  });
});

describe('every schedule against PyTorch (chainable forms replayed in float64)', () => {
  const cases: [string, number, number][] = [
    ['StepLR(step_size=3, gamma=0.5)', 0.1, 40],
    ['StepLR(step_size=1, gamma=0.9)', 1, 60],
    ['MultiStepLR(milestones=[2, 5, 9])', 1, 20],
    ['MultiStepLR(milestones=[10, 3, 3], gamma=0.5)', 0.3, 20],
    ['ExponentialLR(gamma=0.95)', 0.5, 200],
    ['CosineAnnealingLR(T_max=10)', 0.1, 50],
    ['CosineAnnealingLR(T_max=7, eta_min=0.01)', 0.2, 40],
    ['CosineAnnealingWarmRestarts(T_0=5)', 0.1, 40],
    ['CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.001)', 0.1, 100],
    ['CosineAnnealingWarmRestarts(T_0=1, T_mult=3)', 1, 130],
    ['CyclicLR(base_lr=1, max_lr=5, step_size_up=4, mode=triangular2)', 1, 40],
    ['CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5)', 0.01, 40],
    ['CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=4, mode=exp_range, gamma=0.97)', 0.01, 60],
    ['OneCycleLR(max_lr=0.1, total_steps=100)', 0.1, 101],
    ['OneCycleLR(max_lr=1, total_steps=50, anneal_strategy=linear, pct_start=0.25)', 1, 51],
    ['OneCycleLR(max_lr=1, total_steps=60, three_phase=True)', 1, 61],
    ['OneCycleLR(max_lr=0.5, epochs=4, steps_per_epoch=10, div_factor=10, final_div_factor=100)', 0.5, 40],
    ['LinearLR', 0.1, 12],
    ['LinearLR(start_factor=0.1, end_factor=0.9, total_iters=8)', 1, 15],
    ['LinearLR(start_factor=1, end_factor=0.05, total_iters=10)', 1, 15],
    ['ConstantLR', 0.1, 10],
    ['ConstantLR(factor=0.5, total_iters=3)', 1, 10],
    ['PolynomialLR', 1, 10],
    ['PolynomialLR(total_iters=10, power=2)', 0.1, 15],
    ['PolynomialLR(total_iters=8, power=0.5)', 0.1, 12],
    ['SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])', 0.1, 100],
    ['SequentialLR(schedulers=[ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9), StepLR(step_size=4)], milestones=[3, 10])', 1, 30],
    ['SequentialLR(schedulers=[MultiStepLR(milestones=[1, 2]), CosineAnnealingWarmRestarts(T_0=4, T_mult=2)], milestones=[6])', 1, 40],
  ];
  test.each(cases)('%s (lr %d, %d steps)', (text, lr, steps) => {
    const want = torchSchedule(toTorch(parseScheduleText(text)), lr, steps).lr;
    expectClose(values(text, lr, steps), want, text);
  });

  test('every closed-form schedule has a case above', () => {
    const covered = new Set(cases.map(([t]) => parseScheduleText(t).name));
    const torchNames = SCHEDULE_DEFS.filter((d) => d.origin === 'PyTorch' && !d.stateful).map((d) => d.name);
    expect(torchNames.filter((n) => !covered.has(n))).toEqual([]);
  });

  test('hand-computed values: CyclicLR triangular2, OneCycleLR phases, MultiStepLR, warm restarts', () => {
    expect(values('CyclicLR(base_lr=1, max_lr=5, step_size_up=4, mode=triangular2)', 1, 13)).toEqual([1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2, 2.5, 3]);
    values('CyclicLR(base_lr=1, max_lr=3, step_size_up=1, step_size_down=3)', 1, 5).forEach((v, t) => expect(v).toBeCloseTo([1, 3, 7 / 3, 5 / 3, 1][t], 6));
    const oc = values('OneCycleLR(max_lr=0.1, total_steps=10)', 0.1, 12);
    expect(oc[0]).toBeCloseTo(0.004, 8); // max_lr / div_factor
    expect(oc[2]).toBeCloseTo(0.1, 8); // end of the warm-up: step pct_start * total - 1 = 2
    expect(oc[9]).toBeCloseTo(4e-7, 12); // initial / final_div_factor at total - 1
    expect(oc[11]).toBe(oc[9]); // past total_steps the lr holds
    expect(values('MultiStepLR(milestones=[2, 5, 5], gamma=0.1)', 1, 7).map((v) => +v.toPrecision(6))).toEqual([1, 1, 0.1, 0.1, 0.1, 0.001, 0.001]);
    // SGDR with T_0 = 2, T_mult = 2: restarts at 2, 6, 14.
    const sgdr = values('CosineAnnealingWarmRestarts(T_0=2, T_mult=2)', 1, 15);
    for (const t of [0, 2, 6, 14]) expect(sgdr[t]).toBe(1);
    expect(sgdr[4]).toBeCloseTo(0.5, 6);
    expect(values('InverseTimeDecay(decay_rate=0.5)', 1, 5)).toEqual([1, 1 / 1.5, 0.5, 0.4, 1 / 3].map(Math.fround));
    expect(values('InverseTimeDecay(decay_rate=1, decay_steps=2, staircase=True)', 1, 6)).toEqual([1, 1, 0.5, 0.5, 1 / 3, 1 / 3].map(Math.fround));
    const sine = values('SineLR(max_lr=3, period=4)', 1, 9);
    expect(sine.map((v) => +v.toFixed(5))).toEqual([1, 2, 3, 2, 1, 2, 3, 2, 1]);
  });

  test('LR range test: fastai SchedExp, start_lr * (end_lr/start_lr)^(t/num_it)', () => {
    const v = values('LRRangeTest(start_lr=1e-7, end_lr=10, num_it=100)', 1, 101);
    v.forEach((x, t) => expect(Math.abs(x / (1e-7 * 1e8 ** (t / 100)) - 1)).toBeLessThan(2e-6));
    expect(v[100]).toBeCloseTo(10, 4);
    // A constant factor per step.
    for (let t = 1; t < 100; t++) expect(v[t] / v[t - 1]).toBeCloseTo(10 ** 0.08, 5);
  });
});

describe('schedules in the CPU reference', () => {
  const quad = (l1: number, l2: number) => resolveSurface('quadratic', { lambda1: l1, lambda2: l2 });

  /** Steps one particle and records the lr it used (sch_lr_used) and the loss it saw at each step. */
  function record(optimizer: string, schedule: string, hyper: Record<string, number>, steps: number, start: [number, number] = [1, 1], l = [1, 10]) {
    const opt = getOptimizer(optimizer, { schedule: resolveSchedule(schedule) });
    const particles = buildParticles({ kind: 'sweep', start, lrMin: hyper.lr, lrMax: hyper.lr, n: 1 }, opt, hyper);
    const engine = new CpuEngine({ surface: quad(l[0], l[1]), optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } });
    const used = opt.state.indexOf('sch_lr_used');
    const lr: number[] = [];
    const loss: number[] = [];
    const path: [number, number][] = [];
    for (let t = 0; t < steps; t++) {
      engine.step(1);
      const p = engine.state;
      expect(particleStatus(p.info, 0)).toBe(Status.Running);
      lr.push(p.state[2 * used]);
      loss.push(p.pos[3]);
      path.push([p.pos[0], p.pos[1]]);
    }
    return { lr, loss, path, opt };
  }

  test("the lr a run uses is the schedule's lr(t)", () => {
    const text = 'OneCycleLR(total_steps=30, cycle_momentum=False)';
    const { lr } = record('SGD', text, { lr: 0.05 }, 30);
    expect(lr).toEqual(values(text, 0.05, 30));
  });

  test.each([
    ['CyclicLR(base_lr=0.01, max_lr=0.15, step_size_up=3)', 'momentum'],
    ['OneCycleLR(max_lr=0.15, total_steps=20)', 'momentum'],
    ['SequentialLR(schedulers=[ConstantLR(factor=0.5, total_iters=3), CyclicLR(base_lr=0.02, max_lr=0.1, step_size_up=2)], milestones=[4])', 'momentum'],
  ])("%s cycles SGD's momentum as PyTorch does (trajectory against float64 heavy ball)", (text, _) => {
    const steps = 20;
    const { path } = record('SGD', text, { lr: 0.05, momentum: 0.9 }, steps);
    const sched = torchSchedule(toTorch(parseScheduleText(text)), 0.05, steps, 0.9);
    const p = [1, 1];
    const buf = [0, 0];
    const lam = [1, 10];
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < 2; c++) {
        const g = lam[c] * p[c];
        buf[c] = t === 0 ? g : sched.momentum[t] * buf[c] + g;
        p[c] -= sched.lr[t] * buf[c];
      }
      expect(Math.abs(path[t][0] - p[0])).toBeLessThan(1e-5 * Math.max(1, Math.abs(p[0])));
      expect(Math.abs(path[t][1] - p[1])).toBeLessThan(1e-5 * Math.max(1, Math.abs(p[1])));
    }
  });

  test('cycling momentum needs an optimizer with momentum or beta1, as in PyTorch', () => {
    expect(() => getOptimizer('Adagrad', { schedule: resolveSchedule('CyclicLR(max_lr=0.1)') })).toThrow(
      /no momentum or beta1 to cycle; pass cycle_momentum=False/,
    );
    expect(() => getOptimizer('Adagrad', { schedule: resolveSchedule('CyclicLR(max_lr=0.1, cycle_momentum=False)') })).not.toThrow();
    // Adam's beta1 is what PyTorch cycles (betas[0]).
    expect(getOptimizer('Adam', { schedule: resolveSchedule('OneCycleLR(total_steps=10)') }).program.inputs).toContain('beta1');
  });

  test.each([
    ['ReduceLROnPlateau(patience=2)', { patience: 2 }, 1, [1, 10], 0.25],
    ['ReduceLROnPlateau(patience=0, factor=0.5, cooldown=2)', { patience: 0, factor: 0.5, cooldown: 2 }, 1, [1, 10], 0.25],
    [
      'ReduceLROnPlateau(threshold_mode=abs, threshold=0.01, patience=1, min_lr=0.001)',
      { threshold_mode: 'abs', threshold: 0.01, patience: 1, min_lr: 0.001 },
      1,
      [1, 10],
      0.05,
    ],
    ['ReduceLROnPlateau(mode=max, patience=3)', { mode: 'max', patience: 3 }, 1, [1, 10], 0.05],
  ])('%s: per-particle lr equals PyTorch fed the same losses', (text, opts, _, l, lr0) => {
    const steps = 60;
    const { lr, loss } = record('SGD', text, { lr: lr0 }, steps, [1, 1], l);
    const torch = new TorchReduceLROnPlateau(lr0, opts);
    let reductions = 0;
    for (let t = 0; t < steps; t++) {
      expect(Math.abs(lr[t] / torch.lr - 1), `step ${t}`).toBeLessThan(1e-6);
      const before = torch.lr;
      torch.step(loss[t]);
      if (torch.lr < before) reductions++;
    }
    expect(reductions).toBeGreaterThan(0);
  });

  test('ReduceLROnPlateau tames a diverging run: eta*lambda = 2.5 oscillates up, the lr is cut, the run converges', () => {
    const { lr, loss } = record('SGD', 'ReduceLROnPlateau(patience=2, factor=0.5)', { lr: 0.25 }, 200);
    expect(lr[0]).toBeCloseTo(0.25, 7);
    expect(lr[199]).toBeLessThan(0.2); // below 2/lambda_max
    expect(loss[199]).toBeLessThan(1e-6);
  });

  test('per-particle: particles with different lr reduce at different steps', () => {
    const opt = getOptimizer('SGD', { schedule: resolveSchedule('ReduceLROnPlateau(patience=1, factor=0.5)') });
    const particles = buildParticles({ kind: 'sweep', start: [1, 1], lrMin: 0.05, lrMax: 0.3, n: 6, scale: 'linear' }, opt);
    const engine = new CpuEngine({ surface: quad(1, 10), optimizer: opt, particles, config: { ...DEFAULT_RUN_CONFIG, gtol: 0 } });
    engine.step(30);
    const S = opt.stateStride;
    const slot = opt.state.indexOf('sch_lr');
    const finals = Array.from({ length: 6 }, (_, i) => engine.state.state[i * S + 2 * slot]);
    expect(new Set(finals.map((v) => v.toPrecision(4))).size).toBeGreaterThan(3);
  });
});
