// The engines compute in float32: a number the user gives is honest only if float32
// keeps it. A nonzero value that float32 turns into 0 or a subnormal (flushed to 0 on
// many GPUs), or a finite value it turns into infinity, would run as a different number
// without a word; float32Problem says so instead.

/** The smallest positive normal float32, 2^-126. */
const FLOAT32_MIN_NORMAL = 2 ** -126;
/** The largest finite float32, (2 - 2^-23) 2^127. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

/**
 * Why `value` (given as `name`) cannot be used as a float32, or null when it can:
 * non-finite, turned into infinity, or a nonzero value turned into 0 or a subnormal.
 */
export function float32Problem(name: string, value: number): string | null {
  if (Number.isNaN(value)) return `${name} is not a number`;
  if (!Number.isFinite(value)) return `${name} must be finite, got ${value}`;
  const f = Math.fround(value);
  const range = `float32 holds magnitudes ${FLOAT32_MIN_NORMAL.toPrecision(3)} .. ${FLOAT32_MAX.toPrecision(3)}`;
  if (!Number.isFinite(f)) return `${name} ${value} is ${f} in float32, in which the engines compute (${range})`;
  if (value !== 0 && Math.abs(f) < FLOAT32_MIN_NORMAL) {
    const what = f === 0 ? '0' : `${f}, a subnormal,`;
    return `${name} ${value} is ${what} in float32, in which the engines compute (${range}, or 0)`;
  }
  return null;
}
