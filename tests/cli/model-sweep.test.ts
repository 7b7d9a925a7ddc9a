// Networks on the command line with the training settings: `sweep --model` (lr spread
// over the networks, one row per network; row i is the run of `run --model` at that lr),
// minibatches and clipping through the flags, an init_scale map axis, and bad input
// exiting 2 with one line.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ok, tempDir } from './cli';

const MODEL = ['--model', 'mlp:3,6,1:tanh:mean-field:gain=sqrt2', '--data-seed', '2', '--init-seed', '1'];
const TRAIN = ['--batch_size', '4', '--seed', '5', '--clip_norm', '0.5'];

describe('etascape sweep --model', () => {
  it('spreads lr log-spaced over the networks; a row is the run at its lr, minibatches and clipping included', () => {
    const csv = ok(['sweep', ...MODEL, ...TRAIN, '--lr-min', '0.05', '--lr-max', '50', '--n', '4', '--steps', '30'])
      .trim()
      .split('\n');
    expect(csv[0]).toBe('index,lr,loss,loss0,status,steps,event_step');
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => Number(r[1]))).toEqual([0.05, 0.5, 5, 50].map((v) => expect.closeTo(v, 5)));
    // Network 0 draws its minibatches as the single network of `run` does.
    const run = JSON.parse(ok(['run', ...MODEL, ...TRAIN, '--lr', '0.05', '--steps', '30', '--json']));
    expect(Number(rows[0][2])).toBe(run.loss[30]);
    expect(Number(rows[0][3])).toBe(run.loss[0]);
    expect(new Set(rows.map((r) => r[3])).size).toBe(1); // one shared initial draw
  });

  it('writes JSON with the settings, and each network its own initial draw with --init-per-network', () => {
    const dir = tempDir();
    const out = join(dir, 'sweep.json');
    ok(['sweep', ...MODEL, '--init-per-network', '--noise', '0.1', '--lr-min', '0.1', '--lr-max', '0.1', '--n', '3', '--steps', '5', '--out', out]);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.config).toMatchObject({ noise: 0.1, batch: 0 });
    expect(doc.rows).toHaveLength(3);
    expect(new Set(doc.rows.map((r: { loss0: number }) => r.loss0)).size).toBe(3);
  });

  it('bad input exits 2 with one line naming it', () => {
    const file = join(tempDir(), 'p.json');
    writeFileSync(file, JSON.stringify({ activation: 'tanh', parameterization: 'standard', weights: [[[1], [0.5]]], x: [[1, 2]], y: [[0.5]] }));
    for (const [args, msg] of [
      [[...MODEL, '--lr-min', '0.1', '--lr-max', '1', '--batch_size', '1000'], /batch_size 1000 is above the \d+ points/],
      [[...MODEL, '--lr-min', '2', '--lr-max', '1'], /--lr-min 2 is above --lr-max 1/],
      [['--model', file, '--lr-min', '0.1', '--lr-max', '1', '--init-per-network'], /--init-per-network draws weights for a built-in model/],
    ] as const) {
      const r = cli(['sweep', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('etascape map --model with an initialisation axis', () => {
  it('init_scale x lr: each column starts from its scaled weights', () => {
    const csv = join(tempDir(), 'map.csv');
    ok(['map', ...MODEL, '--x', 'init_scale:0.5:2:log', '--y', 'lr:0.1:0.2', '--res', '2', '--steps', '3', '--csv', csv]);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('ix,iy,init_scale,lr,status,steps,event_step,loss,measure');
    const cells = rows.slice(1).map((l) => l.split(','));
    expect(cells.map((c) => Number(c[2]))).toEqual([0.5, 2, 0.5, 2]);
    // The scale changes where training starts: the columns' losses differ.
    expect(cells[0][7]).not.toBe(cells[1][7]);
    // The same as run from the weights scaled by --init-scale.
    const run = JSON.parse(ok(['run', ...MODEL, '--init-scale', '2', '--lr', '0.1', '--steps', '3', '--json']));
    expect(Number(cells[1][7])).toBe(run.loss[3]);
  });
});
