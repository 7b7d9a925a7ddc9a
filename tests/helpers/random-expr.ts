// Seeded random surface expressions for GPU-vs-CPU and finite-difference tests.
// Built to stay finite on [-2, 2]^2: log and sqrt get positive arguments, exp a bounded one.

import { uniform01 } from '../../src/core/random';

export function randomExpression(seed: number, depth = 4): string {
  let counter = 0;
  const r = () => uniform01(seed, 0, counter++);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const num = () => (Math.round((r() * 4 - 2) * 100) / 100 || 0.5).toString();
  const gen = (d: number): string => {
    if (d === 0) return pick(['x', 'y', 'x', 'y', num()]);
    const a = gen(d - 1);
    const b = gen(d - 1);
    return pick([
      `(${a} + ${b})`,
      `(${a} - ${b})`,
      `(${a} * ${b})`,
      `(${a} / (1.5 + ${b}^2))`,
      `(${a})^2`,
      `(${a})^3`,
      `sin(${a})`,
      `cos(${a})`,
      `tanh(${a})`,
      `exp(-(${a})^2)`,
      `log(1 + (${a})^2)`,
      `sqrt(1 + (${a})^2)`,
      `sigmoid(${a})`,
      `softplus(${a})`,
      `atan(${a})`,
      `abs(${a})`,
      `max(${a}, ${b})`,
      `min(${a}, ${b})`,
    ]);
  };
  // A bowl keeps every surface bounded below, so GD runs stay in the box for small lr.
  return `0.5*(x^2 + y^2) + 0.3*${gen(depth)}`;
}
