// Everything that defines what the explorer shows: plain data, validated by a schema
// (the same schema will check shared URLs and imported files).

import { z } from 'zod';
import { LIMITS, type LimitName } from '../core/budget';
import { float32Problem } from '../core/float32';
import { OPTIMIZER_DEFS } from '../core/optimizers/definitions';
import { DATASETS } from '../core/nn/data';
import { ModelError, parseModel } from '../core/nn/model';
import { VIEW_NAMES } from './views';

export const LAYOUTS = ['sweep', 'random', 'grid', 'map'] as const;
export const COLOR_BY = ['lr', 'status'] as const;
const QUALITIES = ['auto', 'high', 'low'] as const;

/** A whole number from `min` up to a named limit; over it, the message names the limit and why. */
const upTo = (name: LimitName, min: number) => {
  const l = LIMITS[name];
  return z.number().int().min(min).max(l.max, `over the limit of ${l.max} ${l.unit} (${l.why})`);
};
export const MAX_FALLBACK_PARTICLES = 4096;

const finite = z.number().finite();
const region = z.tuple([finite, finite, finite, finite]);
const axis = z.object({ param: z.string().min(1).max(40), min: finite, max: finite, scale: z.enum(['log', 'linear']) });

export const ExplorerStateSchema = z.object({
  surface: z.string().min(1).max(4000),
  surfaceParams: z.record(z.string(), finite).default({}),
  optimizer: z.string().min(1).max(40),
  hyper: z.record(z.string(), finite).default({}),
  layout: z.enum(LAYOUTS),
  lrMin: finite.positive(),
  lrMax: finite.positive(),
  n: upTo('particles', 1),
  /** Start of sweep/map layouts; null: the surface's default start. */
  start: z.tuple([finite, finite]).nullable(),
  /** Where random and grid starts lie; null: the whole domain. */
  region: region.nullable(),
  /** The map layout's second axis: a hyperparameter, or x0 / y0. */
  mapParam: z.string().min(1).max(40),
  mapMin: finite,
  mapMax: finite,
  stepsPerFrame: upTo('stepsPerFrame', 0),
  seed: z.number().int().min(0).max(0xffffffff),
  colorBy: z.enum(COLOR_BY),
  surfaceColormap: z.enum(['viridis', 'magma', 'inferno', 'plasma', 'turbo']),
  particleColormap: z.enum(['viridis', 'magma', 'inferno', 'plasma', 'turbo']),
  logHeight: z.boolean(),
  contours: z.boolean(),
  topDown: z.boolean(),
  particleSize: finite.min(0.002).max(0.2),
  /** Particles with a trail (spread over all lr bands; GPU only) and points per trail. */
  trails: upTo('trails', 0),
  trailLength: upTo('trailLength', 2),
  /** Gradient clipping by norm and by value (0: off), as clip_grad_norm_ / clip_grad_value_. */
  clipNorm: finite.min(0),
  clipValue: finite.min(0),
  /** The lr schedule as PyTorch's constructor call (e.g. "StepLR(step_size=30)"); '' for none. */
  schedule: z.string().max(2000).default(''),
  /** Gradient noise sigma/sqrt(batchSize) (0: off), drawn with `seed`. */
  noise: finite.min(0).default(0),
  batchSize: upTo('batchSize', 1).default(1),
  /** SAM's rho (0: off). */
  samRho: finite.min(0).default(0),
  /** A learning rate of its own for y (parameter groups); null: one lr for both. */
  lrY: finite.positive().nullable().default(null),
  /** The views open beside the 3-D scene, in order. */
  views: z.array(z.enum(VIEW_NAMES)).max(VIEW_NAMES.length).default(['sweep']),
  /** The lrs whose bins the loss curves show (nearest bins); empty: five spread over the range. */
  lossLrs: z.array(finite.positive()).max(12).default([]),
  /** What the bifurcation diagram plots against lr. */
  bifurcationValue: z.enum(['x', 'y', 'loss']).default('x'),
  /** The hyperparameter map's window (null: lr range x the map axis of the particles panel) and resolution. */
  mapWindow: z.object({ x: axis, y: axis }).nullable().default(null),
  mapRes: upTo('mapResolution', 8).default(128),
  mapSteps: upTo('mapSteps', 1).default(500),
  /** The lr of the basins view (null: the middle of the lr range, log scale). */
  basinLr: finite.positive().nullable().default(null),
  /** Height of the surface (x the default relief): a look, the particles ride on it. */
  heightScale: finite.min(0.1).max(4).default(1),
  /** Whether the trails are drawn (their recording is part of the run: `trails`). */
  showTrails: z.boolean().default(true),
  /** Rendering tier: per-pixel lighting (high) or baked (low); auto: low on software adapters. */
  quality: z.enum(QUALITIES).default('auto'),
  /**
   * Networks as particles (model/network.ts): a model description (e.g.
   * 'mlp:1,16,1:tanh:mean-field'; '' for none: particles on the surface), its dataset,
   * the data's seed and points (0: the dataset's default), and the initial weights.
   */
  model: z.string().max(200).default(''),
  dataset: z.enum(DATASETS).default('chebyshev'),
  dataSeed: z.number().int().min(0).max(0xffffffff).default(0),
  points: z.number().int().min(0).max(4096).default(0),
  init: z.enum(['shared', 'per-network']).default('shared'),
  /**
   * The plane the 3-D view draws for networks: 'random' (Li et al.'s filter-normalised
   * directions around network planeCenter, a and b in [-planeSpan, planeSpan]) or
   * 'three' (through networks planeNets); planeRes grid points per side.
   */
  planeMode: z.enum(['random', 'three']).default('random'),
  planeCenter: z.number().int().min(0).max(0xffffffff).default(0),
  planeNets: z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]).default([0, 1, 2]),
  planeSpan: finite.positive().max(100).default(1),
  planeRes: z.number().int().min(8).max(128).default(48),
  /** The Network sharpness view measures the followed networks' top Hessian eigenvalue every this many steps. */
  sharpnessEvery: z.number().int().min(1).max(10_000).default(50),
  /** The orbit camera (null: the default view of the surface). */
  camera: z
    .object({ position: z.tuple([finite, finite, finite]), target: z.tuple([finite, finite, finite]) })
    .nullable()
    .default(null),
});

export type ExplorerState = z.infer<typeof ExplorerStateSchema>;

/** On load: 10^4 particles sweeping lr across the sharp-vs-flat double well. */
export const DEFAULT_STATE: ExplorerState = {
  surface: 'double-well',
  surfaceParams: {},
  optimizer: 'SGD',
  hyper: {},
  layout: 'random',
  lrMin: 0.005,
  lrMax: 0.5,
  n: 10_000,
  start: null,
  region: [-1.1, -0.9, -0.1, 0.1],
  mapParam: 'momentum',
  mapMin: 0,
  mapMax: 0.95,
  stepsPerFrame: 1,
  seed: 1,
  colorBy: 'lr',
  surfaceColormap: 'viridis',
  particleColormap: 'plasma',
  logHeight: false,
  contours: true,
  topDown: false,
  particleSize: 0.016,
  trails: 300,
  trailLength: 40,
  clipNorm: 0,
  clipValue: 0,
  schedule: '',
  noise: 0,
  batchSize: 1,
  samRho: 0,
  lrY: null,
  views: ['sweep'],
  lossLrs: [],
  bifurcationValue: 'x',
  mapWindow: null,
  mapRes: 128,
  mapSteps: 500,
  basinLr: null,
  heightScale: 1,
  showTrails: true,
  quality: 'auto',
  model: '',
  dataset: 'chebyshev',
  dataSeed: 0,
  points: 0,
  init: 'shared',
  planeMode: 'random',
  planeCenter: 0,
  planeNets: [0, 1, 2],
  planeSpan: 1,
  planeRes: 48,
  sharpnessEvery: 50,
  camera: null,
};

/**
 * The names a map axis may take: any optimizer's hyperparameter (a map window outlives a
 * change of optimizer; the map then names what its optimizer lacks), lr_y, x0 and y0.
 * A Set, not an object's keys: '__proto__' or 'constructor' is no axis.
 */
const MAP_AXIS_NAMES: ReadonlySet<string> = new Set([
  ...OPTIMIZER_DEFS.flatMap((d) => d.hyper.map((h) => h.name)),
  'lr_y',
  'x0',
  'y0',
  // The network map's axes: one learning rate per weight matrix (model.ts allows 8 layers).
  ...Array.from({ length: 8 }, (_, k) => `lr_layer${k}`),
]);

function mapAxisProblems(s: ExplorerState): string[] {
  const axes: [string, string][] = [['mapParam', s.mapParam]];
  if (s.mapWindow) axes.push(['mapWindow.x.param', s.mapWindow.x.param], ['mapWindow.y.param', s.mapWindow.y.param]);
  return axes
    .filter(([, name]) => !MAP_AXIS_NAMES.has(name))
    .map(([where, name]) => `${where}: unknown map axis '${name}' (known: ${[...MAP_AXIS_NAMES].join(', ')})`);
}

/** A model description that does not parse (the dataset's fit is checked when the run is built). */
function modelProblems(s: ExplorerState): string[] {
  if (s.model === '') return [];
  try {
    parseModel(s.model);
    return [];
  } catch (e) {
    if (e instanceof ModelError) return [`model: ${e.message}`];
    throw e;
  }
}

/** The numbers the engines hold in float32, by their path in the state. */
function float32Values(s: ExplorerState): [string, number][] {
  const out: [string, number][] = [
    ['lrMin', s.lrMin],
    ['lrMax', s.lrMax],
    ['mapMin', s.mapMin],
    ['mapMax', s.mapMax],
    ['clipNorm', s.clipNorm],
    ['clipValue', s.clipValue],
    ['noise', s.noise],
    ['samRho', s.samRho],
    ['planeSpan', s.planeSpan],
  ];
  if (s.lrY !== null) out.push(['lrY', s.lrY]);
  if (s.basinLr !== null) out.push(['basinLr', s.basinLr]);
  s.start?.forEach((v, i) => out.push([`start.${i}`, v]));
  s.region?.forEach((v, i) => out.push([`region.${i}`, v]));
  s.lossLrs.forEach((v, i) => out.push([`lossLrs.${i}`, v]));
  for (const [k, v] of Object.entries(s.surfaceParams)) out.push([`surfaceParams.${k}`, v]);
  for (const [k, v] of Object.entries(s.hyper)) out.push([`hyper.${k}`, v]);
  if (s.mapWindow) for (const a of ['x', 'y'] as const) out.push([`mapWindow.${a}.min`, s.mapWindow[a].min], [`mapWindow.${a}.max`, s.mapWindow[a].max]);
  if (s.camera) for (const part of ['position', 'target'] as const) s.camera[part].forEach((v, i) => out.push([`camera.${part}.${i}`, v]));
  return out;
}

/** Parses untrusted state (URL, file): a clear message for each problem, never a throw. */
export function parseState(input: unknown): { state: ExplorerState } | { error: string } {
  const r = ExplorerStateSchema.safeParse(input);
  if (r.success) {
    if (r.data.lrMin > r.data.lrMax) return { error: `lrMin ${r.data.lrMin} is above lrMax ${r.data.lrMax}` };
    const problems = [
      ...modelProblems(r.data),
      ...mapAxisProblems(r.data),
      ...float32Values(r.data)
        .map(([path, v]) => float32Problem(path, v))
        .filter((p) => p !== null),
    ];
    if (problems.length) return { error: problems.join('; ') };
    return { state: r.data };
  }
  return { error: r.error.issues.map((i) => `${i.path.join('.') || 'state'}: ${i.message}`).join('; ') };
}
