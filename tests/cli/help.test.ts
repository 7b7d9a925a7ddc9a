// --help texts, and the flag parser with hyperparameter flags derived from definitions.

import { describe, expect, it } from 'vitest';
import { defineFlags, formatFlags, parseFlags, parseSchema, UsageError, type FlagValues } from '../../src/cli/args';
import { givenHyper, hyperFlags, tupleFlags } from '../../src/cli/flags';
import { OPTIMIZER_DEFS, type OptimizerDef } from '../../src/core/optimizers';
import { PRESET_NAMES } from '../../src/core/surfaces';
import { cli, ok } from './cli';

describe('etascape --help', () => {
  it('lists the commands, presets and optimizers', () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const out = ok(args);
      for (const c of ['run', 'sweep', 'bench']) expect(out).toContain(`  ${c} `);
      for (const p of PRESET_NAMES) expect(out).toContain(p);
      for (const d of OPTIMIZER_DEFS) expect(out).toContain(d.name);
    }
  });

  it("run --help lists its flags and every optimizer's hyperparameters", () => {
    const out = ok(['run', '--help']);
    for (const f of [
      '--surface',
      '--optimizer',
      '--lr',
      '--start',
      '--steps',
      '--engine',
      '--json',
      '--momentum',
      '--dampening',
      '--nesterov',
      '--weight_decay',
      '--betas',
      '--eps',
      '--amsgrad',
      '--gtol',
      '--ftol',
      '--bound',
      '--surface-param',
    ]) {
      expect(out).toContain(f);
    }
    expect(ok(['help', 'run'])).toBe(out);
  });

  it("run --optimizer adam --help lists only Adam's hyperparameters", () => {
    const out = ok(['run', '--optimizer', 'adam', '--help']);
    expect(out).toContain('--betas');
    expect(out).not.toContain('--nesterov');
  });

  it('sweep --help and bench --help', () => {
    const s = ok(['sweep', '--help']);
    for (const f of ['--lr-min', '--lr-max', '--n', '--steps-per-dispatch', '--out', 'index, lr, x, y, loss, status, steps, minimum']) expect(s).toContain(f);
    const b = ok(['bench', '--help']);
    for (const f of ['--n', '--steps', '--json', '--out', 'gpu_vs_cpu']) expect(b).toContain(f);
  });

  it('--version', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('flag parsing', () => {
  // A made-up optimizer: the flags follow its definition, nothing is per optimizer.
  const Fake: OptimizerDef = {
    name: 'Fake',
    doc: 'test',
    hyper: [
      { name: 'lr', default: 0.1, min: 0, openMin: true, doc: 'lr' },
      { name: 'rho1', default: 0.5, doc: 'a' },
      { name: 'rho2', default: 0.6, doc: 'b' },
      { name: 'rho3', default: 0.7, doc: 'c' },
      { name: 'centered', default: 0, bool: true, doc: 'd' },
    ],
    state: [],
    update: 'p = p - lr * g',
  };

  it('derives value flags, boolean flags and the tuple flag from the definition', () => {
    const names = hyperFlags(Fake).map((f) => `${f.name}:${f.kind}`);
    expect(names).toEqual(['lr:number', 'rho1:number', 'rho2:number', 'rho3:number', 'centered:bool', 'rhos:numbers']);
    expect(tupleFlags(Fake)).toEqual([{ name: 'rhos', params: ['rho1', 'rho2', 'rho3'] }]);
    const f = parseFlags(['--rhos', '1,2,3', '--centered', '--lr=0.5'], hyperFlags(Fake));
    expect(givenHyper(Fake, f)).toEqual({ lr: 0.5, rho1: 1, rho2: 2, rho3: 3, centered: true });
    expect(givenHyper(Fake, parseFlags(['--centered', 'false'], hyperFlags(Fake)))).toEqual({ centered: false });
    expect(() => parseFlags(['--rhos', '1,2'], hyperFlags(Fake))).toThrow(/--rhos: expected 3/);
  });

  it('the real optimizers: SGD and Adam flags', () => {
    const sgd = OPTIMIZER_DEFS.find((d) => d.name === 'SGD')!;
    expect(hyperFlags(sgd).map((f) => f.name)).toEqual(['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov']);
    const adam = OPTIMIZER_DEFS.find((d) => d.name === 'Adam')!;
    expect(hyperFlags(adam).map((f) => f.name)).toEqual(['lr', 'beta1', 'beta2', 'eps', 'weight_decay', 'amsgrad', 'betas']);
  });

  it('accepts --a-b and --a_b alike, negative values, and rejects the rest', () => {
    const specs = [
      { name: 'lr-min', kind: 'number' as const, help: '' },
      { name: 'start', kind: 'numbers' as const, arity: 2, help: '' },
    ];
    const f = parseFlags(['--lr_min', '1e-3', '--start', '-1.5,2'], specs);
    expect(f.get('lr_min')).toBe(1e-3);
    expect(f.get('start')).toEqual([-1.5, 2]);
    expect(() => parseFlags(['--start', '1,nan'], specs)).toThrow(UsageError);
    expect(() => parseFlags(['--lr-min', ' '], specs)).toThrow(/--lr-min/);
    expect(() => parseFlags(['--lr-min', '0x'], specs)).toThrow(/--lr-min/);
  });

  describe('a typed schema', () => {
    const SCHEMA = defineFlags({
      steps: { name: 'steps', kind: 'int', min: 1, help: 'steps', default: 7 },
      engine: { name: 'engine', kind: 'choice', choices: ['cpu', 'gpu'], help: 'engine', default: 'gpu' },
      out: { name: 'out', kind: 'string', ext: ['.csv', '.json'], help: 'file' },
      size: { name: 'size', kind: 'numbers', arity: 2, meta: 'W,H', help: 'size', default: [3, 4] },
      xAxis: { name: 'x-axis', kind: 'string', help: 'axis', required: 'give --x-axis' },
    });

    it('gives typed values: defaults for absent flags, canonical choices, the key the code names', () => {
      const { values, help } = parseSchema(['--x-axis', 'lr', '--engine', ' CPU ', '--out', 'a/b.JSON'], SCHEMA);
      // The types: steps and engine always there, out maybe not.
      const typed: { steps: number; engine: 'cpu' | 'gpu'; out: string | undefined; size: number[]; xAxis: string } = values satisfies FlagValues<
        typeof SCHEMA
      >;
      expect(typed).toEqual({ steps: 7, engine: 'cpu', out: 'a/b.JSON', size: [3, 4], xAxis: 'lr' });
      expect(help).toBe(false);
      expect(parseSchema(['--x_axis=y', '--steps', '3', '--size', '5,6'], SCHEMA).values).toMatchObject({ steps: 3, size: [5, 6], xAxis: 'y' });
    });

    it('validates: required (not with --help), choices, file extensions, minimum', () => {
      expect(() => parseSchema([], SCHEMA)).toThrow(/^give --x-axis$/);
      expect(parseSchema(['--help'], SCHEMA).help).toBe(true);
      expect(() => parseSchema(['--x-axis', 'a', '--engine', 'tpu'], SCHEMA)).toThrow(/^--engine: expected cpu or gpu, got 'tpu'$/);
      expect(() => parseSchema(['--x-axis', 'a', '--out', 'r.txt'], SCHEMA)).toThrow(/^--out: the file name must end in .csv or .json, got 'r.txt'$/);
      expect(() => parseSchema(['--x-axis', 'a', '--out', 'dir.csv/r'], SCHEMA)).toThrow(/--out: the file name must end in/);
      expect(() => parseSchema(['--x-axis', 'a', '--out', '.csv'], SCHEMA)).toThrow(/--out: the file name must end in/);
      expect(() => parseSchema(['--x-axis', 'a', '--steps', '0'], SCHEMA)).toThrow(/^--steps must be >= 1, got 0$/);
    });

    it('the usage text shows each default from the schema', () => {
      const text = formatFlags(SCHEMA);
      expect(text).toMatch(/--steps N +steps \(default 7\)/);
      expect(text).toMatch(/--engine cpu\|gpu +engine \(default gpu\)/);
      expect(text).toMatch(/--size W,H +size \(default 3,4\)/);
      expect(text).not.toMatch(/--out VALUE .*default/);
    });
  });
});
