// Every expected error: one line on stderr starting with 'etascape: ', a non-zero exit
// (2 for usage, 1 for runtime), no stack trace, nothing on stdout.

import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './cli';

interface Case {
  name: string;
  args: string[];
  /** Substrings the message must contain (case-insensitive). */
  words: string[];
  code?: number;
  env?: Record<string, string>;
}

const Q = ['--surface', 'quadratic'];
const SW = ['sweep', ...Q, '--optimizer', 'gd', '--lr-min', '0.1', '--lr-max', '0.3'];

const CASES: Case[] = [
  { name: 'no command', args: [], words: ['command'] },
  { name: 'unknown command', args: ['frobnicate'], words: ['unknown command', 'frobnicate'] },
  { name: 'unknown flag', args: ['run', ...Q, '--bogus', '1'], words: ['unknown flag', '--bogus'] },
  { name: 'single-dash flag', args: ['run', ...Q, '-x'], words: ['unknown flag', '-x'] },
  { name: 'stray argument', args: ['run', ...Q, 'extra'], words: ['unexpected argument', 'extra'] },
  { name: 'missing value at the end', args: ['run', '--surface'], words: ['missing value', '--surface'] },
  { name: 'missing value before a flag', args: ['run', ...Q, '--lr', '--steps', '5'], words: ['missing value', '--lr'] },
  { name: 'non-number', args: ['run', ...Q, '--lr', 'abc'], words: ['--lr', 'abc'] },
  { name: 'nan', args: ['run', ...Q, '--lr', 'nan'], words: ['--lr', 'nan'] },
  { name: 'infinity', args: ['run', ...Q, '--momentum', 'Infinity'], words: ['--momentum'] },
  { name: 'empty number', args: ['run', ...Q, '--lr='], words: ['--lr'] },
  { name: 'steps not whole', args: ['run', ...Q, '--steps', '2.5'], words: ['--steps', 'whole'] },
  { name: 'steps negative', args: ['run', ...Q, '--steps', '-3'], words: ['--steps'] },
  { name: 'flag twice', args: ['run', ...Q, '--lr', '0.1', '--lr', '0.2'], words: ['--lr', 'more than once'] },
  { name: 'bad expression', args: ['run', '--surface', 'x^2 + * y'], words: ['column 7'] },
  { name: 'unknown function', args: ['run', '--surface', 'x^2 + foo(y)'], words: ['column', 'foo'] },
  { name: 'unknown surface', args: ['run', '--surface', 'rosenbrok'], words: ['unknown surface', 'rosenbrok', 'rosenbrock'] },
  { name: 'no surface', args: ['run', '--optimizer', 'sgd'], words: ['--surface', 'required'] },
  { name: 'lr = 0', args: ['run', ...Q, '--lr', '0'], words: ['lr', 'positive'] },
  { name: 'lr < 0', args: ['run', ...Q, '--lr', '-0.1'], words: ['lr', 'positive'] },
  { name: 'nan start', args: ['run', ...Q, '--start', 'nan,1'], words: ['--start', 'nan'] },
  { name: 'start with one number', args: ['run', ...Q, '--start', '1'], words: ['--start'] },
  { name: 'unknown optimizer', args: ['run', ...Q, '--optimizer', 'lbfgs'], words: ['optimizer', 'lbfgs'] },
  { name: "another optimizer's flag", args: ['run', ...Q, '--optimizer', 'sgd', '--amsgrad'], words: ['amsgrad', 'SGD'] },
  { name: 'hyperparameter out of range', args: ['run', ...Q, '--optimizer', 'adam', '--betas', '0.9,1'], words: ['beta2'] },
  { name: 'betas with one value', args: ['run', ...Q, '--optimizer', 'adam', '--betas', '0.9'], words: ['--betas', '2'] },
  { name: 'betas and beta1', args: ['run', ...Q, '--optimizer', 'adam', '--betas', '0.9,0.99', '--beta1', '0.8'], words: ['--betas', 'beta1'] },
  { name: 'bad boolean', args: ['run', ...Q, '--nesterov=maybe'], words: ['--nesterov'] },
  { name: 'nesterov without momentum', args: ['run', ...Q, '--nesterov'], words: ['nesterov', 'momentum'] },
  { name: 'bad engine', args: ['run', ...Q, '--engine', 'tpu'], words: ['--engine', 'tpu'] },
  { name: 'unknown surface parameter', args: ['run', ...Q, '--surface-param', 'lambda3=1'], words: ['lambda3', 'lambda1'] },
  { name: 'surface parameter of a fixed preset', args: ['run', '--surface', 'rosenbrock', '--surface-param', 'a=1'], words: ['rosenbrock', "'a'"] },
  { name: 'surface parameter without =', args: ['run', ...Q, '--surface-param', 'lambda2'], words: ['name=value'] },
  { name: 'surface parameter not a number', args: ['run', ...Q, '--surface-param', 'lambda2=big'], words: ['lambda2', 'big'] },
  { name: 'surface parameter on an expression', args: ['run', '--surface', 'x^2+y^2', '--surface-param', 'a=1'], words: ['presets'] },
  { name: 'lr-min > lr-max', args: ['sweep', ...Q, '--lr-min', '0.3', '--lr-max', '0.1'], words: ['--lr-min', '--lr-max'] },
  { name: 'lr-min <= 0', args: ['sweep', ...Q, '--lr-min', '0', '--lr-max', '0.1'], words: ['--lr-min', 'positive'] },
  { name: 'sweep without lr range', args: ['sweep', ...Q], words: ['--lr-min', '--lr-max'] },
  { name: '--lr in a sweep', args: [...SW, '--lr', '0.1'], words: ['--lr-min'] },
  { name: 'n = 0', args: [...SW, '--n', '0'], words: ['--n'] },
  { name: 'n over MAX_PARTICLES', args: [...SW, '--n', '20000000'], words: ['--n', 'at most 16777216'] },
  {
    name: 'n over the GPU limit',
    args: [...SW, '--n', '60000', '--steps', '1'],
    words: ['too many particles for this GPU', '60000'],
    env: { ETASCAPE_MAX_BUFFER_BYTES: String(2 ** 20) }, // 1 MiB: 52428 SGD particles
  },
  { name: 'bad --out extension', args: [...SW, '--n', '2', '--steps', '1', '--out', 'results.txt'], words: ['--out', '.csv'] },
  { name: 'bench --out not json', args: ['bench', '--out', 'bench.csv'], words: ['--out', '.json'] },
  { name: 'bench unknown flag', args: ['bench', '--engine', 'cpu'], words: ['unknown flag', '--engine'] },
  { name: 'help for nothing', args: ['help', 'frob'], words: ['frob'] },
];

function expectOneLine(r: { code: number | null; stdout: string; stderr: string }, words: string[], code: number): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0].startsWith('etascape: '), lines[0]).toBe(true);
  for (const w of words) expect(lines[0].toLowerCase(), lines[0]).toContain(w.toLowerCase());
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  expect(r.code, lines[0]).toBe(code);
}

describe('etascape errors', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.args.join(' ')}`, () => {
      expectOneLine(cli(c.args, c.env), c.words, c.code ?? 2);
    });
  }

  it('a file that cannot be written: exit 2, the path named', () => {
    const dir = tempDir();
    const file = join(dir, 'plain');
    writeFileSync(file, 'not a directory');
    expectOneLine(cli([...SW, '--n', '2', '--steps', '1', '--engine', 'cpu', '--out', join(file, 'x.csv')]), ['cannot write', join(file, 'x.csv')], 2);
  });

  it('a GPU that cannot be opened: exit 1, with a hint to use the CPU engine', () => {
    // Points the Vulkan loader at a driver file that does not exist: no adapter. The
    // loader and Dawn print their own warnings from native code first (not ours to
    // silence); etascape's message is the last line, and the only one it writes.
    const env = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const r = cli([...SW, '--n', '2', '--steps', '1'], env);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('etascape'));
    expect(ours, r.stderr).toHaveLength(1);
    expect(r.stderr.trimEnd().endsWith(ours[0])).toBe(true);
    expect(ours[0]).toMatch(/^etascape: no WebGPU device: .*--engine cpu/);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  });
});
