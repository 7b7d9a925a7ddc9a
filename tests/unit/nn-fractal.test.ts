// The box-counting dimension on boundaries whose dimension is known.

import { describe, expect, it } from 'vitest';
import { boundaryCells, boxCountingDimension } from '../../src/core/nn/fractal';

const grid = (n: number, f: (x: number, y: number) => boolean) => Array.from({ length: n * n }, (_, i) => f(i % n, Math.floor(i / n)));

describe('box-counting dimension', () => {
  it('a straight and a round boundary: about 1', () => {
    expect(
      boxCountingDimension(
        grid(128, (x) => x < 50),
        128,
        128,
      ),
    ).toBeCloseTo(1, 1);
    expect(
      Math.abs(
        boxCountingDimension(
          grid(256, (x, y) => (x - 128) ** 2 + (y - 128) ** 2 < 80 ** 2),
          256,
          256,
        ) - 1,
      ),
    ).toBeLessThan(0.1);
  });
  it('a checkerboard (every cell on the boundary): 2', () => {
    expect(
      boxCountingDimension(
        grid(64, (x, y) => (x + y) % 2 === 0),
        64,
        64,
      ),
    ).toBeCloseTo(2, 3);
  });
  it('the Sierpinski triangle (x AND y = 0): log 3 / log 2 = 1.585 within 0.1', () => {
    const d = boxCountingDimension(
      grid(256, (x, y) => (x & y) === 0),
      256,
      256,
    );
    expect(Math.abs(d - Math.log(3) / Math.log(2))).toBeLessThan(0.1);
  });
  it('no boundary: NaN; the boundary is one cell thick (the cell before each change)', () => {
    expect(
      boxCountingDimension(
        grid(16, () => true),
        16,
        16,
      ),
    ).toBeNaN();
    const b = boundaryCells(
      grid(4, (x) => x < 2),
      4,
      4,
    );
    expect(Array.from(b)).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
  });
});
