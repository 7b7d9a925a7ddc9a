// Sharpness: the top eigenvalue of the surface's Hessian, in float32 as the GPU kernels
// compute it (shaders/sharpness.ts). One definition for the reductions and the histories.

import { Evaluator } from '../expr/program';
import type { Surface } from '../surfaces';

const f32 = Math.fround;

/** Top eigenvalue of the symmetric [[hxx, hxy], [hxy, hyy]] in float32 (the halvings are exact). */
export function topEigenvalue(hxx: number, hxy: number, hyy: number): number {
  const m = f32(f32(hxx + hyy) * 0.5);
  const d = f32(f32(hxx - hyy) * 0.5);
  const r = f32(Math.sqrt(f32(f32(d * d) + f32(hxy * hxy))));
  return f32(m + r);
}

/** Sharpness at (x, y) from the surface's Hessian program in float32. */
export function sharpnessOf(surface: Surface): (x: number, y: number) => number {
  const h = new Evaluator(surface.hessian);
  return (x, y) => {
    h.run(x, y);
    return topEigenvalue(h.out('hxx'), h.out('hxy'), h.out('hyy'));
  };
}
