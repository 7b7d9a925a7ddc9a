// The trainability map's boundary and its box-counting dimension (Sohl-Dickstein 2024
// estimates the dimension of the boundary between trainable and untrainable
// hyperparameters this way).

/**
 * Cells of an nx x ny grid (row-major, `inside[iy * nx + ix]`) whose right or lower
 * neighbour is of the other class: the boundary, one cell thick (marking both sides
 * would double the count at the finest scale only and bias the slope).
 */
export function boundaryCells(inside: ArrayLike<boolean>, nx: number, ny: number): Uint8Array {
  const b = new Uint8Array(nx * ny);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const i = iy * nx + ix;
      if (ix + 1 < nx && inside[i] !== inside[i + 1]) b[i] = 1;
      if (iy + 1 < ny && inside[i] !== inside[i + nx]) b[i] = 1;
    }
  }
  return b;
}

/**
 * The box-counting dimension of the boundary: N(s), the boxes of s x s cells that hold
 * a boundary cell, for s = 1, 2, 4, ... up to a quarter of the grid; the dimension is
 * the least-squares slope of log N(s) against log(1/s). A smooth curve gives about 1,
 * a boundary that fills the plane 2. NaN when there is no boundary.
 */
export function boxCountingDimension(inside: ArrayLike<boolean>, nx: number, ny: number): number {
  const b = boundaryCells(inside, nx, ny);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let s = 1; s <= Math.min(nx, ny) / 4; s *= 2) {
    const bx = Math.ceil(nx / s);
    const boxes = new Uint8Array(bx * Math.ceil(ny / s));
    for (let i = 0; i < nx * ny; i++) if (b[i]) boxes[Math.floor(Math.floor(i / nx) / s) * bx + Math.floor((i % nx) / s)] = 1;
    const count = boxes.reduce((a, v) => a + v, 0);
    if (count === 0) return NaN;
    xs.push(-Math.log(s));
    ys.push(Math.log(count));
  }
  if (xs.length < 2) return NaN;
  const mx = xs.reduce((a, v) => a + v, 0) / xs.length;
  const my = ys.reduce((a, v) => a + v, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, k) => {
    sxy += (x - mx) * (ys[k] - my);
    sxx += (x - mx) ** 2;
  });
  return sxy / sxx;
}
