// `etascape schedule`: the lr a schedule gives at steps 0 .. N-1, exactly as the
// engines compute it (float32), with PyTorch's semantics and parameter names.

import { compileSchedule, ScheduleError, scheduleText, scheduleValues, SCHEDULE_DEFS, usesBaseLr, type ScheduleDef } from '../core/schedules';
import { defineFlags, formatFlags, parseSchema, UsageError } from './args';
import { fmt, padTable } from './common';
import { LineChunks } from './output';
import { loadSchedule, peekSchedule, scheduleFlags } from './flags';
import { MAX_SCHEDULE_STEPS } from './limits';

const SCHEDULE_DEFAULT_STEPS = 100;

const SCHEDULE_FLAGS = defineFlags({
  lr: { name: 'lr', kind: 'number', min: 0, openMin: true, meta: 'ETA', help: "the optimizer's lr (the base lr the schedule scales)" },
  steps: {
    name: 'steps',
    kind: 'int',
    min: 1,
    max: MAX_SCHEDULE_STEPS,
    maxWhy: 'a printed row per step',
    meta: 'N',
    help: 'how many steps',
    default: SCHEDULE_DEFAULT_STEPS,
  },
  json: { name: 'json', kind: 'bool', help: 'print {"schedule": TEXT, "lr": [lr_0, ..., lr_(N-1)]}' },
});

function paramsHelp(def: ScheduleDef): string {
  const rows = def.params.map((p) => {
    const d = p.default === undefined ? 'required' : p.default === 'lr' ? 'the lr' : p.default === null ? 'None' : JSON.stringify(p.default);
    return [`  ${p.name}`, p.kind === 'enum' ? p.options!.join('|') : p.kind, d, p.doc];
  });
  return `${def.name} (${def.origin}): ${def.doc}\n${padTable([['  parameter', 'kind', 'default', ''], ...rows])}`;
}

export function scheduleHelp(def: ScheduleDef | null): string {
  const list = SCHEDULE_DEFS.map((d) => `  ${d.name.padEnd(28)}${d.origin}${d.stateful ? ' (needs a run: etascape run --schedule ... --json)' : ''}`).join(
    '\n',
  );
  return `Usage: etascape schedule --schedule NAME|TEXT [--lr ETA] [--PARAM VALUE ...] [--steps N] [--json]

Prints the lr at optimizer steps t = 0 .. N-1: what PyTorch's optimizer uses when
scheduler.step() follows every optimizer.step(), computed as the engines compute it.
Parameters go by PyTorch's names, as flags (--step_size 30 --gamma 0.1; lists as
--milestones 2,5,9; booleans bare or =true/false) or inside the text in Python's
syntax: --schedule "StepLR(step_size=30, gamma=0.1)".

SequentialLR's children are schedules in the same syntax, in a list:
  --schedule "SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])"
or  --schedule SequentialLR --schedulers "LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)" --milestones 5

CyclicLR and OneCycleLR cycle the optimizer's momentum (or beta1) as PyTorch does
(cycle_momentum=True); that shows in etascape run, not here. lr-valued parameters
left out (CyclicLR's base_lr, OneCycleLR's max_lr) are the lr. Past total_steps,
where PyTorch raises, OneCycleLR holds its last value.

Flags:
${formatFlags(SCHEDULE_FLAGS)}
  --schedule NAME|TEXT   the schedule, by name or as a constructor call

Schedules:
${list}
${def ? `\n${paramsHelp(def)}\n` : '\n(etascape schedule --schedule NAME --help lists its parameters.)\n'}
Examples:
  etascape schedule --schedule OneCycleLR --max_lr 0.1 --total_steps 100 --json
  etascape schedule --schedule CyclicLR --base_lr 1 --max_lr 5 --step_size_up 4 --mode triangular2 --steps 24
  etascape schedule --schedule MultiStepLR --lr 0.1 --milestones 2,5,9 --gamma 0.5 --steps 12`;
}

/** The shortest decimal that reads back as the same float32. */
function shortestFloat32(v: number): number {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return Number(v.toPrecision(9));
}

export async function scheduleCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const def = peekSchedule(argv);
  const { values: flags, parsed, help } = parseSchema(argv, SCHEDULE_FLAGS, scheduleFlags(def, null));
  if (help) {
    out(scheduleHelp(def));
    return 0;
  }
  const resolved = loadSchedule(parsed, null);
  if (!resolved) throw new UsageError(`schedule needs --schedule NAME (one of ${SCHEDULE_DEFS.map((d) => d.name).join(', ')})`);
  let compiled;
  try {
    compiled = compileSchedule(resolved);
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(`--schedule: ${e.message}`);
    throw e;
  }
  const { lr, steps } = flags;
  if (lr === undefined && usesBaseLr(compiled)) {
    throw new UsageError(`--lr is needed: ${resolved.def.name} works from the optimizer's lr`);
  }
  // At most MAX_SCHEDULE_STEPS float32 values; the text is printed in chunks, never whole.
  const values = scheduleValues(compiled, lr ?? 1, steps);
  if (flags.json) {
    const chunks = new LineChunks(out);
    chunks.add(`{"schedule":${JSON.stringify(scheduleText(resolved))},"lr":[`);
    for (let t = 0; t < steps; t++) if (chunks.add(`${shortestFloat32(values[t])}${t < steps - 1 ? ',' : ''}`)) await chunks.flush();
    chunks.add(']}');
    await chunks.flush();
    return 0;
  }
  out(`etascape schedule: ${scheduleText(resolved)}${lr !== undefined ? ` from lr ${fmt(lr)}` : ''}, ${steps} steps`);
  // The table padTable would make, a row at a time: t left-aligned, two spaces, lr.
  const width = Math.max(1, String(steps - 1).length);
  const chunks = new LineChunks(out);
  chunks.add(`${'t'.padEnd(width)}  lr`);
  for (let t = 0; t < steps; t++) if (chunks.add(`${String(t).padEnd(width)}  ${fmt(shortestFloat32(values[t]))}`)) await chunks.flush();
  await chunks.flush();
  return 0;
}
