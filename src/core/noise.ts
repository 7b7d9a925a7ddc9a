// Gradient noise: additive Gaussian noise of standard deviation sigma / sqrt(B) per
// coordinate, drawn from the counter-based PRNG (core/random.ts, shaders/random.wgsl)
// keyed by (seed, particle, step), so both engines draw the same stream. The Gaussian
// pair comes from Box-Muller, one program that both engines run.

import { Graph } from './expr/graph';
import { parseAssignments } from './expr/parse';
import { compileProgram, type Program } from './expr/program';
import { hash3 } from './random';

const BOX_MULLER = `
  r = sqrt(-2 * log(u1))
  a = 2 * pi * u2
  zx = r * cos(a)
  zy = r * sin(a)
`;

function compileNoise(): Program {
  const g = new Graph();
  const env = parseAssignments(g, BOX_MULLER, ['u1', 'u2']);
  return compileProgram(['u1', 'u2'], { zx: env.get('zx')!, zy: env.get('zy')! });
}

/** Inputs u1 in (0, 1], u2 in [0, 1); outputs zx, zy: two independent standard normals. */
export const NOISE_PROGRAM = compileNoise();

/** The uniforms of step `step` of particle `index`: 24-bit draws, exact in float32 (as the WGSL computes them). */
export function noiseUniforms(seed: number, index: number, step: number): [number, number] {
  const c = (2 * step) >>> 0;
  return [((hash3(seed, index, c) >>> 8) + 1) / 16777216, (hash3(seed, index, (c + 1) >>> 0) >>> 8) / 16777216];
}

/** The noise scale sigma / sqrt(B), rounded to float32 as both engines use it. */
export function noiseScale(sigma: number, batchSize: number): number {
  return Math.fround(sigma / Math.sqrt(batchSize));
}
