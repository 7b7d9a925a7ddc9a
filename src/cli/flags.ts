// The flags the landscape commands share, derived from definitions where there are
// some (surfaces, optimizers' hyperparameters, schedules' parameters), the run settings
// and the engine; reading their values; and the opening run, sweep, map and lr-find
// share (openCommand).
// Long because it is the table of shared flags (one entry per flag, with its help text),
// which the formatter spreads over several lines each.

import { CompileCostError } from '../core/expr/cost';
import { ExpressionError } from '../core/expr/parse';
import {
  findOptimizer,
  getOptimizer,
  HyperParamError,
  OPTIMIZER_DEFS,
  resolveHyper,
  withPerCoordinateLr,
  type CompiledOptimizer,
  type HyperParam,
  type OptimizerDef,
} from '../core/optimizers';
import {
  findSchedule,
  parseScheduleList,
  parseScheduleText,
  resolveSchedule,
  SCHEDULE_DEFS,
  ScheduleError,
  type ResolvedSchedule,
  type ScheduleDef,
} from '../core/schedules';
import { DEFAULT_RUN_CONFIG, runConfigProblem, type RunConfig } from '../core/particles';
import { MAX_DATASET_POINTS } from '../core/surfaces/dataset';
import { PRESET_NAMES, PRESET_PARAMETERS, PRESETS, resolveSurface, Surface } from '../core/surfaces';
import {
  defineFlags,
  flagKey,
  parseFloat32,
  parseSchema,
  peekFlag,
  UsageError,
  type FlagSchema,
  type FlagSpec,
  type FlagValues,
  type ParsedFlags,
} from './args';
import { BATCH_SIZE_BOUND } from './limits';

// ---------------------------------------------------------------- surface

/** A preset's parameters as `name=default ...` (for help and messages). */
export function presetParamText(name: string): string | null {
  const ps = PRESET_PARAMETERS[name];
  return ps?.length ? ps.map((p) => `${p.name}=${p.default}`).join(' ') : null;
}

function parseSurfaceParams(items: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--surface-param: expected name=value (e.g. lambda2=20), got '${item}'`);
    const name = item.slice(0, eq).trim();
    if (out.has(name)) throw new UsageError(`--surface-param: '${name}' is given more than once`);
    out.set(name, parseFloat32(item.slice(eq + 1), `--surface-param ${name}`));
  }
  return out;
}

/** The smallest dataset the presets build (their own check). */
const MIN_DATASET_POINTS = 8;

/** The dataset presets' `points`: a whole number the dataset can hold (MAX_DATASET_POINTS). */
function checkDatasetPoints(params: Map<string, number>): void {
  const points = params.get('points');
  if (points === undefined) return;
  if (!Number.isInteger(points) || points < MIN_DATASET_POINTS || points > MAX_DATASET_POINTS) {
    throw new UsageError(`--surface-param points must be a whole number ${MIN_DATASET_POINTS} .. ${MAX_DATASET_POINTS} (the dataset's budget), got ${points}`);
  }
}

/** The surface of --surface and --surface-param. */
function loadSurface(text: string, paramItems: string[] = []): Surface {
  const params = parseSurfaceParams(paramItems);
  const key = text.trim().toLowerCase();
  // Own names only: 'constructor' or '__proto__' is no preset.
  const isPreset = Object.hasOwn(PRESETS, key);
  const names = [...params.keys()];
  if (names.length && !isPreset) throw new UsageError(`--surface-param applies to presets only; write the numbers into the expression '${text}'`);
  if (isPreset) {
    const known = (Object.hasOwn(PRESET_PARAMETERS, key) ? PRESET_PARAMETERS[key] : []).map((p) => p.name);
    for (const p of names) {
      if (!known.includes(p)) {
        throw new UsageError(`--surface-param: unknown parameter '${p}': ${key} ${known.length ? `takes ${known.join(', ')}` : 'takes none'}`);
      }
    }
    if (known.includes('points')) checkDatasetPoints(params);
    try {
      return resolveSurface(key, Object.fromEntries(params));
    } catch (e) {
      // A preset's own check of its parameters (e.g. a dataset's points).
      if (e instanceof RangeError) throw new UsageError(`--surface-param: ${e.message}`);
      throw e;
    }
  }
  try {
    return resolveSurface(text.trim());
  } catch (e) {
    if (e instanceof CompileCostError) throw new UsageError(`--surface: ${e.message}`);
    if (e instanceof ExpressionError && /^[A-Za-z_][\w-]*$/.test(text.trim())) {
      throw new UsageError(`unknown surface '${text}': not a preset (${PRESET_NAMES.join(', ')}) nor a valid expression (${e.message})`);
    }
    if (e instanceof ExpressionError) throw new UsageError(`--surface: ${e.message} in '${e.source}'`);
    throw e;
  }
}

// ---------------------------------------------------------------- optimizer

/** Hyperparameters named base1, base2, ... (beta1, beta2) also form PyTorch's tuple flag (--betas). */
export interface TupleFlag {
  name: string;
  params: string[];
}

export function tupleFlags(def: OptimizerDef): TupleFlag[] {
  const groups = new Map<string, string[]>();
  for (const h of def.hyper) {
    const m = /^(.*\D)(\d+)$/.exec(h.name);
    if (!m) continue;
    const list = groups.get(m[1]) ?? [];
    list[Number(m[2]) - 1] = h.name;
    groups.set(m[1], list);
  }
  const out: TupleFlag[] = [];
  for (const [base, list] of groups) {
    if (list.length >= 2 && list.every((x) => x !== undefined) && !def.hyper.some((h) => h.name === `${base}s`)) {
      out.push({ name: `${base}s`, params: list });
    }
  }
  return out;
}

function hyperHelp(h: HyperParam): string {
  const range: string[] = [];
  if (h.min !== undefined) range.push(`${h.openMin ? '>' : '>='} ${h.min}`);
  if (h.max !== undefined) range.push(`${h.openMax ? '<' : '<='} ${h.max}`);
  return `${h.doc}${range.length && !h.bool ? `, ${range.join(' and ')}` : ''}`;
}

/** The flags for an optimizer's hyperparameters, from its definition. `skip` leaves some out (sweep's lr). */
export function hyperFlags(def: OptimizerDef, skip: string[] = []): FlagSpec[] {
  const specs: FlagSpec[] = [];
  for (const h of def.hyper) {
    if (skip.includes(h.name)) continue;
    specs.push(
      h.bool
        ? { name: h.name, kind: 'bool', help: hyperHelp(h), defaultText: h.default ? 'on' : 'off' }
        : { name: h.name, kind: 'number', meta: h.name === 'lr' ? 'ETA' : 'X', help: hyperHelp(h), defaultText: String(h.default) },
    );
  }
  for (const t of tupleFlags(def)) {
    if (t.params.some((p) => skip.includes(p))) continue;
    const defaults = t.params.map((p) => def.hyper.find((h) => h.name === p)!.default).join(',');
    specs.push({ name: t.name, kind: 'numbers', arity: t.params.length, meta: defaults, help: `${t.params.join(', ')} together`, defaultText: defaults });
  }
  return specs;
}

const allHyperNames = (): Set<string> =>
  new Set(OPTIMIZER_DEFS.flatMap((d) => [...d.hyper.map((h) => flagKey(h.name)), ...tupleFlags(d).map((t) => flagKey(t.name))]));

/** The optimizer named by --optimizer in argv (default SGD), before full parsing. */
function peekOptimizer(argv: string[]): OptimizerDef {
  const name = peekFlag(argv, 'optimizer') ?? 'SGD';
  try {
    return findOptimizer(name);
  } catch (e) {
    if (e instanceof HyperParamError) throw new UsageError(`--optimizer: ${e.message}`);
    throw e;
  }
}

/** Better message for a flag that belongs to another optimizer. */
function unknownFlagMessage(def: OptimizerDef, command: string): (name: string) => string | null {
  return (name) => {
    const k = flagKey(name);
    if (allHyperNames().has(k) && !def.hyper.some((h) => flagKey(h.name) === k)) {
      return `${def.name} has no hyperparameter '${name}' (it takes ${def.hyper.map((h) => h.name).join(', ')})`;
    }
    if (command === 'sweep' && k === 'lr') return `sweep sets lr per particle: give --lr-min and --lr-max instead of --lr`;
    return null;
  };
}

/** The hyperparameters given as flags, by PyTorch name (booleans as given). */
export function givenHyper(def: OptimizerDef, flags: ParsedFlags): Record<string, number | boolean | undefined> {
  const out: Record<string, number | boolean | undefined> = {};
  for (const h of def.hyper) {
    const key = flagKey(h.name);
    const v = h.bool ? flags.bool(key) : flags.number(key);
    if (v !== undefined) out[h.name] = v;
  }
  for (const t of tupleFlags(def)) {
    const v = flags.numbers(flagKey(t.name));
    if (v === undefined) continue;
    t.params.forEach((p, i) => {
      if (out[p] !== undefined) throw new UsageError(`--${t.name} and --${p} both set ${p}: give one`);
      out[p] = v[i];
    });
  }
  return out;
}

export interface OptimizerChoice {
  def: OptimizerDef;
  compiled: CompiledOptimizer;
  /** Given hyperparameters (validated), defaults left for the engine. */
  given: Record<string, number | boolean | undefined>;
  /** All hyperparameters, defaults filled in. */
  hyper: Record<string, number>;
}

export function loadOptimizer(def: OptimizerDef, flags: ParsedFlags, lrForCheck?: number): OptimizerChoice {
  const schedule = loadSchedule(flags, def);
  // --lr_y makes two parameter groups (lr for x, lr_y for y).
  const perCoordinateLr = flags.has('lr_y');
  const eff = perCoordinateLr ? withPerCoordinateLr(def) : def;
  const given = givenHyper(eff, flags);
  const hyper = resolveHyper(eff, lrForCheck === undefined ? given : { ...given, lr: lrForCheck });
  let compiled: CompiledOptimizer;
  try {
    compiled = getOptimizer(def.name, { schedule, perCoordinateLr });
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
  return { def: eff, compiled, given, hyper };
}

// ---------------------------------------------------------------- schedule

/** The schedule named by --schedule (its name, before any '('), before full parsing. */
export function peekSchedule(argv: string[]): ScheduleDef | null {
  const text = peekFlag(argv, 'schedule');
  if (text === undefined) return null;
  try {
    return findSchedule(parseScheduleText(text).name);
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
}

/** Flags for a schedule's parameters (those an optimizer flag does not already take). */
export function scheduleFlags(def: ScheduleDef | null, optimizer: OptimizerDef | null): FlagSpec[] {
  const specs: FlagSpec[] = [
    {
      name: 'schedule',
      kind: 'string',
      meta: 'NAME|TEXT',
      help: `lr schedule, a name or PyTorch's constructor call without the optimizer, e.g. "StepLR(step_size=30, gamma=0.1)": ${SCHEDULE_DEFS.map((d) => d.name).join(', ')}`,
    },
  ];
  if (!def) return specs;
  const taken = new Set(optimizer ? [...optimizer.hyper.map((h) => flagKey(h.name)), ...tupleFlags(optimizer).map((t) => flagKey(t.name))] : []);
  for (const p of def.params) {
    if (taken.has(flagKey(p.name))) continue;
    const dflt = p.default === undefined ? 'required' : p.default === 'lr' ? "the particle's lr" : p.default === null ? 'None' : String(p.default);
    const help = `${def.name}: ${p.doc}`;
    if (p.kind === 'bool') specs.push({ name: p.name, kind: 'bool', help, defaultText: dflt });
    else if (p.kind === 'number' || p.kind === 'int') specs.push({ name: p.name, kind: 'string', meta: 'X', help, defaultText: dflt });
    else if (p.kind === 'list') specs.push({ name: p.name, kind: 'string', meta: 'N,N,...', help, defaultText: dflt });
    else if (p.kind === 'enum') specs.push({ name: p.name, kind: 'string', meta: p.options!.join('|'), help, defaultText: dflt });
    else specs.push({ name: p.name, kind: 'string', meta: 'S(...), S(...)', help: `${help}; schedules separated by commas`, defaultText: dflt });
  }
  return specs;
}

/** --schedule with its parameters (inline and as flags), validated; undefined without --schedule. */
export function loadSchedule(flags: ParsedFlags, optimizer: OptimizerDef | null): ResolvedSchedule | undefined {
  const text = flags.string('schedule');
  if (text === undefined) return undefined;
  try {
    const spec = parseScheduleText(text);
    const def = findSchedule(spec.name);
    for (const f of scheduleFlags(def, optimizer).slice(1)) {
      const key = flagKey(f.name);
      const v = f.kind === 'bool' ? flags.bool(key) : flags.string(key);
      if (v === undefined) continue;
      if (Object.hasOwn(spec.params, f.name)) throw new UsageError(`--${f.name} is also given inside --schedule: give it once`);
      const p = def.params.find((q) => q.name === f.name)!;
      spec.params[f.name] = p.kind === 'schedules' ? parseScheduleList(String(v)) : v;
    }
    return resolveSchedule(spec);
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------- start, config, engine

export function loadStart(start: number[] | undefined, surface: Surface): [number, number] {
  return start ? [start[0], start[1]] : [...surface.spec.defaultStart];
}

/** The run settings: each absent flag leaves DEFAULT_RUN_CONFIG's value. */
export const CONFIG_FLAGS = defineFlags({
  gtol: { name: 'gtol', kind: 'number', min: 0, meta: 'G', help: 'converged when |grad| <= gtol ...', defaultText: String(DEFAULT_RUN_CONFIG.gtol) },
  ftol: { name: 'ftol', kind: 'number', min: 0, meta: 'F', help: '... and |L_t - L_t-1| <= ftol (1 + |L_t|)', defaultText: String(DEFAULT_RUN_CONFIG.ftol) },
  bound: {
    name: 'bound',
    kind: 'number',
    min: 0,
    openMin: true,
    meta: 'B',
    help: 'diverged when |x| or |y| exceeds this',
    defaultText: String(DEFAULT_RUN_CONFIG.posBound),
  },
  clipNorm: {
    name: 'clip_norm',
    kind: 'number',
    min: 0,
    meta: 'C',
    help: 'clip the gradient norm to C before each step, as clip_grad_norm_ (0: off)',
    defaultText: '0',
  },
  clipValue: {
    name: 'clip_value',
    kind: 'number',
    min: 0,
    meta: 'V',
    help: 'clamp each gradient component to [-V, V], as clip_grad_value_ (0: off)',
    defaultText: '0',
  },
  noise: {
    name: 'noise',
    kind: 'number',
    min: 0,
    meta: 'SIGMA',
    help: 'Gaussian gradient noise of standard deviation SIGMA/sqrt(B) per coordinate (0: off)',
    defaultText: '0',
  },
  batchSize: {
    name: 'batch_size',
    kind: 'int',
    min: 1,
    ...BATCH_SIZE_BOUND,
    meta: 'B',
    help: 'batch size B in the noise scale SIGMA/sqrt(B)',
    defaultText: '1',
  },
  seed: { name: 'seed', kind: 'int', min: 0, meta: 'S', help: 'seed of every random draw (the noise)', defaultText: '0' },
  samRho: { name: 'sam_rho', kind: 'number', min: 0, meta: 'RHO', help: 'SAM around the optimizer: the gradient at p + RHO g/|g| (0: off)', defaultText: '0' },
  lrY: { name: 'lr_y', kind: 'number', min: 0, openMin: true, meta: 'ETA', help: "a learning rate of its own for y (parameter groups: lr is then x's)" },
});

type ConfigValues = Omit<FlagValues<typeof CONFIG_FLAGS>, 'lrY'>;

/** The run settings of the flags, checked (with the surface: SAM needs an analytic one). */
export function loadConfig(f: ConfigValues, surface: Surface): RunConfig {
  const d = DEFAULT_RUN_CONFIG;
  const cfg: RunConfig = {
    ...d,
    gtol: f.gtol ?? d.gtol,
    ftol: f.ftol ?? d.ftol,
    posBound: f.bound ?? d.posBound,
    clipNorm: f.clipNorm ?? d.clipNorm,
    clipValue: f.clipValue ?? d.clipValue,
    noise: f.noise ?? d.noise,
    batchSize: f.batchSize ?? d.batchSize,
    seed: f.seed ?? d.seed,
    samRho: f.samRho ?? d.samRho,
  };
  if (cfg.batchSize !== 1 && cfg.noise === 0) throw new UsageError('--batch_size scales the gradient noise: give --noise SIGMA too');
  const problem = runConfigProblem(cfg);
  if (problem) throw new UsageError(problem);
  if (cfg.samRho > 0 && surface.spec.dataset) {
    throw new UsageError(`--sam_rho: SAM on a dataset surface (${surface.id}) is not supported: its perturbation would need a second minibatch`);
  }
  return cfg;
}

export const SURFACE_FLAGS = defineFlags({
  surface: {
    name: 'surface',
    kind: 'string',
    meta: 'NAME|EXPR',
    help: 'a preset name or an expression in x and y, e.g. "0.5*(x^2 + 10*y^2)"',
    required: `--surface is required: a preset (${PRESET_NAMES.join(', ')}) or an expression in x and y`,
  },
  surfaceParam: { name: 'surface-param', kind: 'strings', meta: 'NAME=VALUE', help: 'a preset parameter (repeatable), e.g. lambda2=20' },
  optimizer: {
    name: 'optimizer',
    kind: 'string',
    meta: 'NAME',
    help: `PyTorch class name, case-insensitive: ${OPTIMIZER_DEFS.map((d) => [d.name, ...(d.aliases ?? [])].join('/')).join(', ')}`,
    defaultText: 'SGD',
  },
  start: { name: 'start', kind: 'numbers', arity: 2, meta: 'X,Y', help: 'starting point', defaultText: "the surface's" },
});

const ENGINES = ['cpu', 'gpu'] as const;
export type EngineKind = (typeof ENGINES)[number];

/** --engine, with the command's default. */
export const engineFlag = (fallback: EngineKind, help: string) =>
  defineFlags({ engine: { name: 'engine', kind: 'choice', choices: ENGINES, meta: 'cpu|gpu', help, default: fallback } });

/** A landscape command: its own flags (with SURFACE_FLAGS), the optimizer's, maybe a schedule's. */
export interface CommandSpec<S extends FlagSchema> {
  command: 'run' | 'sweep' | 'map' | 'lr-find';
  flags: S;
  help: (def: OptimizerDef | null) => string;
  /** Hyperparameters the command sets itself, without a flag (sweep's and lr-find's lr). */
  skipHyper?: string[];
  /** Whether --schedule and the schedule's parameters are taken. */
  schedule: boolean;
  /** A message for a flag the command does not take (by key), before the generic ones. */
  unknown?: (key: string) => string | null;
}

export interface OpenCommand<S extends FlagSchema> {
  def: OptimizerDef;
  flags: FlagValues<S>;
  /** Every flag by key: the optimizer's hyperparameters and the schedule's are read from here. */
  parsed: ParsedFlags;
  surface: Surface;
}

/**
 * The opening of run, sweep, map and lr-find: the optimizer named by --optimizer decides
 * which hyperparameter flags exist (and --schedule which schedule flags), then all flags
 * are parsed and checked; --help prints the command's usage (null: nothing left to do);
 * else the surface is loaded.
 */
export function openCommand<S extends FlagSchema & { surface: FlagSpec; surfaceParam: FlagSpec }>(
  argv: string[],
  c: CommandSpec<S>,
  out: (s: string) => void,
): OpenCommand<S> | null {
  const def = peekOptimizer(argv);
  const more = [...hyperFlags(def, c.skipHyper), ...(c.schedule ? scheduleFlags(peekSchedule(argv), def) : [])];
  const generic = unknownFlagMessage(def, c.command);
  const { values, parsed, help } = parseSchema(argv, c.flags, more, { unknown: (name) => c.unknown?.(flagKey(name)) ?? generic(name) });
  if (help) {
    out(c.help(argv.some((a) => /^--optimizer/.test(a)) ? def : null));
    return null;
  }
  // Required by the schema: present here.
  const surface = loadSurface(parsed.string(flagKey(c.flags.surface.name))!, parsed.strings(flagKey(c.flags.surfaceParam.name)));
  return { def, flags: values, parsed, surface };
}
