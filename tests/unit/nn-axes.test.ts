// Per-network hyperparameters (the network map's axes) on the CPU reference: network i
// of a setup whose momentum (or clip_norm, noise, ...) is per network trains exactly as
// network i of a setup where every network shares that value (Adam's beta1 to float32
// rounding: a shared beta1 is a constant the graph folds, 1 - beta1 among others); the workgroup
// layout refuses what it cannot run; the CSV reader (RFC 4180) and its bounds.

import { describe, expect, test } from 'vitest';
import { parseCsv } from '../../src/core/csv';
import { makeDataset, parseCsvData } from '../../src/core/nn/data';
import { buildModel } from '../../src/core/nn/model';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerCpu } from '../../src/core/nn/train';
import { buildNetworkKernelWG, workgroupLayoutProblem } from '../../shaders/network-wg';
import { DEFAULT_NET_CONFIG } from '../../src/core/nn/train';
import { findOptimizer } from '../../src/core/optimizers';
import { checkAxisFlags, mapNetworks, parseNetAxis } from '../../src/cli/model-axes';
import { loadData } from '../../src/cli/model-data';

const model = buildModel({ widths: [2, 4, 1], activation: 'tanh', parameterization: 'standard' });
const data = makeDataset('teacher', model, { seed: 3, points: 12 });
const STEPS = 25;
const N = 3;

/** The final state of N networks, `shared` the same for all, `per` each its own. */
function train(optimizer: string, lr: number, shared: Record<string, number>, per: Record<string, number[]> = {}, config: Record<string, number> = {}) {
  const setup = buildNetSetup({
    model,
    data,
    optimizer,
    settings: shared,
    lrLayers: Array.from({ length: N }, () => [lr, lr]),
    perNetwork: per,
    init: { seed: 1, perNetwork: true },
    config: { history: STEPS, ...config },
  });
  const t = new NetworkTrainerCpu(setup);
  t.step(STEPS);
  return t.state;
}

describe('a per-network hyperparameter = the same value shared', () => {
  /** name, optimizer, lr, the parameter, its values, other settings, the largest relative difference allowed (0: bit for bit). */
  const cases: [string, string, number, string, number[], Record<string, number>, number][] = [
    ['sgd momentum', 'sgd', 0.05, 'momentum', [0, 0.5, 0.9], {}, 0],
    ['sgd dampening (with momentum)', 'sgd', 0.05, 'dampening', [0, 0.3, 0.6], { momentum: 0.8 }, 0],
    ['adam beta1', 'adam', 0.01, 'beta1', [0.5, 0.8, 0.95], {}, 1e-5],
    ['adamw weight_decay', 'adamw', 0.01, 'weight_decay', [0, 0.1, 1], {}, 0],
    ['clip_norm', 'sgd', 0.3, 'clip_norm', [0.01, 0.1, 1], {}, 0],
    ['clip_value', 'sgd', 0.3, 'clip_value', [0.005, 0.05, 0.5], {}, 0],
    ['noise', 'sgd', 0.05, 'noise', [0, 0.05, 0.5], {}, 0],
    ['sam_rho', 'sgd', 0.05, 'sam_rho', [0, 0.05, 0.2], {}, 0],
  ];
  const configKey: Record<string, string> = { clip_norm: 'clipNorm', clip_value: 'clipValue', noise: 'noise', sam_rho: 'samRho' };
  for (const [name, opt, lr, param, values, extra, tol] of cases) {
    test(name, () => {
      const per = train(opt, lr, extra, { [param]: values });
      const finals = values.map((v, i) => {
        const key = configKey[param];
        const shared = key ? train(opt, lr, extra, {}, { [key]: v }) : train(opt, lr, { ...extra, [param]: v });
        // Network i of the per-network map equals network i of the shared run.
        const a = per.history.subarray(i * STEPS, (i + 1) * STEPS);
        const b = shared.history.subarray(i * STEPS, (i + 1) * STEPS);
        if (tol === 0) {
          expect(Array.from(a)).toEqual(Array.from(b));
          expect(per.losses[2 * i + 1]).toBe(shared.losses[2 * i + 1]);
        } else {
          for (let t = 0; t < STEPS; t++) expect(Math.abs(a[t] - b[t])).toBeLessThanOrEqual(tol * Math.abs(b[t]));
        }
        return per.losses[2 * i + 1];
      });
      // The axis changes the outcome (its values are not dead code).
      expect(new Set(finals).size).toBe(values.length);
    });
  }

  test('refused: lr (set per layer), a flag, an unknown name, a value out of range', () => {
    const build = (per: Record<string, number[]>, optimizer = 'sgd') =>
      buildNetSetup({ model, data, optimizer, lrLayers: [[0.1, 0.1]], perNetwork: per, init: { seed: 1 } });
    expect(() => build({ lr: [0.1] })).toThrow(/'lr' cannot be set per network/);
    expect(() => build({ nesterov: [1] })).toThrow(/'nesterov' cannot be set per network/);
    expect(() => build({ batch_size: [4] })).toThrow(/'batch_size' cannot be set per network/);
    expect(() => build({ dampening: [1.5] })).toThrow(/dampening/);
    expect(() => build({ momentum: [0.1, 0.2] })).toThrow(/2 values for 1 networks/);
  });
});

describe('the workgroup layout runs plain full batch only', () => {
  const opts = (per: Record<string, number[]>, config: Record<string, number> = {}) => {
    const s = buildNetSetup({ model, data, lrLayers: [[0.1, 0.1]], perNetwork: per, init: { seed: 1 }, config });
    return { model, points: data.n, optimizer: s.optimizer, config: s.config };
  };
  test('per-network optimizer hyperparameters: built (they are read from the hyper row)', () => {
    expect(workgroupLayoutProblem(opts({ momentum: [0.9] }).config)).toBeNull();
    expect(buildNetworkKernelWG(opts({ momentum: [0.9] }))).toMatch(/hyper\[hb \+ /);
  });
  test('minibatches, clipping, noise, SAM (shared or per network): refused with one line naming them', () => {
    expect(workgroupLayoutProblem(DEFAULT_NET_CONFIG)).toBeNull();
    const cases: [Record<string, number[]>, Record<string, number>, RegExp][] = [
      [{}, { batch: 4 }, /batch_size needs the thread layout/],
      [{ clip_norm: [1] }, {}, /clip_norm \(per network\) needs the thread layout/],
      [{ noise: [0.1] }, { samRho: 0.05 }, /noise \(per network\), sam_rho need the thread layout/],
      [{}, { clipValue: 0.5 }, /clip_value/],
    ];
    for (const [per, config, message] of cases) {
      const o = opts(per, config);
      expect(workgroupLayoutProblem(o.config)).toMatch(message);
      expect(() => buildNetworkKernelWG(o)).toThrow(message);
      expect(workgroupLayoutProblem(o.config)).not.toMatch(/\n/);
    }
  });
});

describe('CSV data (RFC 4180)', () => {
  test('quoted fields: commas, doubled quotes, line breaks; CRLF; blank lines skipped; the line of each record', () => {
    const text = 'a,"b, c",note\r\n1,2,"say ""hi"""\r\n\r\n3,4,"two\nlines"\n5,6,\n';
    expect(parseCsv(text)).toEqual([
      { fields: ['a', 'b, c', 'note'], line: 1 },
      { fields: ['1', '2', 'say "hi"'], line: 2 },
      { fields: ['3', '4', 'two\nlines'], line: 4 },
      { fields: ['5', '6', ''], line: 6 },
    ]);
    expect(() => parseCsv('a,b\n1,"2\n')).toThrow(/line 2: a quoted field is not closed/);
    expect(() => parseCsv('a,b\n1,"2"x\n')).toThrow(/line 2: text after a closing quote/);
  });
  test('numeric columns by name; the others are not read', () => {
    const d = parseCsvData('x1,"x, 2",label,y\n0.5,-1,cat,2\n1e-1,.25,dog,-3\n', ['x, 2', 'x1'], ['y']);
    expect(Array.from(d.x)).toEqual([-1, 0.5, 0.25, Math.fround(0.1)]);
    expect(Array.from(d.y)).toEqual([2, -3]);
  });
  test('bad cells and rows name their line and column; too many rows is refused', () => {
    const bad: [string, RegExp][] = [
      ['a,b\n1,0x10\n', /line 2, column 'b': '0x10' is not a finite number/],
      ['a,b\n1,Infinity\n', /line 2, column 'b': 'Infinity'/],
      ['a,b\n1,1e39\n', /line 2, column 'b': '1e39'/],
      ['a,b\n1,\n', /line 2, column 'b': ''/],
      ['a,b\n1,2\n3\n', /line 3: 1 fields, the header has 2/],
      ['a,\n1,2\n', /line 1: column 2 of the header has no name/],
    ];
    for (const [text, message] of bad) expect(() => parseCsvData(text, ['a'], ['b'])).toThrow(message);
    expect(() => parseCsvData('a,b\n1,2\n', ['a'], ['a'])).toThrow(/'a' is chosen twice \(an input and a target\)/);
    expect(parseCsvData('a,b\n1,2\n3,4\n', ['a'], ['b'], 2).n).toBe(2);
    expect(() => parseCsvData('a,b\n1,2\n3,4\n5,6\n', ['a'], ['b'], 2)).toThrow(/more than 2 rows/);
  });
});

describe('map --model axes (src/cli/model-axes.ts): refusals name the parameter', () => {
  const sgd = findOptimizer('sgd');
  test('each refused axis in one line', () => {
    const bad: [string, RegExp][] = [
      ['beta1:0.5:0.9', /'beta1' is not an axis of a network map with \w+ \(axes: lr, lr_layer0\.\.lr_layer1, init_scale, init_offset, momentum, dampening/],
      ['batch_size:2:8', /batch_size cannot be a network map axis/],
      ['clip_norm:0:1', /clip_norm needs MIN > 0 \(0 turns clipping off\)/],
      ['nesterov:0:1', /nesterov is a flag/],
      ['dampening:0:2', /dampening/],
      ['momentum:0:0.9:log', /a log axis needs MIN > 0/],
      ['lr_layer2:0.1:1', /not an axis/],
    ];
    for (const [text, message] of bad) expect(() => parseNetAxis(text, '--y', sgd, 2)).toThrow(message);
    const m = parseNetAxis('momentum:0:0.9', '--y', sgd, 2);
    expect(() => checkAxisFlags(m, '--y', { momentum: 0.5 }, {})).toThrow(/--momentum: momentum is the map's y axis/);
    expect(() => checkAxisFlags(parseNetAxis('noise:0:1', '--x', sgd, 2), '--x', {}, { noise: 0.1 })).toThrow(/--noise: noise is the map's x axis/);
  });
  test("a map's networks: lr per layer, per-network values in row order", () => {
    const x = parseNetAxis('lr_layer1:0.1:0.4', '--x', sgd, 2);
    const y = parseNetAxis('momentum:0:0.5', '--y', sgd, 2);
    const m = mapNetworks({ x, xv: [0.1, 0.4], y, yv: [0, 0.5] }, [0, 2], [0.3, 0.3]);
    expect(m.lrLayers).toEqual([
      [0.3, 0.1],
      [0.3, 0.4],
      [0.3, 0.1],
      [0.3, 0.4],
    ]);
    expect(m.perNetwork).toEqual({ momentum: [0, 0, 0.5, 0.5] });
  });
  test('--data: an unknown dataset, a CSV without its columns, columns for a generator', () => {
    const model2 = buildModel({ widths: [2, 3, 1], activation: 'tanh', parameterization: 'standard' });
    expect(() => loadData({ data: 'moons' }, model2)).toThrow(/unknown dataset 'moons' \(teacher, .*, or FILE.csv\)/);
    expect(() => loadData({ data: 'x.csv' }, model2)).toThrow(/needs --inputs A,B,\.\.\. and --targets/);
    expect(() => loadData({ data: 'xor', inputs: 'a' }, model2)).toThrow(/--inputs and --targets choose the columns of --data FILE.csv/);
    expect(() => loadData({ data: '/nonexistent/x.csv', inputs: 'a,b', targets: 'y' }, model2)).toThrow(/no file/);
  });
});
