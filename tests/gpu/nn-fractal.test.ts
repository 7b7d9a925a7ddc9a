// The trainability fractal scene's check, on both engines: lr_layer0 x lr_layer1 maps of
// the fractal's setup (narrowed to 4-4-1 so that SwiftShader and the CPU reference run
// it in a test), classified by the fractal notebook's measure; at two zoom levels both
// outcomes are present and the boundary's box-counting dimension is above 1.1 (a smooth
// boundary gives about 1).

import { describe, expect, test } from 'vitest';
import { makeDataset } from '../../src/core/nn/data';
import { boxCountingDimension } from '../../src/core/nn/fractal';
import { buildModel } from '../../src/core/nn/model';
import { buildNetSetup, fractalMeasureOfRun } from '../../src/core/nn/setup';
import { NetworkTrainerCpu, type NetState } from '../../src/core/nn/train';
import { eventStep, particleStatus } from '../../src/core/particles';
import { NetworkEngine } from '../../src/gpu/network-engine';
import { gpuDevice } from '../helpers/gpu';

const RES = 32;
const STEPS = 60;
/**
 * log10 windows [x0, x1, y0, y1] into the boundary of the map over [-0.5, 2]^2 (at 32 x 32
 * that whole map's boundary still looks smooth: dimension 0.99), about 2 x 4 times
 * and then 5 x 12 times smaller.
 */
const WINDOWS = [
  [0, 1.2, 0.9, 1.5],
  [0.7, 1.2, 1.0, 1.2],
];

function setupFor([x0, x1, y0, y1]: number[]) {
  const model = buildModel({ widths: [4, 4, 1], activation: 'tanh', parameterization: 'mean-field', gain: Math.SQRT2 });
  const data = makeDataset('teacher', model, { seed: 0 });
  const ax = (lo: number, hi: number, k: number) => 10 ** (lo + ((hi - lo) * k) / (RES - 1));
  const lrLayers: number[][] = [];
  for (let iy = 0; iy < RES; iy++) for (let ix = 0; ix < RES; ix++) lrLayers.push([ax(x0, x1, ix), ax(y0, y1, iy)]);
  return buildNetSetup({ model, data, lrLayers, init: { seed: 0 }, config: { history: STEPS } });
}

const convergedOf = (s: NetState) =>
  Array.from({ length: s.n }, (_, i) => fractalMeasureOfRun(s.history.subarray(i * STEPS), particleStatus(s.info, i), eventStep(s.info, i), STEPS).converged);

async function run(engine: 'cpu' | 'gpu', window: number[]): Promise<boolean[]> {
  const setup = setupFor(window);
  if (engine === 'cpu') {
    const cpu = new NetworkTrainerCpu(setup);
    cpu.step(STEPS);
    return convergedOf(cpu.state);
  }
  const gpu = await NetworkEngine.create(await gpuDevice(), setup);
  gpu.step(STEPS);
  const st = await gpu.read();
  gpu.destroy();
  return convergedOf(st);
}

describe('the trainability fractal (lr_layer0 x lr_layer1, fractal measure)', () => {
  for (const engine of ['cpu', 'gpu'] as const) {
    WINDOWS.forEach((w, z) => {
      test(`${engine}, zoom level ${z}: converged and diverged both present, boundary dimension > 1.1`, async () => {
        const c = await run(engine, w);
        const nc = c.filter(Boolean).length;
        expect(nc).toBeGreaterThan(0);
        expect(nc).toBeLessThan(c.length);
        const d = boxCountingDimension(c, RES, RES);
        console.log(`${engine} zoom ${z}: ${nc} of ${c.length} converged, boundary dimension ${d.toFixed(3)}`);
        expect(d).toBeGreaterThan(1.1);
      }, 300_000);
    });
  }
});
