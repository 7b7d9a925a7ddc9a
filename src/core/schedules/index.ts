// Finding, validating and compiling schedules. A resolved schedule turns into
// expression-language code that compileOptimizer splices around the optimizer's update;
// on its own (closed forms) it compiles to a program giving lr(t) for previews and
// `etascape schedule`.

import { float32Problem } from '../float32';
import { Graph } from '../expr/graph';
import { parseAssignments } from '../expr/parse';
import { compileProgram, Evaluator, type Program } from '../expr/program';
import { SCHEDULE_DEFS } from './definitions';
import type { CodeContext, ParamValue, ResolvedSchedule, ScheduleCode, ScheduleDef, ScheduleParam } from './schedule';
import { formatSchedule, parseScheduleList, parseScheduleText, ScheduleError, type ScheduleSpec, type ScheduleValue } from './spec';

export * from './schedule';
export * from './spec';
export { SCHEDULE_DEFS } from './definitions';

export function findSchedule(name: string): ScheduleDef {
  const key = name.trim().toLowerCase();
  const def = SCHEDULE_DEFS.find((d) => d.name.toLowerCase() === key || d.aliases?.includes(key));
  if (!def) throw new ScheduleError(`unknown schedule '${name}' (known: ${SCHEDULE_DEFS.map((d) => d.name).join(', ')})`);
  return def;
}

/** A value from the command line or a URL arrives as text: read it as the parameter's kind. */
function coerce(def: ScheduleDef, p: ScheduleParam, raw: ScheduleValue): ParamValue {
  const where = `${def.name}: ${p.name}`;
  const asNumber = (v: unknown): number => {
    const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new ScheduleError(`${where} must be a finite number, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
    const problem = float32Problem(where, x);
    if (problem) throw new ScheduleError(problem);
    return x;
  };
  const inRange = (x: number): number => {
    if (p.kind === 'int' && !Number.isInteger(x)) throw new ScheduleError(`${where} must be a whole number, got ${x}`);
    const lowOk = p.min === undefined || (p.openMin ? x > p.min : x >= p.min);
    const highOk = p.max === undefined || (p.openMax ? x < p.max : x <= p.max);
    if (!lowOk || !highOk) {
      const lo = p.min === undefined ? '' : `${p.min} ${p.openMin ? '<' : '<='} `;
      const hi = p.max === undefined ? '' : ` ${p.openMax ? '<' : '<='} ${p.max}`;
      throw new ScheduleError(`${where} must satisfy ${lo}${p.name}${hi}, got ${x}`);
    }
    return x;
  };
  switch (p.kind) {
    case 'number':
    case 'int':
      return inRange(asNumber(raw));
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      throw new ScheduleError(`${where} is a flag: true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      const s = String(raw);
      if (!p.options!.includes(s)) throw new ScheduleError(`${where} must be one of ${p.options!.join(', ')}, got '${s}'`);
      return s;
    }
    case 'list': {
      const items = typeof raw === 'string' ? raw.split(',').filter((x) => x.trim() !== '') : Array.isArray(raw) ? raw : [raw];
      return items.map((v) => {
        const x = asNumber(v);
        if (!Number.isInteger(x) || x < 0) throw new ScheduleError(`${where} holds step numbers (whole, >= 0), got ${x}`);
        return x;
      });
    }
    case 'schedules': {
      if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'object')) {
        throw new ScheduleError(`${where} is a list of schedules, e.g. [LinearLR(total_iters=5), CosineAnnealingLR(T_max=95)]`);
      }
      return (raw as ScheduleSpec[]).map((s) => resolveSchedule(s));
    }
  }
}

/** Fills in defaults and checks every parameter; throws ScheduleError naming the parameter. */
export function resolveSchedule(spec: ScheduleSpec | string): ResolvedSchedule {
  const s = typeof spec === 'string' ? parseScheduleText(spec) : spec;
  const def = findSchedule(s.name);
  const names = new Set(def.params.map((p) => p.name));
  for (const k of Object.keys(s.params)) {
    if (!names.has(k)) throw new ScheduleError(`${def.name} has no parameter '${k}' (it takes ${[...names].join(', ')})`);
  }
  const params: Record<string, ParamValue> = {};
  for (const p of def.params) {
    const raw = Object.hasOwn(s.params, p.name) ? s.params[p.name] : undefined;
    if (raw === undefined) {
      if (p.default === undefined) throw new ScheduleError(`${def.name}: ${p.name} is required (${p.doc})`);
      params[p.name] = p.default === 'lr' ? null : p.default;
    } else {
      params[p.name] = coerce(def, p, raw);
    }
  }
  const problem = def.check?.(params);
  if (problem) throw new ScheduleError(`${def.name}: ${problem}`);
  return { def, params };
}

/** Back to a spec: only the parameters that differ from their defaults. */
function scheduleSpec(r: ResolvedSchedule): ScheduleSpec {
  const params: Record<string, ScheduleValue> = {};
  for (const p of r.def.params) {
    const v = r.params[p.name];
    const def = p.default === 'lr' ? null : p.default;
    if (v === null || JSON.stringify(v) === JSON.stringify(def)) continue;
    params[p.name] = p.kind === 'schedules' ? (v as ResolvedSchedule[]).map(scheduleSpec) : (v as ScheduleValue);
  }
  return { name: r.def.name, params };
}

/** Canonical text: PyTorch's constructor call without the optimizer. */
export function scheduleText(r: ResolvedSchedule): string {
  return formatSchedule(scheduleSpec(r));
}

/** Prefix of every name the schedule code introduces (keeps them apart from the optimizer's). */
export const SCHEDULE_PREFIX = 'sch_';

/**
 * The schedule's code for a program whose inputs include t, lr (the base lr), loss,
 * gnorm and hxx/hxy/hyy; it assigns `lr` (and `momentum`/`beta1` when it cycles them).
 * It always keeps `sch_lr_used`, the lr of the last step, as state.
 */
export function scheduleCode(r: ResolvedSchedule, momentum: string | null, standalone = false): ScheduleCode {
  const ctx: CodeContext = { T: 't', B: 'lr', out: 'lr', mOut: momentum ?? 'sch_momentum', P: SCHEDULE_PREFIX, momentum, standalone };
  const code = r.def.code(r.params, ctx);
  const used = `${SCHEDULE_PREFIX}lr_used`;
  return {
    ...code,
    after: [code.after ?? '', `${used} = lr`].filter(Boolean).join('\n'),
    state: [...(code.state ?? []), used],
  };
}

/** Inputs of a standalone schedule program, in order. */
const STANDALONE_INPUTS = ['t', 'lr'];

export interface CompiledSchedule {
  schedule: ResolvedSchedule;
  program: Program;
}

/** lr(t) from t and the base lr: closed-form schedules only. */
export function compileSchedule(r: ResolvedSchedule): CompiledSchedule {
  if (r.def.stateful) {
    throw new ScheduleError(`${r.def.name} depends on the run (loss, gradient or curvature): it has no lr(t) on its own; see it with etascape run --json`);
  }
  const g = new Graph();
  const bound = new Map(STANDALONE_INPUTS.map((name) => [name, g.variable(name)]));
  const env = parseAssignments(g, scheduleCode(r, null, true).before, bound);
  return { schedule: r, program: compileProgram(STANDALONE_INPUTS, { lr: env.get('lr')! }) };
}

/** Whether the schedule's lr depends on the base lr (the particle's, or --lr). */
export function usesBaseLr(c: CompiledSchedule): boolean {
  const i = STANDALONE_INPUTS.indexOf('lr');
  return c.program.outputs.lr === i || c.program.values.some((v) => v.kind === 'instr' && v.instr.args.includes(i));
}

/** The float32 lr the engines use at steps 0 .. steps-1. */
export function scheduleValues(c: CompiledSchedule, lr: number, steps: number): Float32Array {
  const ev = new Evaluator(c.program);
  const out = new Float32Array(steps);
  for (let t = 0; t < steps; t++) out[t] = ev.run(t, lr).out('lr');
  return out;
}

/** A valid spec to start from: the definition's examples for its required parameters. */
export function exampleSchedule(def: ScheduleDef): ScheduleSpec {
  const params: Record<string, ScheduleValue> = {};
  for (const p of def.params) {
    if (p.default !== undefined || p.example === undefined) continue;
    params[p.name] = p.kind === 'schedules' ? parseScheduleList(String(p.example)) : p.example;
  }
  return { name: def.name, params };
}

/** Steps worth previewing: a few periods, the whole cycle, past the last milestone. */
export function previewSteps(r: ResolvedSchedule): number {
  const p = r.params;
  const num = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : 0);
  const list = (k: string) => (Array.isArray(p[k]) ? (p[k] as number[]) : []);
  let h: number;
  switch (r.def.name) {
    case 'StepLR':
      h = 4 * num('step_size');
      break;
    case 'MultiStepLR':
      h = 1.5 * Math.max(10, ...list('milestones'));
      break;
    case 'CosineAnnealingLR':
      h = 2 * num('T_max');
      break;
    case 'CosineAnnealingWarmRestarts':
      h = num('T_0') * (1 + num('T_mult') + num('T_mult') ** 2);
      break;
    case 'CyclicLR':
      h = 3 * (num('step_size_up') + (p.step_size_down === null ? num('step_size_up') : num('step_size_down')));
      break;
    case 'OneCycleLR':
      h = (p.total_steps === null ? num('epochs') * num('steps_per_epoch') : num('total_steps')) + 1;
      break;
    case 'LinearLR':
    case 'ConstantLR':
    case 'PolynomialLR':
      h = 2 * num('total_iters');
      break;
    case 'SineLR':
      h = 3 * num('period');
      break;
    case 'LRRangeTest':
      h = num('num_it') + 1;
      break;
    case 'SequentialLR': {
      const ms = list('milestones');
      const last = (p.schedulers as ResolvedSchedule[]).at(-1)!;
      h = Math.max(...ms, 0) + (last.def.stateful ? 100 : previewSteps(last));
      break;
    }
    default:
      h = 300;
  }
  return Math.max(20, Math.min(5000, Math.round(h)));
}
