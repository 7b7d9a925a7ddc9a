// Random double-float operands for the df64 tests (CPU reference and GPU).
import { toDF, type DF } from '../../src/core/df64';
import { uniform01 } from '../../src/core/random';

/** Signs, exponents over 2^-20..2^20, full 48-bit significands; seeded. */
export function randomDFs(seed: number, n: number, positive = false): DF<number>[] {
  return Array.from({ length: n }, (_, i) => {
    const [u, v, w] = [0, 1, 2].map((c) => uniform01(seed, i, c));
    const sign = positive || u < 0.5 ? 1 : -1;
    // Two draws make the significand's 48 bits (one float32 draw has 24).
    return toDF(sign * (1 + v + w * 2 ** -24) * 2 ** Math.floor(40 * uniform01(seed, i, 3) - 20));
  });
}
