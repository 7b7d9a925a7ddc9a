// `npm run bench`'s TensorFlow.js peers (src/cli/bench-tfjs.ts), bundled on their own
// (bench/vite.tfjs.config.ts -> dist/bench-tfjs.mjs) so that the etascape command never
// loads TensorFlow.js. Prints the table and writes the JSON.
//
//   node dist/bench-tfjs.mjs [--n 1048576] [--nets 256] [--net-steps 1] [--net-chunk 50] [--min-seconds 1] [--out FILE.json]
// --n 0 leaves the surface workload out (the networks alone).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runTfjsBench, tfjsBenchTable } from '../src/cli/bench-tfjs';
import { nodeDevice } from '../src/gpu/node';

const { values } = parseArgs({
  options: {
    n: { type: 'string' },
    steps: { type: 'string' },
    nets: { type: 'string' },
    'net-steps': { type: 'string' },
    'net-chunk': { type: 'string' },
    'min-seconds': { type: 'string' },
    out: { type: 'string' },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const handle = await nodeDevice();
try {
  const result = await runTfjsBench(handle, {
    n: num(values.n),
    steps: num(values.steps),
    nets: num(values.nets),
    netSteps: num(values['net-steps']),
    netChunk: num(values['net-chunk']),
    minSeconds: num(values['min-seconds']),
    log: (m) => process.stderr.write(`bench tfjs: ${m}\n`),
  });
  console.log(tfjsBenchTable(result));
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${values.out}`);
  }
} finally {
  handle.device.destroy();
}
