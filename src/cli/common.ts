// What the commands share besides their flags (flags.ts): number formatting, output
// files, summaries of a run's settings, opening an engine, and the minima table.

import { CpuEngine } from '../core/engine/cpu';
import type { Engine } from '../core/engine/engine';
import type { CompiledOptimizer, OptimizerDef } from '../core/optimizers';
import { scheduleText } from '../core/schedules';
import { checkDeviceCapacity, GpuEngine, type GpuSetup } from '../gpu/engine';
import { nodeDevice } from '../gpu/node';
import { MAX_PARTICLES, ParticleError, wholeParticles, type ParticleState, type RunConfig } from '../core/particles';
import type { Surface } from '../core/surfaces';
import type { DeviceHandle } from '../gpu/device';
import type { EngineKind } from './flags';

// ---------------------------------------------------------------- numbers

/** The shortest decimal that reads back as the same float32 (engines compute in float32). */
export function f32(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return f;
}

/** For CSV: like f32, with nan / inf / -inf as numpy and pandas write them. */
export function csvNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(f32(v));
}

/** Short human-readable number. */
export function fmt(v: number, digits = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e7) return String(Number(v.toPrecision(digits)));
  return v.toExponential(Math.max(0, digits - 3)).replace(/\.?0+e/, 'e');
}

export { csvField } from '../core/csv';

export function padTable(rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, j) => (align[j] === 'r' ? c.padStart(widths[j]) : c.padEnd(widths[j])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function describeHyper(def: OptimizerDef, hyper: Record<string, number>, skip: string[] = []): string {
  return def.hyper
    .filter((h) => !skip.includes(h.name))
    .map((h) => `${h.name}=${h.bool ? (hyper[h.name] ? 'true' : 'false') : fmt(hyper[h.name])}`)
    .join(' ');
}

/** The schedule and gradient transforms of a run, for summaries: ', StepLR(step_size=3), noise 0.1/sqrt(4)'. */
export function describeExtras(opt: CompiledOptimizer, cfg: RunConfig): string {
  const parts: string[] = [];
  if (opt.schedule) parts.push(`schedule ${scheduleText(opt.schedule)}`);
  if (cfg.samRho > 0) parts.push(`SAM rho=${fmt(cfg.samRho)}`);
  if (cfg.noise > 0) parts.push(`noise ${fmt(cfg.noise)}/sqrt(${cfg.batchSize}) seed ${cfg.seed}`);
  if (cfg.clipNorm > 0) parts.push(`clip_norm ${fmt(cfg.clipNorm)}`);
  if (cfg.clipValue > 0) parts.push(`clip_value ${fmt(cfg.clipValue)}`);
  return parts.length ? `, ${parts.join(', ')}` : '';
}

export function checkCount(n: number, what: string): void {
  if (n > MAX_PARTICLES) throw new ParticleError(`too many particles: ${what} ${n} > ${MAX_PARTICLES}, the most any engine allows`);
}

/**
 * Opens the GPU. ETASCAPE_MAX_BUFFER_BYTES (testing) caps the device's buffer limits,
 * to exercise the "too many particles for this GPU" path on a large device.
 */
export async function openGpu(): Promise<DeviceHandle> {
  let handle: DeviceHandle;
  try {
    handle = await nodeDevice();
  } catch (e) {
    throw new Error(`no WebGPU device: ${(e as Error).message} (try --engine cpu)`, { cause: e });
  }
  const cap = Number(process.env.ETASCAPE_MAX_BUFFER_BYTES);
  if (Number.isFinite(cap) && cap > 0) {
    handle = {
      ...handle,
      limits: {
        ...handle.limits,
        maxStorageBufferBindingSize: Math.min(cap, handle.limits.maxStorageBufferBindingSize),
        maxBufferSize: Math.min(cap, handle.limits.maxBufferSize),
      },
    };
  }
  return handle;
}

/** Checks n against the GPU's buffer limits before any particle memory is allocated. */
export function checkGpuCapacity(handle: DeviceHandle, opt: CompiledOptimizer, n: number): void {
  checkDeviceCapacity(handle, { n, hyperStride: opt.hyperStride, stateStride: opt.stateStride } as ParticleState);
}

/** A device that holds n particles of `opt`; else no device is left open and the reason is thrown. */
export async function openGpuFor(opt: CompiledOptimizer, n: number): Promise<DeviceHandle> {
  const handle = await openGpu();
  try {
    checkGpuCapacity(handle, opt, n);
  } catch (e) {
    handle.device.destroy();
    throw e;
  }
  return handle;
}

export interface OpenEngine {
  engine: Engine;
  /** For the GPU: waits for queued work. */
  done: () => Promise<void>;
  adapter: string | null;
  close: () => void;
}

export async function createEngine(kind: EngineKind, setup: GpuSetup, handle?: DeviceHandle): Promise<OpenEngine> {
  if (kind === 'cpu') {
    const engine = new CpuEngine({ ...setup, particles: wholeParticles(setup.particles) });
    return { engine, done: async () => {}, adapter: null, close: () => engine.destroy() };
  }
  const h = handle ?? (await openGpu());
  let engine;
  try {
    engine = await GpuEngine.create(h, setup);
  } catch (e) {
    if (!handle) h.device.destroy();
    throw e;
  }
  return {
    engine,
    done: () => engine.done(),
    adapter: h.adapterName,
    close: () => {
      engine.destroy();
      if (!handle) h.device.destroy();
    },
  };
}

/** Names of the known minima, by the engines' minimum index. */
export function minimumName(surface: Surface, index: number | null): string | null {
  return index === null ? null : (surface.minima[index]?.name ?? null);
}

export function minimaLines(surface: Surface): string {
  if (!surface.minima.length) return '  (none known)';
  const rows = [['name', 'x', 'y', 'loss', 'eigenvalues', '2/lambda_max', 'label']];
  for (const m of surface.minima) {
    const eig = m.eigenvalues.every(Number.isFinite) ? `${fmt(m.eigenvalues[0], 4)}, ${fmt(m.eigenvalues[1], 4)}` : 'non-smooth';
    rows.push([
      m.name,
      fmt(m.x),
      fmt(m.y),
      fmt(m.loss),
      eig,
      Number.isFinite(m.lrLimit) && m.lrLimit > 0 ? fmt(m.lrLimit) : '-',
      m.label + (m.manifold ? ' (manifold)' : ''),
    ]);
  }
  return padTable(rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
