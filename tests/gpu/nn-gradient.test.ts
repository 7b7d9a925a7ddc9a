// The network engine's gradient transforms on the GPU against the float32 CPU
// reference: real minibatches (each network's own draws, so a draw that differed
// between the engines would send its trajectory elsewhere), gradient noise, clipping
// by norm and by value, and SAM. One kernel, 40 steps of small networks.

import { describe, expect, test } from 'vitest';
import { parseModel } from '../../src/core/nn/model';
import { makeDataset } from '../../src/core/nn/data';
import { buildNetSetup } from '../../src/core/nn/setup';
import { NetworkTrainerCpu, type NetTrainConfig } from '../../src/core/nn/train';
import { particleStatus, Status } from '../../src/core/particles';
import { NetworkEngine } from '../../src/gpu/network-engine';
import { gpuDevice } from '../helpers/gpu';

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-30));
  return m;
}

describe('GPU network engine = CPU reference, with the gradient transforms', () => {
  const model = parseModel('mlp:3,6,1:tanh:mean-field:gain=sqrt2');
  const data = makeDataset('teacher', model, { seed: 1, multiple: 2 });
  const steps = 40;
  // One kernel with every transform on (each compile costs seconds on SwiftShader).
  const cases: [string, string, Record<string, number>, Partial<NetTrainConfig>][] = [
    [
      'minibatches of 4, SAM, noise, clipping by norm and by value, momentum',
      'sgd',
      { momentum: 0.9 },
      { batch: 4, seed: 9, noise: 0.05, clipNorm: 0.5, clipValue: 0.08, samRho: 0.05 },
    ],
  ];
  for (const [name, opt, settings, config] of cases) {
    test(`${name}: loss trajectories within 1e-4 over ${steps} steps`, async () => {
      const lrLayers = Array.from({ length: 8 }, (_, i) => [0.05 * (1 + 0.4 * i), 0.08 * (1 + 0.3 * i)]);
      const setup = buildNetSetup({
        model,
        data,
        optimizer: opt,
        settings,
        lrLayers,
        init: { seed: 3, perNetwork: true },
        config: { history: steps, ...config },
      });
      const gpu = await NetworkEngine.create(await gpuDevice(), setup);
      const cpu = new NetworkTrainerCpu(setup);
      for (const k of [25, steps - 25]) {
        gpu.step(k);
        cpu.step(k);
      }
      const g = await gpu.read();
      gpu.destroy();
      const c = cpu.state;
      for (let i = 0; i < setup.n; i++) {
        expect(particleStatus(c.info, i)).toBe(Status.Running);
        expect(c.history[i * steps + steps - 1]).toBeLessThan(c.history[i * steps]); // it trains
      }
      expect(Array.from(g.info)).toEqual(Array.from(c.info));
      expect(maxRel(g.history, c.history)).toBeLessThan(1e-4);
      expect(maxRel(g.theta, c.theta)).toBeLessThan(1e-3);
      // The transforms change the run: the plain full-batch run ends elsewhere.
      const plain = new NetworkTrainerCpu({ ...setup, config: { ...setup.config, batch: 0, noise: 0, clipNorm: 0, clipValue: 0, samRho: 0 } });
      plain.step(steps);
      expect(maxRel(plain.state.history, c.history)).toBeGreaterThan(1e-3);
    });
  }
});
