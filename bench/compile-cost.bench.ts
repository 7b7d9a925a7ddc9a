// Calibration of the expression compile-cost budget (src/core/expr/cost.ts): for a set
// of expressions (every preset, and towers, sums and nestings that grow), the time
// SwiftShader takes to create the pipelines that carry the surface's programs: the step
// kernel (the loss-and-gradient program, called at three places) and the reduce kernel
// with sharpness (the Hessian program), against the cost model's estimate. Each pipeline
// is created REPEATS times with a fresh comment in its source (no cache hit); the
// smallest CPU time is what an idle machine's wall time would be (on a loaded one, wall
// time is several times longer). Not part of `npm test`:
//   npm run bench:compile
// writes bench/results/compile-cost.json and prints a table (README, Limits and safety).

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { test } from 'vitest';
import { buildParticles } from '../src/core/layouts';
import { minimaTable } from '../src/core/engine/engine';
import { compileCost, COMPILE_COST_LIMIT_MS } from '../src/core/expr/cost';
import { getOptimizer, specializeFor } from '../src/core/optimizers';
import { PRESET_NAMES, resolveSurface, Surface } from '../src/core/surfaces';
import { compileModule } from '../src/gpu/engine';
import { nodeDevice } from '../src/gpu/node';
import { buildReduceKernel } from '../shaders/reduce';
import { buildStepKernel } from '../shaders/step';

const REPEATS = Number(process.env.COST_REPEATS ?? 3);
/** A family stops growing once one member takes this much CPU time (the rest would only be slower). */
const STOP_SECONDS = Number(process.env.COST_STOP ?? 2.5);
/** Only the families named here (comma-separated; default all, presets included). */
const ONLY = process.env.COST_FAMILIES?.split(',');

const list = (n: number, f: (i: number) => string, sep = ' + ') => Array.from({ length: n }, (_, i) => f(i + 1)).join(sep);
const FAMILIES: Record<string, (n: number) => string> = {
  'x^x^...': (n) => `${list(n, () => 'x', '^')} + y^2`,
  'x^y^y^...': (n) => `x^${list(n, () => 'y', '^')}`,
  'sum sin(kx+y)': (n) => list(n, (i) => `sin(${i}*x + y)`),
  'sum exp(-(x-k)^2)': (n) => list(n, (i) => `exp(-(x - ${i})^2 - y^2)`),
  'sin(sin(...))': (n) => `${'sin('.repeat(n)}x${')'.repeat(n)} + y^2`,
  'polynomial x^i y^j': (n) => list(n, (i) => `${i}*x^${i % 7}*y^${(3 * i) % 5}`),
};
const SIZES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30, 40, 60];

/** Seconds of CPU time (every thread of the process: Dawn compiles on its own), and of wall time. */
async function timed(make: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await make();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000 };
}

test('compile cost against the model', async () => {
  const { device } = await nodeDevice();
  const sgd = getOptimizer('SGD');
  let nonce = 0;
  const pipeline = async (code: string, entryPoint: string) => {
    const module = await compileModule(device, `// calibration ${nonce++}\n${code}`, 'calibration');
    return timed(() => device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } }));
  };
  const kernels = (s: Surface) => {
    const particles = buildParticles({ kind: 'sweep', start: [0.5, 0.5], lrMin: 1e-3, lrMax: 1e-2, n: 64 }, sgd, {});
    const optimizer = specializeFor(sgd, particles.hyper, particles.n);
    return {
      step: buildStepKernel({ surface: s, optimizer, minima: minimaTable(s) }),
      hessian: buildReduceKernel({ surface: s, value: 'loss', sharpness: true }),
    };
  };
  type Times = { cpu: number; wall: number }[];
  const rows: { family: string; n: number | null; expression: string; estimateMs: number; load: number; step: Times; hessian: Times }[] = [];
  const measure = async (family: string, n: number | null, expression: string) => {
    // Past the limit too (resolveSurface would refuse it): the calibration measures both sides.
    const s = family === 'preset' ? resolveSurface(expression) : Surface.fromExpression(expression);
    const k = kernels(s);
    const step: Times = [];
    const hessian: Times = [];
    for (let r = 0; r < REPEATS; r++) {
      step.push(await pipeline(k.step, 'main'));
      hessian.push(await pipeline(k.hessian, 'sharpness_main'));
    }
    const estimateMs = compileCost(s).ms;
    rows.push({ family, n, expression: s.spec.expression.slice(0, 80), estimateMs, load: loadavg()[0], step, hessian });
    const cpu = (ts: Times) => Math.min(...ts.map((t) => t.cpu));
    const wall = (ts: Times) => Math.min(...ts.map((t) => t.wall));
    const f = (ts: Times) => `cpu ${cpu(ts).toFixed(2)} wall ${wall(ts).toFixed(2)}`;
    console.log(
      `${(family === 'preset' ? expression : family).padEnd(20)} ${String(n ?? '').padStart(3)} estimate ${String(estimateMs).padStart(5)} ms${estimateMs > COMPILE_COST_LIMIT_MS ? ' (over)' : '       '}  step ${f(step)}  hessian ${f(hessian)}  load ${loadavg()[0].toFixed(1)}`,
    );
    return cpu(step) + cpu(hessian);
  };
  const save = () => {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/compile-cost.json', JSON.stringify({ repeats: REPEATS, rows }, null, 1));
  };
  if (!ONLY || ONLY.includes('preset')) for (const name of PRESET_NAMES) await measure('preset', null, name);
  save();
  for (const [family, make] of Object.entries(FAMILIES)) {
    if (ONLY && !ONLY.includes(family)) continue;
    for (const n of SIZES) if ((await measure(family, n, make(n))) > STOP_SECONDS) break;
    save();
  }
  device.destroy();
});
