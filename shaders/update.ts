// The optimizer's update of one particle as WGSL, shared by the step kernel
// (shaders/step.ts) and the bare kernel (shaders/bare.ts), and how many steps their loops
// unroll: the same arithmetic in the same shape, so that the bare kernel measures what
// the engine's bookkeeping costs.

import { callsLibm, emitPerCoordinate } from './codegen';
import { instructionCount } from '../src/core/expr/program';
import { PROGRAM_INPUTS, type CompiledOptimizer } from '../src/core/optimizers';
import type { Surface } from '../src/core/surfaces';

/** The optimizer's update of one particle, as WGSL pieces shared by the step kernel and the bare kernel. */
export function optimizerPieces(optimizer: CompiledOptimizer, frozenUnless?: string) {
  const def = optimizer.def;
  const H = optimizer.hyperStride;
  const S = optimizer.stateStride;
  const slots = optimizer.state;
  const hess = optimizer.needsHessian;
  const coord = (c: 'x' | 'y') => {
    const fixedInputs: Record<(typeof PROGRAM_INPUTS)[number], string> = {
      p: c,
      g: `cg${c}`,
      t: 't',
      coord: c === 'x' ? '0.0f' : '1.0f',
      loss: 'L',
      gnorm: 'gnorm',
      hxx: hess ? 'hs.x' : '0.0f',
      hxy: hess ? 'hs.y' : '0.0f',
      hyy: hess ? 'hs.z' : '0.0f',
    };
    const inputs: Record<string, string> = { ...fixedInputs };
    def.hyper.forEach((h) => (inputs[h.name] = `h_${h.name}`));
    slots.forEach((s) => (inputs[s] = `s${c}_${s}`));
    return { inputs, prefix: `o${c}` };
  };
  const {
    shared,
    each: [ox, oy],
  } = emitPerCoordinate(optimizer.program, [coord('x'), coord('y')], 'oc');
  // Every output is captured before any is assigned: an output may name an input.
  const capture = (c: 'x' | 'y', e: typeof ox) => ['p', ...slots].map((s) => `let n${c}_${s} = ${e.outputs[s]};`).join('\n');
  // With frozenUnless, a particle where it is false keeps its values (select, no branch).
  const assign = (v: string, n: string) => (frozenUnless ? `${v} = select(${v}, ${n}, ${frozenUnless});` : `${v} = ${n};`);
  const update = [
    ...(shared ? [shared] : []),
    ox.code,
    oy.code,
    capture('x', ox),
    capture('y', oy),
    assign('x', 'nx_p'),
    assign('y', 'ny_p'),
    ...slots.flatMap((s) => [assign(`sx_${s}`, `nx_${s}`), assign(`sy_${s}`, `ny_${s}`)]),
  ].join('\n');
  return {
    H,
    S,
    slots,
    hess,
    hyperLoads: def.hyper.map((h, k) => `let h_${h.name} = hyper[hb + ${k}u];`).join('\n  '),
    stateVars: slots.flatMap((s, k) => [`var sx_${s} = ostate[sb + ${2 * k}u];`, `var sy_${s} = ostate[sb + ${2 * k + 1}u];`]).join('\n  '),
    stateStores: slots.flatMap((s, k) => [`ostate[sb + ${2 * k}u] = sx_${s};`, `ostate[sb + ${2 * k + 1}u] = sy_${s};`]).join('\n  '),
    /** Reads x, y, cgx, cgy, t, L, gnorm (and hs); assigns x, y and the state slots. */
    update,
  };
}

/**
 * Steps per loop iteration, in straight-line copies: where loop-carried state is costly
 * (SwiftShader keeps it in memory), a short step runs faster unrolled, GD on Rosenbrock
 * 1.4x at 5 steps (one measurement; the engine and the bare kernel alike). Longer steps
 * (an elementary function, more state) ran no faster or slower, so they stay rolled.
 */
export function unrollFor(surface: Surface, optimizer: CompiledOptimizer): number {
  const small = !surface.dataset && instructionCount(surface.step) + instructionCount(optimizer.program) <= UNROLL_MAX_OPS;
  return small && !callsLibm(surface.step) && !callsLibm(optimizer.program) ? UNROLL_STEPS : 1;
}
const UNROLL_STEPS = 5;
const UNROLL_MAX_OPS = 16;
