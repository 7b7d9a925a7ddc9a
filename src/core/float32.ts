// Float32 honesty: both engines hold every value in float32, so a number that float32
// turns into 0, a subnormal or an infinity would run as something else than what was
// typed (lr = 1e-50 runs as lr = 0; lr = 1e39 as Infinity). Such values are refused.

/** The smallest positive normal float32. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The least float32 at or above v (v finite). */
export function float32Up(v: number): number {
  const r = Math.fround(v);
  if (r >= v) return r;
  const bits = new Float32Array([r]);
  const u = new Int32Array(bits.buffer);
  u[0] += r >= 0 ? 1 : -1; // the next float32 toward +infinity
  return bits[0];
}

/**
 * Why `v`, given as `name`, cannot be held in float32 (null when it can): it rounds to 0
 * (from a non-zero value), to a subnormal, or to an infinity. Non-finite input is the
 * caller's to refuse (this only judges the rounding).
 */
export function float32Problem(name: string, v: number): string | null {
  if (!Number.isFinite(v) || v === 0) return null;
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return `${name} = ${v} is ${f} in float32 (the engines compute in float32; at most ±3.4028235e38)`;
  if (f === 0)
    return `${name} = ${v} is 0 in float32 (the engines compute in float32; the smallest normal magnitude is ${FLOAT32_MIN_NORMAL.toExponential(7)})`;
  if (Math.abs(f) < FLOAT32_MIN_NORMAL)
    return `${name} = ${v} is the subnormal ${f.toExponential(7)} in float32 (the engines compute in float32; the smallest normal magnitude is ${FLOAT32_MIN_NORMAL.toExponential(7)})`;
  return null;
}
