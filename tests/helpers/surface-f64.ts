// A float64 run of a surface map's particles: CpuEngine.stepParticle's loop (stop checks,
// optimizer program per coordinate) with the programs evaluated in float64 and the
// hyperparameters and starts unrounded. The yardstick the df64 and float32 maps are
// measured against (no clipping, noise, SAM or minibatches: what df64 runs).

import { classify } from '../../src/core/engine/cpu';
import { minimaTable } from '../../src/core/engine/engine';
import type { SurfaceSetupDF64 } from '../../src/core/engine/surface-df64';
import { Evaluator } from '../../src/core/expr/program';
import { PROGRAM_INPUTS } from '../../src/core/optimizers';
import { NO_MINIMUM, Status } from '../../src/core/particles';

export interface F64Outcome {
  status: number[];
  event: number[];
  minimum: number[];
  loss: number[];
}

export function runFloat64(setup: SurfaceSetupDF64, steps: number): F64Outcome {
  const { surface, optimizer, config, n, start, hyper } = setup;
  const surf = new Evaluator(surface.step, false);
  const opt = new Evaluator(optimizer.program, false);
  const H = optimizer.hyperStride;
  const slots = optimizer.state.length;
  const F = PROGRAM_INPUTS.length;
  const table = minimaTable(surface);
  const out: F64Outcome = { status: [], event: [], minimum: [], loss: [] };
  for (let i = 0; i < n; i++) {
    let [x, y] = [start[2 * i], start[2 * i + 1]];
    let prev = 0;
    const state = new Float64Array(2 * slots);
    let status: number = Status.Running;
    let t = 0;
    for (; t < steps; t++) {
      surf.run(x, y);
      const [L, gx, gy] = [surf.out('loss'), surf.out('gx'), surf.out('gy')];
      if (![L, gx, gy, x, y].every(Number.isFinite)) {
        status = Status.NonFinite;
        break;
      }
      if (Math.abs(x) > config.posBound || Math.abs(y) > config.posBound || L > config.lossBound) {
        status = Status.Diverged;
        break;
      }
      const gn2 = gx * gx + gy * gy;
      if (t > 0 && gn2 <= config.gtol * config.gtol && Math.abs(L - prev) <= config.ftol * (1 + Math.abs(L))) {
        status = Status.Converged;
        break;
      }
      const next: number[] = [];
      for (let c = 0; c < 2; c++) {
        const r = opt.regs;
        r.fill(0, 0, F);
        r[0] = c === 0 ? x : y;
        r[1] = c === 0 ? gx : gy;
        r[2] = t;
        r[3] = c;
        r[4] = L;
        r[5] = Math.sqrt(gn2);
        for (let h = 0; h < H; h++) r[F + h] = hyper[i * H + h];
        for (let s = 0; s < slots; s++) r[F + H + s] = state[2 * s + c];
        opt.exec();
        next.push(opt.out('p'));
        optimizer.state.forEach((name, s) => (state[2 * s + c] = opt.out(name)));
      }
      [x, y] = next;
      prev = L;
    }
    const loss = surface.evaluate(x, y).loss;
    out.status.push(status);
    out.event.push(status === Status.Running ? 0 : t);
    out.minimum.push(status === Status.Converged ? classify(table, Math.fround(x), Math.fround(y), Math.fround(loss)) : NO_MINIMUM);
    out.loss.push(loss);
  }
  return out;
}
