// Domain (x, y, loss) -> world (X, height, Z). The surface mesh (CPU) and the particle
// shader (TSL, render/particles.ts) use these same formulas and parameters.

export interface Mapping {
  /** Domain centre and world units per domain unit (the larger side spans 2 units). */
  cx: number;
  cy: number;
  scale: number;
  /** Loss at height 0 and the loss at the top of the colour scale. */
  lossMin: number;
  lossTop: number;
  /** Log height: compresses surfaces with huge ranges (Goldstein-Price, Rosenbrock). */
  log: boolean;
  /** World height of the top of the colour scale. */
  heightScale: number;
}

export const LOG_GAIN = 50;
/** Heights are clipped here (a diverging particle stays near the top of the box). */
export const HEIGHT_CLIP = 1.6;
/** World height particles and trails are drawn above the surface (so it does not hide them). */
export const PARTICLE_LIFT = 0.012;
/** A particle's dark rim (so it stands out from any surface colour): this many pixels outside its disc... */
export const PARTICLE_RIM_PX = 1.5;
/** ...at this fraction of the particle's colour. */
export const PARTICLE_RIM_SHADE = 0.2;
export const TRAIL_LIFT = 0.01;

export function mappingFor(domain: [number, number, number, number], losses: ArrayLike<number>, log: boolean): Mapping {
  const finite = Array.from(losses)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const q = (f: number) => finite[Math.min(finite.length - 1, Math.floor(f * (finite.length - 1)))] ?? 0;
  const lossMin = q(0);
  let lossTop = q(0.98);
  if (!(lossTop > lossMin)) lossTop = lossMin + 1;
  const [x0, x1, y0, y1] = domain;
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale: 2 / Math.max(x1 - x0, y1 - y0), lossMin, lossTop, log, heightScale: 0.8 };
}

/** Normalized level in [0, HEIGHT_CLIP]: 0 at the lowest loss, 1 at the colour scale's top. */
export function level(m: Mapping, loss: number): number {
  if (Number.isNaN(loss)) return HEIGHT_CLIP;
  const u = Math.max(0, (loss - m.lossMin) / (m.lossTop - m.lossMin));
  const v = m.log ? Math.log1p(LOG_GAIN * u) / Math.log1p(LOG_GAIN) : u;
  return Math.min(v, HEIGHT_CLIP);
}

export function toWorld(m: Mapping, x: number, y: number, loss: number): [number, number, number] {
  return [(x - m.cx) * m.scale, level(m, loss) * m.heightScale, -(y - m.cy) * m.scale];
}
