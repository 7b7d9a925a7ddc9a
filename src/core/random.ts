// Counter-based integer hash PRNG (PCG output permutation). shaders/random.wgsl holds
// the same functions; a test checks both give the same stream.

export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** A 32-bit draw for (seed, index, counter): independent streams per particle. */
export function hash3(seed: number, index: number, counter: number): number {
  return pcgHash((pcgHash((pcgHash(counter >>> 0) + (index >>> 0)) >>> 0) + (seed >>> 0)) >>> 0);
}

/** Uniform in [0, 1) with 24 random bits (exact in float32). */
export function uniform01(seed: number, index: number, counter: number): number {
  return (hash3(seed, index, counter) >>> 8) / 16777216;
}
