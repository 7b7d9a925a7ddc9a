// Network training throughput of the two kernel layouts on the fractal setup
// (mlp:16,16,1:tanh:mean-field:gain=sqrt2, teacher data, 272 points, GD with one lr per
// layer), and of the CPU reference. Prints network-steps per second; asserts nothing.
//   NETS=10000 STEPS=4 npx vitest run --config bench/vitest.nn.config.ts
import { test } from 'vitest';
import { parseModel } from '../src/core/nn/model';
import { makeDataset } from '../src/core/nn/data';
import { buildNetSetup } from '../src/core/nn/setup';
import { NetworkTrainerCpu } from '../src/core/nn/train';
import { particleStatus, Status } from '../src/core/particles';
import { NetworkEngine, type NetworkLayout } from '../src/gpu/network-engine';
import { nodeDevice } from '../src/gpu/node';

const NETS = Number(process.env.NETS ?? 10000);
const STEPS = Number(process.env.STEPS ?? 4);
const LAYOUTS = (process.env.LAYOUTS ?? 'thread,workgroup').split(',') as NetworkLayout[];

test('network layouts', async () => {
  const handle = await nodeDevice();
  const model = parseModel('mlp:16,16,1:tanh:mean-field:gain=sqrt2');
  const data = makeDataset('teacher', model, { seed: 0 });
  const side = Math.ceil(Math.sqrt(NETS));
  const lrLayers = Array.from({ length: NETS }, (_, i) => [0.05 + (0.45 * (i % side)) / side, 0.05 + (0.45 * Math.floor(i / side)) / side]);
  const setup = buildNetSetup({ model, data, lrLayers, init: { seed: 0 } });
  const macs = 3 * data.n * model.params; // forward, backward to gradient and to the layer below, per step (approximate)
  const rows: string[] = [`device: ${handle.adapterName}; ${NETS} networks x ${model.params} parameters, ${data.n} points, ${STEPS} steps per dispatch`];
  for (const layout of LAYOUTS) {
    const engine = await NetworkEngine.create(handle, setup, layout);
    engine.step(1);
    await engine.done();
    const t0 = performance.now();
    engine.step(STEPS);
    await engine.done();
    const s = (performance.now() - t0) / 1000;
    const st = await engine.read();
    const running = Array.from({ length: NETS }, (_, i) => particleStatus(st.info, i)).filter((v) => v === Status.Running).length;
    rows.push(
      `${layout}: ${((NETS * STEPS) / s).toFixed(0)} network-steps/s (${((NETS * STEPS * macs) / s / 1e9).toFixed(2)} G multiply-adds/s; ${s.toFixed(2)} s; ${running}/${NETS} still running)`,
    );
    engine.destroy();
  }
  const cpuSetup = buildNetSetup({ model, data, lrLayers: lrLayers.slice(0, 2), init: { seed: 0 } });
  const cpu = new NetworkTrainerCpu(cpuSetup);
  const t0 = performance.now();
  cpu.step(2);
  const s = (performance.now() - t0) / 1000;
  rows.push(`CPU reference: ${(4 / s).toFixed(1)} network-steps/s`);
  console.log(rows.join('\n'));
  handle.device.destroy();
});
