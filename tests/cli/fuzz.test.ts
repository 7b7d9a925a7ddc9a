// Fuzzing the command line (issue 16): random command lines built from the commands'
// flags, hostile names and numbers, and random expressions. Every one must end with
// exit 0, 1 or 2 within a time bound; 1 and 2 with exactly one line on stderr starting
// 'etascape: ' and no stack trace; the process's memory below a bound. Most run main()
// in-process (fast); a sample is spawned as the built command. `npm run fuzz` runs many
// more (ETASCAPE_FUZZ_RUNS).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/commands';
import { cli, tempDir } from './cli';

const RUNS = Number(process.env.ETASCAPE_FUZZ_RUNS ?? 400);
const SPAWNED = Math.max(6, Math.round(RUNS / 50));
const SECONDS = 20;
const MEMORY_MB = 2048;

const HOSTILE_NAMES = ['__proto__', 'constructor', 'valueOf', 'toString', 'hasOwnProperty', 'prototype', ''];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '2.5',
  '1e-50',
  '1e-40',
  '1e39',
  '1e400',
  '-1e400',
  'NaN',
  'Infinity',
  '0x10',
  '1_000',
  ' ',
  '',
  'abc',
  '1e12',
  '4294967296',
];

/** A small expression in x and y, hostile tokens included. */
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('x', 'y', '1', '0', '1e39', 'pi', 'e', '__proto__', 'constructor', '0/0', '1/0'),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '^'), tie('e')).map(([a, op, b]) => `(${a}${op}${b})`),
    fc.tuple(fc.constantFrom('sin', 'cos', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'max', 'foo'), tie('e')).map(([f, a]) => `${f}(${a})`),
  ),
})).e;

const value = (dir: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...NUMBERS),
    fc.integer({ min: 0, max: 64 }).map(String),
    fc.double({ noNaN: false }).map(String),
    fc.constantFrom(...HOSTILE_NAMES, 'quadratic', 'rosenbrock', 'least-squares', 'sgd', 'adam', 'StepLR', 'cpu', 'gpu', 'true', 'false'),
    fc.constantFrom(`${HOSTILE_NAMES[0]}=1`, 'lambda2=1e39', 'points=1e9', 'points=0', 'constructor=1', 'lambda2=5', 'valueOf=1'),
    fc.constantFrom(
      'StepLR(step_size=2)',
      'StepLR(__proto__=1, step_size=2)',
      'StepLR(step_size=1e400)',
      'OneCycleLR(max_lr=1, total_steps=10)',
      'StepLR(',
      'SequentialLR(schedulers=[StepLR(step_size=1)], milestones=[])',
    ),
    fc.constantFrom('lr:1e-3:1:log', 'momentum:0:0.9', '__proto__:0:1', 'lr:1:0', 'x0:-1:1', 'lr:0:1:log', 'y0:1e39:1e40'),
    fc.constantFrom(join(dir, 'a.csv'), join(dir, 'a.json'), join(dir, 'a.png'), join(dir, 'file', 'a.csv'), join(dir, 'folder.csv'), 'a.txt'),
    expr,
    fc.string({ maxLength: 12 }),
  );

/** Flags with sizes kept small (large sizes come as the hostile numbers, which budgets refuse). */
const FLAGS = [
  'surface',
  'surface-param',
  'optimizer',
  'lr',
  'lr-min',
  'lr-max',
  'momentum',
  'betas',
  'start',
  'engine',
  'json',
  'out',
  'csv',
  'x',
  'y',
  'res',
  'schedule',
  'step_size',
  'gamma',
  'noise',
  'batch_size',
  'seed',
  'sam_rho',
  'clip_norm',
  'bound',
  'summary',
  'bins',
  'starts',
  'color',
  'size',
  '__proto__',
  'constructor',
  'help',
];
const SIZES: Record<string, fc.Arbitrary<string>> = {
  steps: fc.oneof(fc.integer({ min: 0, max: 50 }).map(String), fc.constantFrom('1e12', '1e9', '-1', '2.5', '1e400')),
  n: fc.oneof(fc.integer({ min: 1, max: 64 }).map(String), fc.constantFrom('1e9', '0', '16777217')),
  res: fc.oneof(fc.integer({ min: 1, max: 8 }).map(String), fc.constantFrom('5000', '0', '3,2', '2,1e9')),
};

const commandLine = (dir: string): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      fc.constantFrom('run', 'sweep', 'map', 'schedule', 'lr-find'),
      fc.option(fc.oneof(fc.constantFrom('quadratic', 'rosenbrock', 'least-squares', 'double-well', ...HOSTILE_NAMES), expr), { nil: undefined }),
      fc.array(fc.oneof(fc.tuple(fc.constantFrom(...FLAGS), value(dir)), fc.tuple(fc.constantFrom(...Object.keys(SIZES)), fc.constant(''))), { maxLength: 6 }),
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(SIZES)), fc.constant('')), { maxLength: 2 }),
    )
    .chain(([cmd, surface, flags, sizes]) =>
      fc
        .tuple(...[...flags, ...sizes].map(([f, v]) => (Object.hasOwn(SIZES, f) ? SIZES[f].map((s) => [f, s] as const) : fc.constant([f, v] as const))))
        .map((pairs) => {
          const argv = [cmd, ...(surface === undefined ? [] : ['--surface', surface])];
          for (const [f, v] of pairs) argv.push(`--${f}`, v);
          // In-process runs stay on the CPU and short: the engine and the steps are set last.
          if (cmd !== 'schedule') argv.push('--engine', 'cpu');
          return argv;
        }),
    );

/** A valid command line of each command, with up to two random flags added: the fuzz reaches the work too. */
const mutatedValid = (dir: string): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      fc.constantFrom('run', 'sweep', 'map', 'schedule', 'lr-find'),
      fc.oneof(fc.constantFrom('quadratic', 'rosenbrock', 'least-squares', 'double-well', 'x^2+y^2'), expr),
      fc.integer({ min: 1, max: 30 }).map(String),
      fc.array(fc.tuple(fc.constantFrom(...FLAGS), value(dir)), { maxLength: 2 }),
    )
    .map(([cmd, surface, small, extra]) => {
      const base: Record<string, string[]> = {
        run: ['run', '--surface', surface, '--steps', small, '--engine', 'cpu'],
        sweep: ['sweep', '--surface', surface, '--lr-min', '0.01', '--lr-max', '0.1', '--n', small, '--steps', small, '--engine', 'cpu'],
        map: [
          'map',
          '--surface',
          surface,
          '--x',
          'lr:1e-3:1:log',
          '--y',
          'momentum:0:0.9',
          '--res',
          small,
          '--steps',
          small,
          '--engine',
          'cpu',
          '--out',
          join(dir, 'm.png'),
        ],
        schedule: ['schedule', '--schedule', 'StepLR(step_size=2)', '--lr', '0.1', '--steps', small],
        'lr-find': ['lr-find', '--surface', surface, '--steps', String(10 + Number(small)), '--engine', 'cpu'],
      };
      return [...base[cmd], ...extra.flatMap(([f, v]) => [`--${f}`, v])];
    });

const anyCommandLine = (dir: string) => fc.oneof(commandLine(dir), mutatedValid(dir));

interface Outcome {
  code: number;
  stderr: string;
  seconds: number;
}

function checkOutcome(argv: string[], o: Outcome): void {
  const what = `etascape ${JSON.stringify(argv)}: exit ${o.code}, ${o.seconds.toFixed(1)} s\n${o.stderr}`;
  expect([0, 1, 2], what).toContain(o.code);
  expect(o.seconds, what).toBeLessThan(SECONDS);
  expect(o.stderr, what).not.toMatch(/^\s+at /m);
  if (o.code !== 0) {
    const lines = o.stderr.trim().split('\n');
    expect(lines, what).toHaveLength(1);
    expect(lines[0], what).toMatch(/^etascape: \S/);
  }
}

describe('fuzzing the command line', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'file'), 'a file, not a folder');
    mkdirSync(join(dir, 'folder.csv'));
    process.env.ETASCAPE_PROGRESS = '0';
  });

  it(`${RUNS} random command lines in-process: exit 0/1/2, one clear line, bounded time and memory`, async () => {
    const codes = [0, 0, 0];
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => anyCommandLine(dir)),
        async (argv) => {
          const err: string[] = [];
          const t0 = performance.now();
          const code = await main(argv, { out: () => {}, err: (s) => err.push(s) });
          const o = { code, stderr: err.join('\n'), seconds: (performance.now() - t0) / 1000 };
          checkOutcome(argv, o);
          codes[code]++;
          expect(process.memoryUsage().rss / 2 ** 20, `etascape ${JSON.stringify(argv)}`).toBeLessThan(MEMORY_MB);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.ETASCAPE_FUZZ_SEED ?? 16), endOnFailure: true },
    );
    // The inputs reach both the work and the refusals, not only the parser's first check.
    console.log(`fuzz: exit 0 ${codes[0]}, exit 1 ${codes[1]}, exit 2 ${codes[2]}`);
    expect(codes[0]).toBeGreaterThan(0);
    expect(codes[2]).toBeGreaterThan(0);
  }, 600_000);

  it(`${SPAWNED} of them as the built command: the same, for the real process`, () => {
    const sample = fc.sample(anyCommandLine(dir), { numRuns: SPAWNED, seed: 61 });
    for (const argv of sample) {
      const t0 = performance.now();
      const r = cli(argv);
      checkOutcome(argv, { code: r.code ?? -1, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 });
    }
  }, 600_000);
});
