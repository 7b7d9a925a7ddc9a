// Hostile and huge inputs at the command line (issue 16): every size has a budget checked
// before work (exit 2, the flag and the bound named), values float32 cannot hold are
// refused with their float32 value, names of the language's own objects are unknown
// names, and a GPU sweep keeps its queue short whether or not stderr is a terminal.

import { describe, expect, it } from 'vitest';
import { cli, cliPeakRss } from './cli';

/** Exit 2 within `seconds`, one line on stderr holding every word. */
function refused(args: string[], words: string[], seconds = 15): void {
  const t0 = performance.now();
  const r = cli(args);
  const s = (performance.now() - t0) / 1000;
  const lines = r.stderr.trim().split('\n');
  expect(r.code, r.stderr).toBe(2);
  expect(lines, r.stderr).toHaveLength(1);
  for (const w of words) expect(lines[0]).toContain(w);
  expect(s).toBeLessThan(seconds);
}

const RUN = ['run', '--surface', 'quadratic'];
const LSQ = ['run', '--surface', 'least-squares', '--steps', '1'];

describe('budgets, checked before work', () => {
  it('run --steps 1e12', () => refused([...RUN, '--steps', '1e12'], ['--steps', 'at most 10000000']));
  it('schedule --steps 1e9', () =>
    refused(['schedule', '--schedule', 'StepLR', '--step_size', '2', '--lr', '0.1', '--steps', '1e9'], ['--steps', 'at most 10000000']));
  it('sweep --steps beyond the 32-bit step counters', () =>
    refused(['sweep', '--surface', 'quadratic', '--lr-min', '0.1', '--lr-max', '0.2', '--steps', '1e10'], ['--steps', 'at most 1000000000']));
  it('bench --n beyond MAX_PARTICLES', () => refused(['bench', '--n', '1e9'], ['--n', 'at most 16777216']));
  it('dataset points beyond MAX_DATASET_POINTS', () => refused([...LSQ, '--surface-param', 'points=1e9'], ['points', '4096', '1000000000']));
  it('points=0 and points=8.5 are usage mistakes', () => {
    refused([...LSQ, '--surface-param', 'points=0'], ['points', 'whole number']);
    refused([...LSQ, '--surface-param', 'points=8.5'], ['points', '8.5']);
  });
  it('--sam_rho on a dataset surface is a usage mistake', () => refused([...LSQ, '--sam_rho', '0.1'], ['--sam_rho', 'dataset']));
  const SWEEP = ['sweep', '--surface', 'quadratic', '--lr-min', '0.1', '--lr-max', '0.2', '--n', '4', '--steps', '1'];
  it('--steps-per-dispatch beyond one dispatch the driver allows (sweep, map, bench)', () => {
    refused([...SWEEP, '--steps-per-dispatch', '1e12'], ['--steps-per-dispatch', 'at most 10000', 'watchdog']);
    refused(
      ['map', '--surface', 'quadratic', '--x', 'lr:0.1:0.2', '--y', 'momentum:0:0.9', '--out', 'm.png', '--steps-per-dispatch', '1e5'],
      ['--steps-per-dispatch', 'at most 10000'],
    );
    refused(['bench', '--steps-per-dispatch', '1e9'], ['--steps-per-dispatch', 'at most 10000']);
  });
  it('--batch_size, bench --map-res, --cpu-seconds and --min-seconds, model --steps', () => {
    refused([...SWEEP, '--noise', '1', '--batch_size', '1e12'], ['--batch_size', 'at most 1000000']);
    refused(['bench', '--map-res', '1e9'], ['--map-res', 'at most 4096']);
    refused(['bench', '--cpu-seconds', '1e9'], ['--cpu-seconds', 'at most 3600']);
    refused(['bench', '--min-seconds', '1e30'], ['--min-seconds', 'at most 3600']);
    refused(['run', '--model', 'mlp:4,16,1:tanh:mean-field', '--lr', '0.1', '--steps', '1e12'], ['--steps', 'at most 10000000']);
    refused(
      [
        'map',
        '--model',
        'mlp:4,16,1:tanh:mean-field',
        '--x',
        'lr_layer0:1e-2:1e2:log',
        '--y',
        'lr_layer1:1e-2:1e2:log',
        '--steps',
        '1e8',
        '--measure',
        'fractal',
        '--out',
        'm.png',
      ],
      ['--measure fractal', 'over the limit of 268435456 losses'],
    );
  });
  it("expressions too costly to compile: the issue's towers, refused within seconds, naming the estimate and the limit", () => {
    const tower = (n: number) => `${Array(n).fill('x').join('^')}+y^2`;
    for (const e of [tower(14), tower(16), `x^${Array(12).fill('y').join('^')}`]) {
      refused(
        ['sweep', '--surface', e, '--lr-min', '0.1', '--lr-max', '0.2', '--n', '64', '--steps', '10'],
        ['--surface', 'too costly to compile', 'over the limit of 1000 ms'],
      );
    }
  });
  it('a schedule of a million steps prints whole, in bounded memory', () => {
    const r = cliPeakRss(['schedule', '--schedule', 'StepLR', '--step_size', '1000', '--lr', '0.1', '--steps', '1000000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { lr: number[] };
    expect(doc.lr).toHaveLength(1_000_000);
    expect(doc.lr[999_999]).toBe(Math.fround(0.1 * 0.1 ** 999));
    expect(r.peakMB).toBeLessThan(400);
  });
});

describe('float32 honesty', () => {
  it('--lr 1e-50 is 0 in float32', () => refused([...RUN, '--lr', '1e-50'], ['--lr', 'is 0 in float32']));
  it('--lr 1e39 is infinite in float32', () => refused([...RUN, '--lr', '1e39'], ['--lr', 'Infinity in float32']));
  it('--start 1e39,0', () => refused([...RUN, '--start', '1e39,0'], ['--start', 'Infinity in float32']));
  it('--surface-param lambda2=1e39', () => refused([...RUN, '--surface-param', 'lambda2=1e39'], ['lambda2', 'Infinity in float32']));
  it('a subnormal is named as one', () => refused([...RUN, '--lr', '1e-40'], ['--lr', 'subnormal']));
  it('a map axis bound', () =>
    refused(['map', '--surface', 'quadratic', '--x', 'lr:1e-3:1e39:log', '--y', 'momentum:0:0.9', '--out', 'm.png'], ['--x maximum', 'Infinity in float32']));
  it('step_size=1e400 in a schedule says what is wrong', () =>
    refused(['schedule', '--schedule', 'StepLR(step_size=1e400)', '--lr', '0.1'], ['step_size', 'finite', 'Infinity']));
  it('the smallest normal float32 and 0 are accepted', () => {
    expect(cli([...RUN, '--lr', '1.2e-38', '--steps', '1']).code).toBe(0);
    expect(cli([...RUN, '--start', '0,1', '--steps', '1']).code).toBe(0);
  });
});

describe("names of the language's own objects", () => {
  for (const name of ['constructor', '__proto__', 'toString']) {
    it(`--surface ${name} is an unknown surface`, () => refused(['run', '--surface', name], ['unknown surface', name]));
  }
  for (const name of ['__proto__', 'constructor', 'valueOf', 'hasOwnProperty']) {
    it(`--surface-param ${name}=1 is an unknown parameter`, () => refused([...RUN, '--surface-param', `${name}=1`], ['unknown parameter', name]));
  }
  it('StepLR(__proto__=1, step_size=2) refuses the unknown argument', () =>
    refused(['schedule', '--schedule', 'StepLR(__proto__=1, step_size=2)', '--lr', '0.1'], ['__proto__', 'StepLR']));
  it('--schedule constructor and --optimizer __proto__ are unknown', () => {
    refused([...RUN, '--schedule', 'constructor'], ['unknown schedule']);
    refused([...RUN, '--optimizer', '__proto__'], ['unknown optimizer']);
  });
});

describe('GPU work bounded in flight', () => {
  it('a piped GPU sweep of 10^5 dispatches stays under 300 MB', () => {
    const r = cliPeakRss([
      'sweep',
      '--surface',
      'quadratic',
      '--lr-min',
      '0.01',
      '--lr-max',
      '0.1',
      '--n',
      '64',
      '--steps',
      '100000',
      '--steps-per-dispatch',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(65);
    expect(r.peakMB).toBeLessThan(300);
  }, 120_000);
});
