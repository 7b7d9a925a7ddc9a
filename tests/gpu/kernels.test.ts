// Every generated kernel variant compiles on the device, and a sample of the
// variants runs as the CPU reference does; the WGSL of two variants is snapshotted so a
// change to the generator shows up in review.

import { describe, expect, test } from 'vitest';
import { minimaTable, provenLoss } from '../../src/core/engine/engine';
import { getOptimizer, OPTIMIZER_DEFS, type OptimizerDef } from '../../src/core/optimizers';
import { PRESET_NAMES, resolveSurface, Surface } from '../../src/core/surfaces';
import { CpuEngine } from '../../src/core/engine/cpu';
import { buildParticles } from '../../src/core/layouts';
import { DEFAULT_RUN_CONFIG, type ParticleState, type RunConfig } from '../../src/core/particles';
import { compileModule, ShaderCompileError } from '../../src/gpu/engine';
import { buildStepKernel } from '../../shaders/step';
import { gpuDevice, maxRelativeDiff, runBoth } from '../helpers/gpu';
import { randomExpression } from '../helpers/random-expr';

describe('every kernel variant compiles (getCompilationInfo has no errors)', () => {
  const surfaces = [
    ...PRESET_NAMES.map((n) => resolveSurface(n)),
    resolveSurface('quadratic', { lambda1: 3, lambda2: 7, angle: 45 }),
    resolveSurface('double-well', { sharpWidth: 0.05, flatDepth: 3 }),
    ...[101, 102, 103, 104].map((s) => Surface.fromExpression(randomExpression(s, 5))),
    // Every whitelisted function at once, and the non-finite constant path (1e39 -> Inf).
    Surface.fromExpression(
      'exp(x) + log(1+y^2) + ln(2+x^2) + log2(3+y^2) + log10(4+x^2) + sqrt(1+x^2) + abs(x) + sign(y) + sin(x) + cos(y) + tan(x/3) + atan(y) + sinh(x/4) + cosh(y/4) + tanh(x) + sigmoid(y) + softplus(x) + square(y) + pow(2+x^2, 0.3) + min(x, y, 1) + max(x, y) + x^y',
    ),
    Surface.fromExpression('x^2 + y^2 + 0*1e39'),
  ];
  for (const def of OPTIMIZER_DEFS) {
    test(def.name, async () => {
      const { device } = await gpuDevice();
      const opt = getOptimizer(def.name);
      for (const s of surfaces) {
        const code = buildStepKernel({ surface: s, optimizer: opt, minima: minimaTable(s) });
        await expect(compileModule(device, code, `${s.id}:${def.name}`)).resolves.toBeDefined();
      }
    });
  }

  test('the fast-pass kernel: every optimizer (on Rosenbrock) and every preset (with SGD)', async () => {
    const { device } = await gpuDevice();
    const rosenbrock = resolveSurface('rosenbrock');
    const cases = [...OPTIMIZER_DEFS.map((d) => [rosenbrock, getOptimizer(d.name)] as const), ...surfaces.map((s) => [s, getOptimizer('SGD')] as const)];
    for (const [s, opt] of cases) {
      const code = buildStepKernel({ surface: s, optimizer: opt, minima: minimaTable(s), fastPass: true });
      await expect(compileModule(device, code, `fast:${s.id}:${opt.def.name}`)).resolves.toBeDefined();
    }
  });

  test('a broken kernel is reported with the compiler message and line', async () => {
    const { device } = await gpuDevice();
    await expect(compileModule(device, 'fn main() { let a: f32 = 1u; }', 'broken')).rejects.toThrow(ShaderCompileError);
    await expect(compileModule(device, 'fn main() { let a: f32 = 1u; }', 'broken')).rejects.toThrow(/broken:1:/);
  });
});

describe('generated WGSL snapshots', () => {
  for (const [surface, optimizer, fastPass] of [
    ['quadratic', 'SGD', false],
    ['double-well', 'Adam', false],
    ['quadratic', 'SGD', true],
    ['rosenbrock', 'SGD', 'loss-free'],
  ] as const) {
    test(`${surface} x ${optimizer}${fastPass ? `, fast pass${fastPass === 'loss-free' ? ', loss-free' : ''}` : ''}`, async () => {
      const s = resolveSurface(surface);
      const lossFree = fastPass === 'loss-free' ? provenLoss(s, DEFAULT_RUN_CONFIG.posBound) : null;
      const code = buildStepKernel({ surface: s, optimizer: getOptimizer(optimizer), minima: minimaTable(s), fastPass: !!fastPass, lossFree });
      const suffix = fastPass === 'loss-free' ? '-fast-loss-free' : fastPass ? '-fast' : '';
      await expect(code).toMatchFileSnapshot(`./__snapshots__/step-${surface}-${optimizer}${suffix}.wgsl`);
    });
  }
});

// ---------------------------------------------------------------- the variant matrix

/** The switches of the kernel's #ifs besides the optimizer (whose Hessian use is one too). */
interface Variant {
  clipNorm: boolean;
  clipValue: boolean;
  noise: boolean;
  sam: boolean;
  dataset: boolean;
}

const SWITCHES = ['clipNorm', 'clipValue', 'noise', 'sam', 'dataset'] as const;

/** All 2^5 combinations of the switches, in binary order. */
const VARIANTS: Variant[] = Array.from(
  { length: 1 << SWITCHES.length },
  (_, k) => Object.fromEntries(SWITCHES.map((name, b) => [name, ((k >> b) & 1) === 1])) as unknown as Variant,
);

const plainSurface = resolveSurface('quadratic', { lambda1: 1, lambda2: 4, angle: 30 });
const dataSurface = resolveSurface('least-squares', { points: 64 });
const surfaceOf = (v: Variant) => (v.dataset ? dataSurface : plainSurface);
const label = (opt: string, v: Variant) => `${opt} ${SWITCHES.filter((s) => v[s]).join('+') || 'plain'}`;

/** The run settings that switch each transform on (the engines pick the variant from them). */
function configOf(v: Variant): RunConfig {
  return {
    ...DEFAULT_RUN_CONFIG,
    gtol: 0, // no particle stops on a threshold: every one is compared over all steps
    // At the start g = (0.68, 2.93): the norm clips to 2, then y alone is clamped to 1.
    clipNorm: v.clipNorm ? 2 : 0,
    clipValue: v.clipValue ? 1 : 0,
    noise: v.noise ? 0.5 : 0,
    batchSize: v.dataset || v.noise ? 4 : 1,
    seed: 11,
    samRho: v.sam ? 0.3 : 0,
  };
}

const STEPS = 30;
const layoutOf = (def: OptimizerDef, surface: Surface) => {
  const lr = def.hyper[0].default;
  return { kind: 'sweep' as const, start: surface.spec.defaultStart, lrMin: lr / 4, lrMax: lr, n: 64 };
};

function cpuRun(def: OptimizerDef, v: Variant): ParticleState {
  const surface = surfaceOf(v);
  const opt = getOptimizer(def.name);
  const cpu = new CpuEngine({ surface, optimizer: opt, particles: buildParticles(layoutOf(def, surface), opt, {}), config: configOf(v) });
  cpu.step(STEPS);
  return cpu.state;
}

/**
 * Whether each transform of the variant changes this optimizer's run (on the CPU
 * reference) by ten times the agreement tolerance or more: only then does GPU = CPU show
 * that the kernel has it. (SignSGD, say, ignores clipping: the sign stays.)
 */
function observable(def: OptimizerDef, v: Variant): boolean {
  const full = cpuRun(def, v);
  return SWITCHES.filter((s) => s !== 'dataset' && v[s]).every((s) => maxRelativeDiff(full, cpuRun(def, { ...v, [s]: false })).diff > 1e-4);
}

describe('the kernel variant matrix: optimizer x clip_norm x clip_value x noise x SAM x dataset', () => {
  test(`all ${OPTIMIZER_DEFS.length} x ${VARIANTS.length} variants compile, each with exactly its transforms`, async () => {
    const { device } = await gpuDevice();
    for (const def of OPTIMIZER_DEFS) {
      const opt = getOptimizer(def.name);
      for (const v of VARIANTS) {
        const s = surfaceOf(v);
        const code = buildStepKernel({
          surface: s,
          optimizer: opt,
          minima: minimaTable(s),
          clip: { norm: v.clipNorm, value: v.clipValue },
          noise: v.noise,
          sam: v.sam,
        });
        const name = label(def.name, v);
        expect(code.includes('params.clipNorm /'), name).toBe(v.clipNorm);
        expect(code.includes('clamp(cgx'), name).toBe(v.clipValue);
        expect(code.includes('params.noiseScale *'), name).toBe(v.noise);
        expect(code.includes('params.samRho /'), name).toBe(v.sam);
        expect(code.includes('var<storage, read> data'), name).toBe(v.dataset);
        expect(code.includes('surface_hessian(x, y);'), name).toBe(opt.needsHessian);
        await expect(compileModule(device, code, name)).resolves.toBeDefined();
      }
    }
  });

  test('SAM on a dataset surface is refused by both engines (those variants never run)', async () => {
    const v: Variant = { clipNorm: false, clipValue: false, noise: false, sam: true, dataset: true };
    expect(() => cpuRun(OPTIMIZER_DEFS[0], v)).toThrow(/SAM on a dataset surface is not supported/);
    await expect(runBoth(dataSurface, 'SGD', layoutOf(OPTIMIZER_DEFS[0], dataSurface), { steps: 1, config: configOf(v) })).rejects.toThrow(/SAM on a dataset/);
  });

  // Every runnable switch combination, each with two optimizers taken in turn from a
  // rotating start (a stride coprime to their number, so the optimizer does not follow
  // one switch), skipping those on which a transform of the combination is invisible.
  const runnable = VARIANTS.filter((v) => !(v.sam && v.dataset));
  const stride = [5, 7, 11, 13].find((p) => OPTIMIZER_DEFS.length % p !== 0)!;
  const sample = runnable.flatMap((v, k): { v: Variant; def: OptimizerDef | null }[] => {
    const order = OPTIMIZER_DEFS.map((_, j) => OPTIMIZER_DEFS[(k * stride + j) % OPTIMIZER_DEFS.length]);
    const chosen = order.filter((def) => observable(def, v)).slice(0, 2);
    return chosen.length === 2 ? chosen.map((def) => ({ v, def })) : [{ v, def: null }];
  });

  test('the sample covers every runnable combination twice, every optimizer and every switch value', () => {
    expect(sample.filter((c) => c.def === null).map((c) => label('(no optimizer shows it)', c.v))).toEqual([]);
    expect(sample).toHaveLength(2 * runnable.length);
    expect(new Set(sample.map((c) => c.def?.name)).size).toBe(OPTIMIZER_DEFS.length);
    for (const s of SWITCHES) expect(new Set(sample.map((c) => c.v[s]))).toEqual(new Set([false, true]));
  });

  for (const { v, def } of sample) {
    if (!def) continue;
    test(`${label(def.name, v)}: GPU equals the CPU reference`, async () => {
      const surface = surfaceOf(v);
      const { cpu, gpu } = await runBoth(surface, def.name, layoutOf(def, surface), { steps: STEPS, perDispatch: 10, config: configOf(v) });
      // The same status and step count for every particle, positions within the agreement tests' 1e-5.
      expect(Array.from(gpu.info)).toEqual(Array.from(cpu.info));
      const { diff, index } = maxRelativeDiff(cpu, gpu);
      expect(diff, `particle ${index}`).toBeLessThan(1e-5);
      let full = 0;
      for (let i = 0; i < cpu.n; i++) if (cpu.info[4 * i + 1] === STEPS) full++;
      expect(full).toBeGreaterThanOrEqual(cpu.n / 2);
    });
  }
});
