// `etascape schedule`, and --schedule / --noise / --sam_rho / --lr_y in run and sweep.

import { describe, expect, it } from 'vitest';
import { torchSchedule } from '../helpers/pytorch-schedulers';
import { cli, ok } from './cli';

const lrs = (args: string[]): number[] => JSON.parse(ok(['schedule', '--json', ...args])).lr;

function expectTorch(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  const peak = Math.max(...want);
  got.forEach((g, t) => expect(Math.abs(g - want[t]), `step ${t}: ${g} vs ${want[t]}`).toBeLessThanOrEqual(1e-5 * Math.max(want[t], 0.01 * peak)));
}

describe('etascape schedule', () => {
  it('the examples of the issue, against PyTorch', () => {
    expectTorch(
      lrs(['--schedule', 'OneCycleLR', '--max_lr', '0.1', '--total_steps', '100', '--steps', '100']),
      torchSchedule({ name: 'OneCycleLR', params: { max_lr: 0.1, total_steps: 100 } }, 0.1, 100).lr,
    );
    expect(lrs(['--schedule', 'CyclicLR', '--base_lr', '1', '--max_lr', '5', '--step_size_up', '4', '--mode', 'triangular2', '--steps', '17'])).toEqual([
      1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2, 2.5, 3, 2.5, 2, 1.5, 1,
    ]);
    expect(lrs(['--schedule', 'MultiStepLR', '--lr', '1', '--milestones', '2,5,9', '--gamma', '0.5', '--steps', '10'])).toEqual([
      1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125,
    ]);
  });

  it('parameters inline or as flags give the same lr; booleans bare or true/false', () => {
    const a = lrs(['--schedule', 'OneCycleLR(max_lr=0.1, total_steps=40, three_phase=True)', '--steps', '40']);
    const b = lrs(['--schedule', 'OneCycleLR', '--max_lr', '0.1', '--total_steps', '40', '--three_phase', '--steps', '40']);
    const c = lrs(['--schedule', 'OneCycleLR', '--max_lr', '0.1', '--total_steps', '40', '--three_phase=true', '--steps', '40']);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(lrs(['--schedule', 'OneCycleLR', '--max_lr', '0.1', '--total_steps', '40', '--three_phase', 'false', '--steps', '40'])).not.toEqual(a);
  });

  it("SequentialLR's children: in the text, or with --schedulers", () => {
    const text = 'SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])';
    const a = lrs(['--schedule', text, '--lr', '0.1', '--steps', '100']);
    const b = lrs([
      '--schedule',
      'SequentialLR',
      '--schedulers',
      'LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)',
      '--milestones',
      '5',
      '--lr',
      '0.1',
      '--steps',
      '100',
    ]);
    expect(b).toEqual(a);
    const want = torchSchedule(
      {
        name: 'SequentialLR',
        params: {
          milestones: [5],
          schedulers: [
            { name: 'LinearLR', params: { start_factor: 0.1, total_iters: 5 } },
            { name: 'CosineAnnealingLR', params: { T_max: 95 } },
          ],
        },
      },
      0.1,
      100,
    ).lr;
    expectTorch(a, want);
  });

  it('prints a table without --json; --help lists schedules and, with a name, its parameters', () => {
    const out = ok(['schedule', '--schedule', 'StepLR', '--step_size', '2', '--lr', '1', '--steps', '5']);
    expect(out).toMatch(/StepLR\(step_size=2\) from lr 1, 5 steps/);
    expect(
      out
        .trim()
        .split('\n')
        .slice(-5)
        .map((l) => l.trim().split(/\s+/)[1]),
    ).toEqual(['1', '1', '0.1', '0.1', '0.01']);
    expect(ok(['schedule', '--help'])).toMatch(/CosineAnnealingWarmRestarts[\s\S]*ReduceLROnPlateau[\s\S]*LRRangeTest/);
    expect(ok(['schedule', '--schedule', 'CyclicLR', '--help'])).toMatch(/step_size_down[\s\S]*exp_range/);
    expect(ok(['help', 'schedule'])).toMatch(/Usage: etascape schedule/);
  });

  it.each([
    [['--schedule', 'FooLR'], /unknown schedule 'FooLR'/],
    [['--schedule', 'StepLR', '--lr', '1'], /StepLR: step_size is required/],
    [['--schedule', 'CosineAnnealingLR', '--T_max', '0', '--lr', '1'], /T_max must satisfy 0 < T_max, got 0/],
    [['--schedule', 'StepLR', '--step_size', '2'], /--lr is needed/],
    [['--schedule', 'StepLR', '--step_size', '2', '--lr', '0'], /--lr/],
    [['--schedule', 'StepLR', '--step_size', '2', '--lr', '-1'], /--lr/],
    [['--schedule', 'StepLR(step_size=2)', '--step_size', '3', '--lr', '1'], /--step_size is also given inside --schedule/],
    [['--schedule', 'StepLR(step_size=2', '--lr', '1'], /column 19: expected ',' or '\)'/],
    [['--schedule', 'CyclicLR', '--max_lr', '1', '--mode', 'sawtooth'], /mode must be one of triangular, triangular2, exp_range/],
    [['--schedule', 'ReduceLROnPlateau', '--lr', '1'], /depends on the run/],
    [['--schedule', 'MultiStepLR', '--milestones', '2,x', '--lr', '1'], /milestones must be a finite number/],
    [['--lr', '1'], /needs --schedule/],
  ])('%j -> exit 2, %s', (args, re) => {
    const r = cli(['schedule', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('run and sweep with schedules, noise, SAM and parameter groups', () => {
  it('run --json: the lr column is the lr each step used', () => {
    const r = JSON.parse(
      ok([
        'run',
        '--json',
        '--surface',
        '0.5*(x^2 + 10*y^2)',
        '--start',
        '1,1',
        '--lr',
        '0.1',
        '--schedule',
        'StepLR(step_size=2, gamma=0.5)',
        '--steps',
        '6',
        '--gtol',
        '0',
      ]),
    );
    expect(r.trajectory.map((row: number[]) => row[3])).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    // GD with those rates on x: x_t = prod (1 - lr_t).
    let x = 1;
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025].forEach((lr, t) => {
      x *= 1 - lr;
      expect(r.trajectory[t + 1][0]).toBeCloseTo(x, 6);
    });
  });

  it('ReduceLROnPlateau on the command line: eta*lambda = 2.5 is cut until the run converges', () => {
    const r = JSON.parse(
      ok([
        'run',
        '--json',
        '--surface',
        'quadratic',
        '--surface-param',
        'lambda2=10',
        '--start',
        '1,1',
        '--lr',
        '0.25',
        '--schedule',
        'ReduceLROnPlateau',
        '--patience',
        '2',
        '--factor',
        '0.5',
        '--steps',
        '3000',
      ]),
    );
    expect(r.status).toBe('converged');
    expect(r.trajectory.at(-1)[3]).toBeLessThan(0.2);
  });

  it('the same seed gives the same noisy run on the GPU and the CPU; --batch_size without --noise is an error', () => {
    const args = [
      'sweep',
      '--surface',
      'double-well',
      '--optimizer',
      'sgd',
      '--momentum',
      '0.5',
      '--lr-min',
      '0.01',
      '--lr-max',
      '0.3',
      '--n',
      '32',
      '--steps',
      '80',
      '--noise',
      '0.4',
      '--batch_size',
      '4',
      '--seed',
      '9',
    ];
    const gpu = ok([...args, '--engine', 'gpu']);
    const cpu = ok([...args, '--engine', 'cpu']);
    const xs = (csv: string) =>
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[2]));
    expect(xs(gpu).length).toBe(32);
    xs(gpu).forEach((x, i) => expect(Math.abs(x - xs(cpu)[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(x))));
    expect(ok([...args.slice(0, -2), '--seed', '10', '--engine', 'cpu'])).not.toEqual(cpu);
    const r = cli(['run', '--surface', 'quadratic', '--batch_size', '4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch_size scales the gradient noise: give --noise/);
    expect(cli(['run', '--surface', 'quadratic', '--noise', '-1']).stderr).toMatch(/--noise/);
  });

  it('--sam_rho and --lr_y change the run as their formulas say', () => {
    const base = ['run', '--json', '--surface', '0.5*(x^2 + 10*y^2)', '--start', '1,1', '--lr', '0.05', '--steps', '1'];
    const sam = JSON.parse(ok([...base, '--sam_rho', '0.05']));
    const n = Math.hypot(1, 10);
    expect(sam.trajectory[1][0]).toBeCloseTo(1 - 0.05 * (1 + 0.05 / n), 6);
    expect(sam.trajectory[1][1]).toBeCloseTo(1 - 0.05 * 10 * (1 + (0.05 * 10) / n), 6);
    const groups = JSON.parse(ok([...base, '--lr_y', '0.01']));
    expect(groups.trajectory[1][0]).toBeCloseTo(0.95, 6);
    expect(groups.trajectory[1][1]).toBeCloseTo(0.9, 6);
  });

  it('schedule errors in run: PyTorch refuses to cycle momentum an optimizer lacks', () => {
    const r = cli(['run', '--surface', 'quadratic', '--optimizer', 'adagrad', '--schedule', 'CyclicLR', '--max_lr', '0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no momentum or beta1 to cycle; pass cycle_momentum=False/);
    expect(
      ok(['run', '--surface', 'quadratic', '--optimizer', 'adagrad', '--schedule', 'CyclicLR', '--max_lr', '0.1', '--cycle_momentum', 'false', '--steps', '5']),
    ).toMatch(/schedule CyclicLR\(max_lr=0.1, cycle_momentum=False\)/);
  });
});
