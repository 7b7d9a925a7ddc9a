// `map --model ... --precision df64`: the deep-zoom option. The map's learning rates
// stay float64 (neighbouring pixels of a deep zoom differ past float32's 24 bits), and
// the networks train with weights, hyperparameters and optimizer state in double-float
// (core/nn/train-wide.ts on the CPU, gpu/network-engine-df64.ts on the GPU).

import { DF64Error } from '../core/nn/interp-df64';
import { mapPrecision, type WindowAxis } from '../core/nn/precision';
import { NetworkTrainerWide, wideHyper, type WideState } from '../core/nn/train-wide';
import type { NetSetup } from '../core/nn/train';
import { NetworkEngineDF64 } from '../gpu/network-engine-df64';
import { defineFlags, UsageError } from './args';
import { csvNumber, openGpu } from './common';

export const PRECISION_FLAGS = defineFlags({
  precision: {
    name: 'precision',
    kind: 'choice',
    choices: ['f32', 'df64'],
    meta: 'f32|df64',
    help: 'df64: coordinates, hyperparameters and optimizer state as double-floats (about 48 bits), for windows float32 cannot resolve (networks: plain SGD, full batch, tanh or linear, MSE; surfaces: any expression and optimizer, no dataset, clipping, noise, SAM or Hessian-reading schedule)',
    default: 'f32',
  },
});

/** An axis value in the CSV: float32's shortest form, or 17 significant digits in df64 (neighbouring pixels stay apart). */
export function axisCsv(v: number, df64: boolean): string {
  return df64 ? v.toPrecision(17) : csvNumber(v);
}

/** A warning line when a float32 map's window is below what float32 resolves (core/nn/precision.ts, as the page's automatic switch to df64), else null. */
export function f32WindowWarning(x: WindowAxis, y: WindowAxis, df64Resolves: boolean): string | null {
  const { why } = mapPrecision(x, y);
  if (!why) return null;
  return `etascape map: warning: float32 does not resolve this window (${why}): its statuses may be noise${df64Resolves ? '; --precision df64 resolves it' : ''}`;
}

/** Trains `setup` in df64 with its learning rates `lrLayers` in float64, `chunk` steps per dispatch. */
export async function trainDF64(setup: NetSetup, lrLayers: number[][], engine: 'cpu' | 'gpu', steps: number, chunk: number): Promise<WideState> {
  const hyper = wideHyper(setup, lrLayers);
  try {
    if (engine === 'cpu') {
      const cpu = new NetworkTrainerWide(setup, hyper, 'df64');
      for (let done = 0; done < steps; done += chunk) cpu.step(Math.min(chunk, steps - done));
      return cpu.state;
    }
    const handle = await openGpu();
    try {
      const gpu = await NetworkEngineDF64.create(handle, setup, hyper);
      for (let done = 0; done < steps; done += chunk) gpu.step(Math.min(chunk, steps - done));
      const st = await gpu.read();
      gpu.destroy();
      return st;
    } finally {
      handle.device.destroy();
    }
  } catch (e) {
    if (e instanceof DF64Error) throw new UsageError(`--precision ${e.message}`);
    throw e;
  }
}
