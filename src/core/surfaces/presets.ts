// The preset surfaces, each with its known minima. Positions are approximate where no
// closed form exists: Surface refines them with Newton's method and computes their
// loss and Hessian eigenvalues from the same expression the engines run.

import { MAX_DATASET_POINTS, TRUE_WEIGHTS, type DatasetKind } from './dataset';
import type { SurfaceSpec } from './surface';

const num = (v: number): string => {
  const s = Number(v.toPrecision(12)).toString();
  return v < 0 ? `(${s})` : s;
};

/** A preset's tunable parameter: its default and the range a slider offers. */
export interface PresetParam {
  name: string;
  default: number;
  min: number;
  max: number;
  step: number;
}

export const PRESET_PARAMETERS: Record<string, PresetParam[]> = {
  quadratic: [
    { name: 'lambda1', default: 1, min: 0.1, max: 100, step: 0.1 },
    { name: 'lambda2', default: 10, min: 0.1, max: 100, step: 0.1 },
    { name: 'angle', default: 0, min: -90, max: 90, step: 1 },
  ],
  'double-well': [
    { name: 'sharpX', default: -1, min: -2.5, max: 0, step: 0.05 },
    { name: 'sharpDepth', default: 1, min: 0.1, max: 3, step: 0.05 },
    { name: 'sharpWidth', default: 0.15, min: 0.03, max: 0.6, step: 0.01 },
    { name: 'flatX', default: 1.2, min: 0, max: 2.5, step: 0.05 },
    { name: 'flatDepth', default: 1.5, min: 0.1, max: 3, step: 0.05 },
    { name: 'flatWidth', default: 0.8, min: 0.2, max: 2, step: 0.05 },
  ],
};

const datasetParams = (maxPoints: number): PresetParam[] => [
  { name: 'points', default: 256, min: 8, max: maxPoints, step: 1 },
  { name: 'dataSeed', default: 1, min: 0, max: 9999, step: 1 },
  { name: 'correlation', default: 0.6, min: -0.95, max: 0.95, step: 0.05 },
  { name: 'scale', default: 0.5, min: 0.1, max: 3, step: 0.05 },
  { name: 'noise', default: 0.5, min: 0, max: 3, step: 0.05 },
];
PRESET_PARAMETERS['least-squares'] = datasetParams(MAX_DATASET_POINTS);

/** A preset's parameters by user text: own properties only ('constructor' is no preset). */
export function presetParameters(name: string): PresetParam[] {
  return Object.hasOwn(PRESET_PARAMETERS, name) ? PRESET_PARAMETERS[name] : [];
}

function withDefaults<T>(id: string, given: Partial<T>): T {
  const out: Record<string, number> = {};
  for (const p of PRESET_PARAMETERS[id]) out[p.name] = (given as Record<string, number>)[p.name] ?? p.default;
  return out as T;
}

interface QuadraticParams {
  lambda1: number;
  lambda2: number;
  angle: number;
}
/** L = 1/2 (lambda1 u^2 + lambda2 v^2), (u, v) = (x, y) rotated by `angle` degrees. */
function quadratic(p: Partial<QuadraticParams> = {}): SurfaceSpec {
  const { lambda1, lambda2, angle } = withDefaults<QuadraticParams>('quadratic', p);
  const a = (angle * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const u = angle === 0 ? 'x' : `(${num(c)}*x + ${num(s)}*y)`;
  const v = angle === 0 ? 'y' : `(${num(-s)}*x + ${num(c)}*y)`;
  return {
    id: 'quadratic',
    title: `Quadratic bowl (λ = ${lambda1}, ${lambda2})`,
    expression: `0.5*(${num(lambda1)}*${u}^2 + ${num(lambda2)}*${v}^2)`,
    domain: [-2, 2, -2, 2],
    defaultStart: [1.5, 1.5],
    minima: [{ name: 'origin', at: [0, 0], label: 'global' }],
    notes: 'GD is stable iff lr < 2/lambda_max; heavy-ball momentum beta iff lr < 2(1+beta)/lambda_max.',
  };
}

interface DatasetParams {
  points: number;
  dataSeed: number;
  correlation: number;
  scale: number;
  noise: number;
}

/** Regression with weights (x, y) on a generated dataset; the gradient of a step is a real minibatch's. */
function datasetSurface(kind: DatasetKind) {
  return (p: Partial<DatasetParams> = {}): SurfaceSpec => {
    const q = withDefaults<DatasetParams>(kind, p);
    if (!Number.isInteger(q.points) || q.points < 8) throw new RangeError(`points must be a whole number >= 8, got ${q.points}`);
    if (q.points > MAX_DATASET_POINTS) {
      throw new RangeError(
        `points = ${q.points} is over the limit of ${MAX_DATASET_POINTS} dataset points (MAX_DATASET_POINTS: the data are compiled into the surface's programs)`,
      );
    }
    const [wx, wy] = TRUE_WEIGHTS;
    const model = kind === 'least-squares' ? '1/(2M) sum (x a_i + y b_i - t_i)^2' : '1/M sum log(1 + exp(-t_i (x a_i + y b_i)))';
    return {
      id: kind,
      title: `${kind === 'least-squares' ? 'Least squares' : 'Logistic regression'} on ${q.points} points (minibatches of --batch_size)`,
      expression: `${model} over ${q.points} points`,
      domain: [wx - 3, wx + 3, wy - 3, wy + 3],
      defaultStart: [wx - 2.5, wy + 2.5],
      minima: [{ name: kind === 'least-squares' ? 'least-squares solution' : 'maximum likelihood', at: [wx, wy], label: 'global' }],
      dataset: { kind, m: q.points, seed: q.dataSeed, correlation: q.correlation, scale: q.scale, noise: q.noise },
      notes: 'Each step draws B points per particle (with replacement): the gradient noise is real; its variance scales as 1/B.',
    };
  };
}

interface DoubleWellParams {
  sharpX: number;
  sharpDepth: number;
  sharpWidth: number;
  flatX: number;
  flatDepth: number;
  flatWidth: number;
}
/**
 * Two Gaussian wells in a gentle bowl: a narrow, shallower trap (curvature about
 * depth/width^2) beside a wide, deeper basin. Each well's width and depth are free.
 */
function doubleWell(p: Partial<DoubleWellParams> = {}): SurfaceSpec {
  const { sharpX, sharpDepth, sharpWidth, flatX, flatDepth, flatWidth } = withDefaults<DoubleWellParams>('double-well', p);
  const well = (x0: number, depth: number, width: number) => `${num(depth)}*exp(-((x - ${num(x0)})^2 + y^2)/${num(2 * width * width)})`;
  return {
    id: 'double-well',
    title: 'Sharp vs flat double well',
    expression: `0.05*(x^2 + y^2) - ${well(sharpX, sharpDepth, sharpWidth)} - ${well(flatX, flatDepth, flatWidth)}`,
    domain: [-3, 3, -2.5, 2.5],
    defaultStart: [sharpX + 0.05, 0.05],
    minima: [
      { name: 'flat', at: [flatX, 0], label: 'flat' },
      { name: 'sharp', at: [sharpX, 0], label: 'sharp' },
    ],
    notes: 'Small lr stays in the sharp trap; lr past 2/lambda_sharp oscillates out and lands in the flat basin.',
  };
}

const fixed = (spec: SurfaceSpec) => () => spec;

export const PRESETS: Record<string, (params?: Record<string, number>) => SurfaceSpec> = {
  quadratic,
  rosenbrock: fixed({
    id: 'rosenbrock',
    title: 'Rosenbrock',
    expression: '(1 - x)^2 + 100*(y - x^2)^2',
    domain: [-2, 2, -1, 3],
    defaultStart: [-1.5, 2],
    minima: [{ name: 'valley end', at: [1, 1], label: 'global' }],
  }),
  himmelblau: fixed({
    id: 'himmelblau',
    title: 'Himmelblau',
    expression: '(x^2 + y - 11)^2 + (x + y^2 - 7)^2',
    domain: [-5, 5, -5, 5],
    defaultStart: [0, 0],
    minima: [
      { name: '(3, 2)', at: [3, 2] },
      { name: '(-2.81, 3.13)', at: [-2.805118, 3.131312] },
      { name: '(-3.78, -3.28)', at: [-3.77931, -3.283186] },
      { name: '(3.58, -1.85)', at: [3.584428, -1.848126] },
    ].map((m) => ({ ...m, at: m.at as [number, number], label: 'global' as const })),
  }),
  beale: fixed({
    id: 'beale',
    title: 'Beale',
    expression: '(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2',
    domain: [-4.5, 4.5, -4.5, 4.5],
    defaultStart: [1, 1.5],
    minima: [{ name: '(3, 0.5)', at: [3, 0.5], label: 'global' }],
  }),
  rastrigin: fixed({
    id: 'rastrigin',
    title: 'Rastrigin',
    expression: '20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)',
    domain: [-5.12, 5.12, -5.12, 5.12],
    defaultStart: [2.2, 2.2],
    minima: [{ name: 'origin', at: [0, 0], label: 'global' }],
    notes: 'A local minimum near every integer point.',
  }),
  ackley: fixed({
    id: 'ackley',
    title: 'Ackley',
    // The 1e-12 keeps the gradient finite at the cone's tip (the standard form has 0/0 there).
    expression: '-20*exp(-0.2*sqrt(0.5*(x^2 + y^2) + 1e-12)) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20',
    domain: [-5, 5, -5, 5],
    defaultStart: [2.5, 2.5],
    minima: [{ name: 'origin', at: [0, 0], label: 'global', nonSmooth: true }],
    notes: 'The global minimum is the tip of a cone: no finite curvature, GD never settles exactly.',
  }),
  'six-hump-camel': fixed({
    id: 'six-hump-camel',
    title: 'Six-hump camel',
    expression: '(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2',
    domain: [-3, 3, -2, 2],
    defaultStart: [-1.5, 1],
    minima: [
      { name: '(0.09, -0.71)', at: [0.0898, -0.7126], label: 'global' },
      { name: '(-0.09, 0.71)', at: [-0.0898, 0.7126], label: 'global' },
      { name: '(-1.70, 0.80)', at: [-1.7036, 0.7961], label: 'local' },
      { name: '(1.70, -0.80)', at: [1.7036, -0.7961], label: 'local' },
      { name: '(-1.61, -0.57)', at: [-1.6071, -0.5687], label: 'local' },
      { name: '(1.61, 0.57)', at: [1.6071, 0.5687], label: 'local' },
    ],
  }),
  'styblinski-tang': fixed({
    id: 'styblinski-tang',
    title: 'Styblinski-Tang',
    expression: '0.5*(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)',
    domain: [-5, 5, -5, 5],
    defaultStart: [0.5, 0.5],
    minima: [
      { name: '(-2.90, -2.90)', at: [-2.903534, -2.903534], label: 'global' },
      { name: '(-2.90, 2.75)', at: [-2.903534, 2.746803], label: 'local' },
      { name: '(2.75, -2.90)', at: [2.746803, -2.903534], label: 'local' },
      { name: '(2.75, 2.75)', at: [2.746803, 2.746803], label: 'local' },
    ],
  }),
  'goldstein-price': fixed({
    id: 'goldstein-price',
    title: 'Goldstein-Price',
    expression: '(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))' + '*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))',
    domain: [-2, 2, -2, 2],
    defaultStart: [-0.5, 0.5],
    minima: [
      { name: '(0, -1)', at: [0, -1], label: 'global' },
      { name: '(-0.6, -0.4)', at: [-0.6, -0.4], label: 'local' },
      { name: '(1.8, 0.2)', at: [1.8, 0.2], label: 'local' },
      { name: '(1.2, 0.8)', at: [1.2, 0.8], label: 'local' },
    ],
  }),
  saddle: fixed({
    id: 'saddle',
    title: 'Saddle',
    expression: 'x^2 - y^2',
    domain: [-2, 2, -2, 2],
    defaultStart: [1.5, 0.01],
    minima: [],
    notes: 'No minimum: a saddle at the origin; GD escapes along y.',
  }),
  'double-well': doubleWell,
  'least-squares': datasetSurface('least-squares'),
  'two-layer': fixed({
    id: 'two-layer',
    title: 'Two-layer scalar network L(a, b) = 1/2 (ab - 1)^2',
    expression: '0.5*(x*y - 1)^2',
    domain: [-3, 3, -3, 3],
    defaultStart: [2.5, 0.1],
    minima: [
      { name: 'ab = 1, a > 0', at: [1, 1], label: 'balanced', manifold: true },
      { name: 'ab = 1, a < 0', at: [-1, -1], label: 'balanced', manifold: true },
    ],
    notes: 'x = a, y = b. Minima form the hyperbola ab = 1; sharpness there is a^2 + b^2, flattest at a = b = ±1.',
  }),
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** A preset by user text (own properties only: '__proto__' or 'constructor' is no preset). */
export function presetFor(name: string): ((params?: Record<string, number>) => SurfaceSpec) | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}
