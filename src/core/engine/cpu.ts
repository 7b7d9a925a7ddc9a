// The CPU reference engine: float32-faithful (every operation rounded with
// Math.fround), the same state layout and update order as shaders/step.ts.

import { Evaluator } from '../expr/program';
import { NOISE_PROGRAM, noiseScale, noiseUniforms } from '../noise';
import { PROGRAM_INPUTS, specializeFor } from '../optimizers';
import {
  NO_MINIMUM,
  Status,
  cloneParticles,
  eventStep,
  sliceParticles,
  minimumIndex,
  particleStatus,
  particleSteps,
  setParticleInfo,
  type ParticleState,
} from '../particles';
import { minibatchIndex } from '../surfaces/dataset';
import { checkSetup, minimaTable, type Engine, type EngineSetup, type MinimaTable } from './engine';

const f32 = Math.fround;
/** PyTorch's clip_grad_norm_ adds 1e-6 to the norm. */
const CLIP_EPS = Math.fround(1e-6);
/** SAM's guard against a zero gradient. */
const SAM_EPS = Math.fround(1e-12);
/** Registers of the optimizer program's fixed inputs. */
const IN = Object.fromEntries(PROGRAM_INPUTS.map((name, k) => [name, k])) as Record<(typeof PROGRAM_INPUTS)[number], number>;
const FIRST_HYPER = PROGRAM_INPUTS.length;

export function classify(t: MinimaTable, x: number, y: number, loss: number): number {
  let best = NO_MINIMUM;
  let bestD = f32(3.0e38);
  for (let j = 0; j < t.x.length; j++) {
    const dx = f32(x - t.x[j]);
    const dy = f32(y - t.y[j]);
    const d2 = f32(f32(dx * dx) + f32(dy * dy));
    if (d2 <= t.r2[j] && loss <= t.lossMax[j] && d2 < bestD) {
      best = j;
      bestD = d2;
    }
  }
  return best;
}

export class CpuEngine implements Engine {
  readonly kind = 'cpu';
  readonly n: number;
  stepsQueued = 0;
  private readonly p: ParticleState;
  private readonly surf: Evaluator;
  private readonly lossOnly: Evaluator;
  private readonly hess: Evaluator | null;
  private readonly noise = new Evaluator(NOISE_PROGRAM);
  private readonly opt: Evaluator;
  private readonly minima: MinimaTable;
  /** Register of each state slot's new value in the optimizer program. */
  private readonly slotOut: number[];
  /** The run config in float32, as the kernel's uniforms hold it. */
  private readonly limits: {
    gtol2: number;
    ftol: number;
    posBound: number;
    lossBound: number;
    clipNorm: number;
    clipValue: number;
    noiseScale: number;
    seed: number;
    samRho: number;
  };
  private readonly newCoord = [0, 0];
  private get batch(): number {
    return this.setup.config.batchSize;
  }

  private readonly sample: Evaluator | null;

  constructor(private readonly setup: EngineSetup) {
    checkSetup(setup);
    this.sample = setup.surface.dataset ? new Evaluator(setup.surface.dataset.sample) : null;
    this.p = cloneParticles(setup.particles);
    this.n = this.p.n;
    this.surf = new Evaluator(setup.surface.step);
    this.lossOnly = new Evaluator(setup.surface.loss);
    // The same specialization as the GPU kernel: shared hyperparameters are constants.
    const opt = specializeFor(setup.optimizer, this.p.hyper, this.n);
    this.opt = new Evaluator(opt.program);
    this.slotOut = opt.state.map((s) => this.opt.program.outputs[s]);
    this.hess = opt.needsHessian ? new Evaluator(setup.surface.hessian) : null;
    this.minima = minimaTable(setup.surface);
    const cfg = setup.config;
    this.limits = {
      gtol2: f32(f32(cfg.gtol) * f32(cfg.gtol)),
      ftol: f32(cfg.ftol),
      posBound: f32(cfg.posBound),
      lossBound: f32(cfg.lossBound),
      clipNorm: f32(cfg.clipNorm),
      clipValue: f32(cfg.clipValue),
      noiseScale: cfg.noise > 0 ? noiseScale(cfg.noise, cfg.batchSize) : 0,
      seed: cfg.seed >>> 0,
      samRho: f32(cfg.samRho),
    };
  }

  step(k: number): void {
    for (let i = 0; i < this.n; i++) this.stepParticle(i, k);
    this.stepsQueued += k;
  }

  /** Steps particles [from, to) only: lets callers bound the time per call. */
  stepRange(k: number, from: number, to: number): void {
    for (let i = from; i < Math.min(to, this.n); i++) this.stepParticle(i, k);
  }

  private stepParticle(i: number, k: number): void {
    const { pos, hyper, state, info, hyperStride: H, stateStride: S } = this.p;
    if (particleStatus(info, i) !== Status.Running) return;
    const { gtol2, ftol, posBound, lossBound, clipNorm, clipValue, noiseScale: sigma, seed, samRho } = this.limits;
    const surf = this.surf;
    const sr = surf.regs;
    const { loss: iLoss, gx: iGx, gy: iGy } = surf.program.outputs;
    const opt = this.opt;
    const r = opt.regs;
    const slots = S / 2;
    const pOut = opt.program.outputs.p;
    const slotOut = this.slotOut;

    let x = pos[4 * i];
    let y = pos[4 * i + 1];
    let prevLoss = pos[4 * i + 3];
    let steps = particleSteps(info, i);
    let status: number = Status.Running;
    let minimum = minimumIndex(info, i);

    for (let s = 0; s < k; s++) {
      sr[0] = x;
      sr[1] = y;
      surf.exec();
      const L = sr[iLoss];
      const gx = sr[iGx];
      const gy = sr[iGy];
      if (!(Number.isFinite(L) && Number.isFinite(gx) && Number.isFinite(gy) && Number.isFinite(x) && Number.isFinite(y))) {
        status = Status.NonFinite;
        break;
      }
      if (Math.abs(x) > posBound || Math.abs(y) > posBound || L > lossBound) {
        status = Status.Diverged;
        break;
      }
      const gn2 = f32(f32(gx * gx) + f32(gy * gy));
      if (steps > 0 && gn2 <= gtol2 && f32(Math.abs(f32(L - prevLoss))) <= f32(ftol * f32(1 + Math.abs(L)))) {
        status = Status.Converged;
        minimum = classify(this.minima, x, y, L);
        break;
      }
      // The gradient the optimizer sees, as shaders/step.ts builds it: SAM's, then noise,
      // then clipping by norm (clip_grad_norm_) and by value.
      const gnorm = f32(Math.sqrt(gn2));
      let cgx = gx;
      let cgy = gy;
      if (samRho > 0) {
        const sc = f32(samRho / f32(gnorm + SAM_EPS));
        sr[0] = f32(x + f32(gx * sc));
        sr[1] = f32(y + f32(gy * sc));
        surf.exec();
        cgx = sr[iGx];
        cgy = sr[iGy];
      }
      if (this.sample) {
        // A minibatch of B points drawn with replacement: the mean of their gradients.
        const d = this.setup.surface.dataset!.points;
        const m = this.setup.surface.dataset!.spec.m;
        const B = this.batch;
        let sx = 0;
        let sy = 0;
        for (let k = 0; k < B; k++) {
          const j = minibatchIndex(seed, i, steps, k, B, m);
          const e = this.sample.run(x, y, d[4 * j], d[4 * j + 1], d[4 * j + 2]);
          sx = f32(sx + e.out('gx'));
          sy = f32(sy + e.out('gy'));
        }
        cgx = f32(sx / B);
        cgy = f32(sy / B);
      }
      if (sigma > 0) {
        const [u1, u2] = noiseUniforms(seed, i, steps);
        const nz = this.noise.run(u1, u2);
        cgx = f32(cgx + f32(sigma * nz.out('zx')));
        cgy = f32(cgy + f32(sigma * nz.out('zy')));
      }
      if (clipNorm > 0) {
        const cn = f32(Math.sqrt(f32(f32(cgx * cgx) + f32(cgy * cgy))));
        const coef = Math.min(1, f32(clipNorm / f32(cn + CLIP_EPS)));
        cgx = f32(cgx * coef);
        cgy = f32(cgy * coef);
      }
      if (clipValue > 0) {
        cgx = Math.min(clipValue, Math.max(-clipValue, cgx));
        cgy = Math.min(clipValue, Math.max(-clipValue, cgy));
      }
      let hxx = 0,
        hxy = 0,
        hyy = 0;
      if (this.hess) {
        const h = this.hess.run(x, y);
        hxx = h.out('hxx');
        hxy = h.out('hxy');
        hyy = h.out('hyy');
      }
      // The optimizer program (with its schedule), once per coordinate.
      const t = steps;
      const newCoord = this.newCoord;
      for (let c = 0; c < 2; c++) {
        r[IN.p] = c === 0 ? x : y;
        r[IN.g] = c === 0 ? cgx : cgy;
        r[IN.t] = t;
        r[IN.coord] = c;
        r[IN.loss] = L;
        r[IN.gnorm] = gnorm;
        r[IN.hxx] = hxx;
        r[IN.hxy] = hxy;
        r[IN.hyy] = hyy;
        for (let h = 0; h < H; h++) r[FIRST_HYPER + h] = hyper[i * H + h];
        for (let sl = 0; sl < slots; sl++) r[FIRST_HYPER + H + sl] = state[i * S + 2 * sl + c];
        opt.exec();
        newCoord[c] = r[pOut];
        for (let sl = 0; sl < slots; sl++) state[i * S + 2 * sl + c] = r[slotOut[sl]];
      }
      x = newCoord[0];
      y = newCoord[1];
      prevLoss = L;
      steps += 1;
    }
    pos[4 * i] = x;
    pos[4 * i + 1] = y;
    pos[4 * i + 2] = this.lossOnly.run(x, y).out('loss');
    pos[4 * i + 3] = prevLoss;
    setParticleInfo(info, i, status, steps, status !== Status.Running ? steps : eventStep(info, i), minimum);
  }

  async read(): Promise<ParticleState> {
    return cloneParticles(this.p);
  }

  async readRange(first: number, count: number): Promise<ParticleState> {
    return sliceParticles(this.p, first, count);
  }

  /** The live state, without a copy: read it, don't keep it across step() calls. */
  get state(): ParticleState {
    return this.p;
  }

  destroy(): void {}
}
