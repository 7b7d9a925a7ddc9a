// Tick positions for log and linear scales (colour legends, chart axes).

export interface Tick {
  value: number;
  /** Position along the scale, 0 at min, 1 at max. */
  at: number;
  label: string;
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    return Math.abs(m - 1) < 1e-9 ? `1e${e}` : `${Number(m.toPrecision(2))}e${e}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** Decades (and 2x, 5x inside them when there are few decades) between min and max. */
export function logTicks(min: number, max: number, maxTicks = 7): Tick[] {
  if (!(min > 0) || !(max > min)) return [{ value: min, at: 0, label: formatNumber(min) }];
  const span = Math.log10(max / min);
  const mantissas = span < 1.2 ? [1, 2, 3, 5, 7] : span < 3 ? [1, 2, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mantissas) {
      const v = Number(`${m}e${e}`); // exact decimal, unlike m * 10 ** e
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push({ value: v, at: Math.log(v / min) / Math.log(max / min), label: formatNumber(v) });
    }
  }
  if (ticks.length > maxTicks) {
    const stride = Math.ceil(ticks.length / maxTicks);
    return ticks.filter((_, i) => i % stride === 0);
  }
  if (ticks.length < 2) {
    return [min, max].map((v, i) => ({ value: v, at: i, label: formatNumber(v) }));
  }
  return ticks;
}

/** Round-number ticks for a linear scale. */
export function linearTicks(min: number, max: number, target = 5): Tick[] {
  if (!(max > min)) return [{ value: min, at: 0, label: formatNumber(min) }];
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const first = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const at = (step: number): Tick[] => {
    const ticks: Tick[] = [];
    for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
      const value = Number((k * step).toPrecision(12)) || 0; // integer multiples: no drift
      ticks.push({ value, at: (value - min) / (max - min), label: formatNumber(value) });
    }
    return ticks;
  };
  // Smaller round steps where the first puts one tick on the axis (a window centred on a
  // multiple of it: a deep zoom's offsets showed 0 alone).
  const smaller = [5, 2, 1, 0.5, 0.2, 0.1].map((m) => m * mag).filter((s) => s < first);
  for (const step of [first, ...smaller]) {
    const ticks = at(step);
    if (ticks.length >= 2) return ticks;
  }
  return at(smaller.at(-1)!);
}
