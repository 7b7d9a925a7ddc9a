// The schedules, each one definition. Long because it is the table of all of them (19
// schedulers, each a short closed form); splitting it would scatter one catalogue.
// Closed forms follow torch.optim.lr_scheduler's
// (_get_closed_form_lr / get_lr), which PyTorch's chainable forms equal in exact
// arithmetic; tests/unit/schedules.test.ts checks them against the chainable forms replayed in
// float64 (tests/helpers/pytorch-schedulers.ts).
//
// Time is the float32 step counter t (exact to 2^24 steps). Integer divisions are written
// floor((t + 0.5) / d), which is exact for integer t and d even though the graph turns
// division by a constant into multiplication by its reciprocal.

import { ScheduleError } from './spec';
import { lit, type CodeContext, type ParamValue, type ScheduleDef, type ScheduleParam } from './schedule';

type P = Record<string, ParamValue>;
const n = (p: P, k: string) => p[k] as number;
/** An lr-valued parameter: its constant, or the particle's lr when left out. */
const lrOf = (p: P, k: string, ctx: CodeContext) => (p[k] === null ? ctx.B : lit(n(p, k)));
const idiv = (T: string, d: number) => `floor((${T} + 0.5) / ${lit(d)})`;

const gamma = (def?: number, doc = 'multiplicative factor of the decay'): ScheduleParam => ({
  name: 'gamma',
  kind: 'number',
  default: def,
  min: 0,
  openMin: true,
  doc,
});
const etaMin: ScheduleParam = { name: 'eta_min', kind: 'number', default: 0, min: 0, doc: 'minimum learning rate' };
const totalIters = (def: number, doc: string): ScheduleParam => ({ name: 'total_iters', kind: 'int', default: def, min: 1, doc });
const cycleMomentum = (base: number, max: number): ScheduleParam[] => [
  { name: 'cycle_momentum', kind: 'bool', default: true, doc: "cycle the optimizer's momentum (or beta1) inversely to the lr" },
  { name: 'base_momentum', kind: 'number', default: base, min: 0, max: 1, doc: 'lower momentum bound' },
  { name: 'max_momentum', kind: 'number', default: max, min: 0, max: 1, doc: 'upper momentum bound' },
];
/** Whether to emit momentum code: PyTorch raises when the optimizer has no momentum. */
function cycles(p: P, ctx: CodeContext, name: string): boolean {
  if (ctx.standalone || !p.cycle_momentum) return false;
  if (!ctx.momentum) {
    throw new ScheduleError(`${name}: the optimizer has no momentum or beta1 to cycle; pass cycle_momentum=False`);
  }
  return true;
}

const StepLR: ScheduleDef = {
  name: 'StepLR',
  origin: 'PyTorch',
  doc: 'lr * gamma^floor(t / step_size): decay by gamma every step_size steps.',
  params: [{ name: 'step_size', kind: 'int', min: 1, example: 100, doc: 'period of the decay, in steps' }, gamma(0.1)],
  code: (p, { T, B, out }) => ({ before: `${out} = ${B} * ${lit(n(p, 'gamma'))} ^ ${idiv(T, n(p, 'step_size'))}` }),
};

const MultiStepLR: ScheduleDef = {
  name: 'MultiStepLR',
  origin: 'PyTorch',
  doc: 'lr * gamma^(number of milestones <= t).',
  params: [
    { name: 'milestones', kind: 'list', example: [100, 200], doc: 'steps at which the lr is multiplied by gamma (a repeated milestone counts twice)' },
    gamma(0.1),
  ],
  code: (p, { T, B, out, P }) => {
    const ms = [...(p.milestones as number[])].sort((a, b) => a - b);
    const count = ms.length ? ms.map((m) => `(${T} >= ${lit(m)} ? 1 : 0)`).join(' + ') : '0';
    return { before: `${P}k = ${count}\n${out} = ${B} * ${lit(n(p, 'gamma'))} ^ ${P}k` };
  },
};

const ExponentialLR: ScheduleDef = {
  name: 'ExponentialLR',
  origin: 'PyTorch',
  doc: 'lr * gamma^t.',
  params: [{ ...gamma(undefined), example: 0.99 }],
  code: (p, { T, B, out }) => ({ before: `${out} = ${B} * ${lit(n(p, 'gamma'))} ^ ${T}` }),
};

const CosineAnnealingLR: ScheduleDef = {
  name: 'CosineAnnealingLR',
  origin: 'PyTorch',
  doc: 'eta_min + (lr - eta_min)(1 + cos(pi t / T_max))/2; past T_max the cosine continues (back up), as in PyTorch.',
  params: [{ name: 'T_max', kind: 'number', min: 0, openMin: true, example: 200, doc: 'half period, in steps' }, etaMin],
  code: (p, { T, B, out }) => {
    const m = lit(n(p, 'eta_min'));
    return { before: `${out} = ${m} + (${B} - ${m}) * (1 + cos(pi * ${T} / ${lit(n(p, 'T_max'))})) / 2` };
  },
};

/** Cycle starts beyond this are never reached: t is exact in float32 only below 2^24. */
const T_LIMIT = 2 ** 24;

const CosineAnnealingWarmRestarts: ScheduleDef = {
  name: 'CosineAnnealingWarmRestarts',
  origin: 'PyTorch',
  doc: 'cosine annealing restarted after T_0 steps, each cycle T_mult times longer than the last (SGDR).',
  params: [
    { name: 'T_0', kind: 'int', min: 1, example: 50, doc: 'length of the first cycle, in steps' },
    { name: 'T_mult', kind: 'int', default: 1, min: 1, doc: 'growth factor of the cycle length' },
    etaMin,
  ],
  code: (p, { T, B, out, P }) => {
    const T0 = n(p, 'T_0');
    const mult = n(p, 'T_mult');
    const lines: string[] = [];
    if (mult === 1) {
      lines.push(`${P}s = ${lit(T0)} * ${idiv(T, T0)}`, `${P}i = ${lit(T0)}`);
    } else {
      // Cycle k starts at T_0 (T_mult^k - 1) / (T_mult - 1): exact integers, chosen by comparisons.
      lines.push(`${P}s = 0`, `${P}i = ${lit(T0)}`);
      let len = T0;
      for (let start = T0; start < T_LIMIT; start += len) {
        len *= mult;
        lines.push(`${P}s = ${T} >= ${lit(start)} ? ${lit(start)} : ${P}s`, `${P}i = ${T} >= ${lit(start)} ? ${lit(len)} : ${P}i`);
      }
    }
    const m = lit(n(p, 'eta_min'));
    lines.push(`${out} = ${m} + (${B} - ${m}) * (1 + cos(pi * (${T} - ${P}s) / ${P}i)) / 2`);
    return { before: lines.join('\n') };
  },
};

const CyclicLR: ScheduleDef = {
  name: 'CyclicLR',
  origin: 'PyTorch',
  doc: 'triangular cycles between base_lr and max_lr (Smith 2017); triangular2 halves the amplitude each cycle, exp_range scales it by gamma^t.',
  params: [
    { name: 'base_lr', kind: 'number', default: 'lr', min: 0, doc: "lower lr bound (default: the particle's lr)" },
    { name: 'max_lr', kind: 'number', min: 0, example: 0.5, doc: 'upper lr bound' },
    { name: 'step_size_up', kind: 'int', default: 2000, min: 1, doc: 'steps in the increasing half of a cycle' },
    { name: 'step_size_down', kind: 'int', default: null, min: 1, doc: 'steps in the decreasing half (default: step_size_up)' },
    { name: 'mode', kind: 'enum', default: 'triangular', options: ['triangular', 'triangular2', 'exp_range'], doc: 'amplitude policy' },
    gamma(1.0, 'exp_range: amplitude scale gamma^t'),
    ...cycleMomentum(0.8, 0.9),
  ],
  code: (p, ctx) => {
    const { T, out, mOut, P } = ctx;
    const up = n(p, 'step_size_up');
    const down = p.step_size_down === null ? up : n(p, 'step_size_down');
    const total = up + down;
    const base = lrOf(p, 'base_lr', ctx);
    const scale = p.mode === 'triangular' ? '1' : p.mode === 'triangular2' ? `0.5 ^ ${P}k` : `${lit(n(p, 'gamma'))} ^ ${T}`;
    const lines = [
      `${P}k = ${idiv(T, total)}`,
      `${P}x = ${T} - ${lit(total)} * ${P}k`,
      `${P}f = ${P}x <= ${lit(up)} ? ${P}x / ${lit(up)} : (${lit(total)} - ${P}x) / ${lit(down)}`,
      `${P}g = ${scale}`,
      `${out} = ${base} + (${lrOf(p, 'max_lr', ctx)} - ${base}) * ${P}f * ${P}g`,
    ];
    const cyc = cycles(p, ctx, 'CyclicLR');
    if (cyc) {
      const bm = lit(n(p, 'base_momentum'));
      const mm = lit(n(p, 'max_momentum'));
      lines.push(`${mOut} = ${mm} - (${mm} - ${bm}) * ${P}f * ${P}g`);
    }
    return { before: lines.join('\n'), cyclesMomentum: cyc };
  },
};

/** total_steps, or epochs * steps_per_epoch (PyTorch: one or the other). */
function oneCycleTotal(p: P): number {
  return p.total_steps === null ? n(p, 'epochs') * n(p, 'steps_per_epoch') : n(p, 'total_steps');
}

/** OneCycleLR's phases: [last step of the phase (float, as PyTorch computes it), lr from, lr to, momentum from, to]. */
function oneCyclePhases(p: P): { end: number; from: string; to: string; mFrom: string; mTo: string }[] {
  const total = oneCycleTotal(p);
  const pct = n(p, 'pct_start');
  if (p.three_phase) {
    return [
      { end: pct * total - 1, from: 'initial', to: 'max', mFrom: 'max_m', mTo: 'base_m' },
      { end: 2 * pct * total - 2, from: 'max', to: 'initial', mFrom: 'base_m', mTo: 'max_m' },
      { end: total - 1, from: 'initial', to: 'min', mFrom: 'max_m', mTo: 'max_m' },
    ];
  }
  return [
    { end: pct * total - 1, from: 'initial', to: 'max', mFrom: 'max_m', mTo: 'base_m' },
    { end: total - 1, from: 'max', to: 'min', mFrom: 'base_m', mTo: 'max_m' },
  ];
}

const OneCycleLR: ScheduleDef = {
  name: 'OneCycleLR',
  origin: 'PyTorch',
  doc: 'warm up from max_lr/div_factor to max_lr over pct_start of total_steps, then anneal to max_lr/(div_factor*final_div_factor) (fastai fit_one_cycle). Past total_steps (where PyTorch raises) the lr holds at its value at step total_steps - 1.',
  params: [
    { name: 'max_lr', kind: 'number', default: 'lr', min: 0, openMin: true, doc: "peak lr (default: the particle's lr)" },
    { name: 'total_steps', kind: 'int', default: null, min: 1, example: 300, doc: 'length of the cycle in steps (or give epochs and steps_per_epoch)' },
    { name: 'epochs', kind: 'int', default: 0, min: 0, doc: 'with steps_per_epoch: total_steps = epochs * steps_per_epoch' },
    { name: 'steps_per_epoch', kind: 'int', default: 0, min: 0, doc: 'see epochs' },
    { name: 'pct_start', kind: 'number', default: 0.3, min: 0, max: 1, doc: 'fraction of the cycle spent increasing the lr' },
    { name: 'anneal_strategy', kind: 'enum', default: 'cos', options: ['cos', 'linear'], doc: 'annealing curve' },
    ...cycleMomentum(0.85, 0.95),
    { name: 'div_factor', kind: 'number', default: 25, min: 0, openMin: true, doc: 'initial lr = max_lr / div_factor' },
    { name: 'final_div_factor', kind: 'number', default: 1e4, min: 0, openMin: true, doc: 'min lr = initial lr / final_div_factor' },
    { name: 'three_phase', kind: 'bool', default: false, doc: 'a third phase anneals from the initial lr to the min lr' },
  ],
  check: (p) => {
    if (p.total_steps === null && !(n(p, 'epochs') > 0 && n(p, 'steps_per_epoch') > 0)) {
      return 'give total_steps, or epochs and steps_per_epoch';
    }
    const phases = oneCyclePhases(p);
    let start = 0;
    for (const [k, ph] of phases.entries()) {
      if (!(ph.end > start)) return `phase ${k + 1} has no steps (it would end at step ${ph.end}): raise pct_start or total_steps`;
      start = ph.end;
    }
    return null;
  },
  code: (p, ctx) => {
    const { T, out, mOut, P } = ctx;
    const phases = oneCyclePhases(p);
    const anneal = (a: string, b: string, pct: string) =>
      p.anneal_strategy === 'cos' ? `${b} + (${a} - ${b}) / 2 * (cos(pi * ${pct}) + 1)` : `(${b} - ${a}) * ${pct} + ${a}`;
    const cyc = cycles(p, ctx, 'OneCycleLR');
    const lines = [
      `${P}max = ${lrOf(p, 'max_lr', ctx)}`,
      `${P}initial = ${P}max / ${lit(n(p, 'div_factor'))}`,
      `${P}min = ${P}initial / ${lit(n(p, 'final_div_factor'))}`,
      `${P}max_m = ${lit(n(p, 'max_momentum'))}`,
      `${P}base_m = ${lit(n(p, 'base_momentum'))}`,
      `${P}s = ${T} > ${lit(oneCycleTotal(p))} ? ${lit(oneCycleTotal(p) - 1)} : ${T}`,
    ];
    let start = 0;
    phases.forEach((ph, k) => {
      lines.push(`${P}p${k} = (${P}s - ${lit(start)}) / ${lit(ph.end - start)}`);
      lines.push(`${P}lr${k} = ${anneal(P + ph.from, P + ph.to, `${P}p${k}`)}`);
      if (cyc) lines.push(`${P}m${k} = ${anneal(P + ph.mFrom, P + ph.mTo, `${P}p${k}`)}`);
      start = ph.end;
    });
    // Phase k holds while step <= its end (a float): for integer steps, step <= floor(end).
    const last = phases.length - 1;
    lines.push(`${out} = ${P}lr${last}`);
    if (cyc) lines.push(`${mOut} = ${P}m${last}`);
    for (let k = last - 1; k >= 0; k--) {
      const cond = `${P}s <= ${lit(Math.floor(phases[k].end))}`;
      lines.push(`${out} = ${cond} ? ${P}lr${k} : ${out}`);
      if (cyc) lines.push(`${mOut} = ${cond} ? ${P}m${k} : ${mOut}`);
    }
    return { before: lines.join('\n'), cyclesMomentum: cyc };
  },
};

const LinearLR: ScheduleDef = {
  name: 'LinearLR',
  origin: 'PyTorch',
  doc: 'lr times a factor that goes linearly from start_factor to end_factor over total_iters steps (a warm-up).',
  params: [
    { name: 'start_factor', kind: 'number', default: 1 / 3, min: 0, max: 1, openMin: true, doc: 'factor at step 0' },
    { name: 'end_factor', kind: 'number', default: 1, min: 0, max: 1, doc: 'factor from total_iters on' },
    totalIters(5, 'steps of the linear ramp'),
  ],
  code: (p, { T, B, out }) => {
    const s = n(p, 'start_factor');
    const e = n(p, 'end_factor');
    const k = n(p, 'total_iters');
    return { before: `${out} = ${B} * (${lit(s)} + ${lit(e - s)} * min(${lit(k)}, ${T}) / ${lit(k)})` };
  },
};

const ConstantLR: ScheduleDef = {
  name: 'ConstantLR',
  origin: 'PyTorch',
  doc: 'lr * factor for the first total_iters steps, then lr.',
  params: [{ name: 'factor', kind: 'number', default: 1 / 3, min: 0, max: 1, doc: 'factor before total_iters' }, totalIters(5, 'steps at the reduced lr')],
  code: (p, { T, B, out }) => ({ before: `${out} = ${B} * (${T} < ${lit(n(p, 'total_iters'))} ? ${lit(n(p, 'factor'))} : 1)` }),
};

const PolynomialLR: ScheduleDef = {
  name: 'PolynomialLR',
  origin: 'PyTorch',
  doc: 'lr * (1 - min(t, total_iters)/total_iters)^power: reaches 0 at total_iters.',
  params: [totalIters(5, 'steps to reach 0'), { name: 'power', kind: 'number', default: 1, min: 0, doc: 'power of the polynomial' }],
  code: (p, { T, B, out }) => {
    const k = lit(n(p, 'total_iters'));
    return { before: `${out} = ${B} * (1 - min(${T}, ${k}) / ${k}) ^ ${lit(n(p, 'power'))}` };
  },
};

const InverseTimeDecay: ScheduleDef = {
  name: 'InverseTimeDecay',
  aliases: ['inverse_time'],
  origin: 'Keras (tf.keras.optimizers.schedules.InverseTimeDecay)',
  doc: 'lr / (1 + decay_rate * t / decay_steps): the 1/t decay of stochastic approximation.',
  params: [
    { name: 'decay_rate', kind: 'number', min: 0, example: 0.01, doc: 'k in lr / (1 + k t)' },
    { name: 'decay_steps', kind: 'number', default: 1, min: 0, openMin: true, doc: 'time unit of the decay' },
    { name: 'staircase', kind: 'bool', default: false, doc: 'decay in whole units of decay_steps' },
  ],
  code: (p, { T, B, out }) => {
    const d = n(p, 'decay_steps');
    const time = p.staircase && Number.isInteger(d) ? idiv(T, d) : p.staircase ? `floor(${T} / ${lit(d)})` : `${T} / ${lit(d)}`;
    return { before: `${out} = ${B} / (1 + ${lit(n(p, 'decay_rate'))} * ${time})` };
  },
};

const SineLR: ScheduleDef = {
  name: 'SineLR',
  aliases: ['sinusoidal'],
  origin: 'etascape (sinusoidal cyclic lr)',
  doc: 'base_lr + (max_lr - base_lr)(1 - cos(2 pi t / period))/2: a smooth cycle starting at base_lr.',
  params: [
    { name: 'base_lr', kind: 'number', default: 'lr', min: 0, doc: "lower lr bound (default: the particle's lr)" },
    { name: 'max_lr', kind: 'number', min: 0, example: 0.5, doc: 'upper lr bound' },
    { name: 'period', kind: 'number', min: 0, openMin: true, example: 100, doc: 'steps per cycle' },
  ],
  code: (p, ctx) => {
    const base = lrOf(p, 'base_lr', ctx);
    return { before: `${ctx.out} = ${base} + (${lrOf(p, 'max_lr', ctx)} - ${base}) * (1 - cos(2 * pi * ${ctx.T} / ${lit(n(p, 'period'))})) / 2` };
  },
};

const LRRangeTest: ScheduleDef = {
  name: 'LRRangeTest',
  aliases: ['lr_find'],
  origin: 'fastai (Learner.lr_find, SchedExp)',
  doc: 'the LR range test: start_lr * (end_lr/start_lr)^(t/num_it), an exponential sweep in one run.',
  params: [
    { name: 'start_lr', kind: 'number', default: 1e-7, min: 0, openMin: true, doc: 'lr at step 0' },
    { name: 'end_lr', kind: 'number', default: 10, min: 0, openMin: true, doc: 'lr at step num_it' },
    { name: 'num_it', kind: 'int', default: 100, min: 1, doc: 'steps from start_lr to end_lr' },
  ],
  code: (p, { T, out }) => ({
    before: `${out} = ${lit(n(p, 'start_lr'))} * ${lit(n(p, 'end_lr') / n(p, 'start_lr'))} ^ (${T} / ${lit(n(p, 'num_it'))})`,
  }),
};

/** Children of SequentialLR must have a closed form: PyTorch restarts each at its milestone. */
const SequentialLR: ScheduleDef = {
  name: 'SequentialLR',
  origin: 'PyTorch',
  doc: 'runs schedulers one after another: the k-th starts (from its own step 0 and the base lr) at milestone k-1.',
  params: [
    {
      name: 'schedulers',
      kind: 'schedules',
      example: 'LinearLR(start_factor=0.1, total_iters=20), CosineAnnealingLR(T_max=280)',
      doc: 'the schedules in order, e.g. [LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)]',
    },
    { name: 'milestones', kind: 'list', example: [20], doc: 'steps at which the next schedule takes over (one fewer than schedulers)' },
  ],
  check: (p) => {
    const kids = p.schedulers as { def: ScheduleDef }[];
    const ms = p.milestones as number[];
    if (kids.length < 1) return 'schedulers is empty';
    if (ms.length !== kids.length - 1) return `needs ${kids.length - 1} milestones for ${kids.length} schedulers, got ${ms.length}`;
    if (ms.some((m, k) => k > 0 && m < ms[k - 1])) return 'milestones must be increasing';
    const bad = kids.find((k) => k.def.stateful || k.def.name === 'SequentialLR');
    return bad ? `${bad.def.name} cannot be one of SequentialLR's schedulers` : null;
  },
  code: (p, ctx) => {
    const kids = p.schedulers as { def: ScheduleDef; params: P }[];
    const ms = p.milestones as number[];
    const { T, out, mOut, P } = ctx;
    const lines: string[] = [];
    const cyc: boolean[] = [];
    kids.forEach((k, j) => {
      const localT = j === 0 ? T : `${P}t${j}`;
      if (j > 0) lines.push(`${localT} = max(${T} - ${lit(ms[j - 1])}, 0)`);
      const code = k.def.code(k.params, { ...ctx, T: localT, out: `${P}v${j}`, mOut: `${P}w${j}`, P: `${P}c${j}_` });
      lines.push(code.before);
      cyc.push(!!code.cyclesMomentum);
    });
    const someCycle = cyc.some(Boolean);
    // Children that do not cycle momentum leave the optimizer's own value.
    const own = `${P}m_own`;
    if (someCycle) lines.push(`${own} = ${ctx.momentum}`);
    lines.push(`${out} = ${P}v0`);
    if (someCycle) lines.push(`${mOut} = ${cyc[0] ? `${P}w0` : own}`);
    for (let j = 1; j < kids.length; j++) {
      lines.push(`${out} = ${T} >= ${lit(ms[j - 1])} ? ${P}v${j} : ${out}`);
      if (someCycle) lines.push(`${mOut} = ${T} >= ${lit(ms[j - 1])} ? ${cyc[j] ? `${P}w${j}` : own} : ${mOut}`);
    }
    return { before: lines.join('\n'), cyclesMomentum: someCycle };
  },
};

const ReduceLROnPlateau: ScheduleDef = {
  name: 'ReduceLROnPlateau',
  origin: 'PyTorch',
  stateful: true,
  doc: "per particle, on its own loss: multiply the lr by factor after patience steps without improvement (PyTorch's rules for threshold, cooldown, min_lr, eps).",
  params: [
    { name: 'mode', kind: 'enum', default: 'min', options: ['min', 'max'], doc: 'improvement means a lower (min) or higher (max) loss' },
    { name: 'factor', kind: 'number', default: 0.1, min: 0, max: 1, openMax: true, doc: 'new lr = lr * factor' },
    { name: 'patience', kind: 'int', default: 10, min: 0, doc: 'steps without improvement tolerated' },
    { name: 'threshold', kind: 'number', default: 1e-4, min: 0, doc: 'minimum significant change' },
    { name: 'threshold_mode', kind: 'enum', default: 'rel', options: ['rel', 'abs'], doc: 'relative or absolute threshold' },
    { name: 'cooldown', kind: 'int', default: 0, min: 0, doc: 'steps to wait after a reduction' },
    { name: 'min_lr', kind: 'number', default: 0, min: 0, doc: 'lower bound on the lr' },
    { name: 'eps', kind: 'number', default: 1e-8, min: 0, doc: 'reductions smaller than eps are skipped' },
  ],
  code: (p, { B, out, P }) => {
    const th = n(p, 'threshold');
    const rel = p.threshold_mode === 'rel';
    const better =
      p.mode === 'min'
        ? rel
          ? `loss < ${P}best * ${lit(1 - th)}`
          : `loss < ${P}best - ${lit(th)}`
        : rel
          ? `loss > ${P}best * ${lit(1 + th)}`
          : `loss > ${P}best + ${lit(th)}`;
    const before = `${out} = t == 0 ? ${B} : ${P}lr`;
    // At t = 0 best is +-inf in PyTorch: every finite loss improves on it.
    const after = [
      `${P}better = t == 0 or ${better}`,
      `${P}best = ${P}better ? loss : ${P}best`,
      `${P}nb = ${P}better ? 0 : ${P}bad + 1`,
      `${P}incool = ${P}cool > 0`,
      `${P}cool = ${P}incool ? ${P}cool - 1 : ${P}cool`,
      `${P}nb = ${P}incool ? 0 : ${P}nb`,
      `${P}reduce = ${P}nb > ${lit(n(p, 'patience'))}`,
      `${P}new = max(${out} * ${lit(n(p, 'factor'))}, ${lit(n(p, 'min_lr'))})`,
      `${P}lr = ${P}reduce and ${out} - ${P}new > ${lit(n(p, 'eps'))} ? ${P}new : ${out}`,
      `${P}cool = ${P}reduce ? ${lit(n(p, 'cooldown'))} : ${P}cool`,
      `${P}bad = ${P}reduce ? 0 : ${P}nb`,
    ].join('\n');
    return { before, after, state: [`${P}lr`, `${P}best`, `${P}bad`, `${P}cool`] };
  },
};

const MAX_BRAKE_WINDOW = 16;

const GradNormBrake: ScheduleDef = {
  name: 'GradNormBrake',
  aliases: ['brake'],
  origin: 'lecture notes (scene 5, grad-norm-brake)',
  stateful: true,
  doc: 'cut the lr by factor when the gradient norm grows by more than ratio over window steps; the window then restarts. Growth slower than ratio^(1/window) per step goes unnoticed.',
  params: [
    { name: 'factor', kind: 'number', default: 0.5, min: 0, max: 1, openMin: true, openMax: true, doc: 'new lr = lr * factor at each brake' },
    { name: 'ratio', kind: 'number', default: 2, min: 1, openMin: true, doc: 'brake when |g_t| > ratio * |g_(t-window)|' },
    { name: 'window', kind: 'int', default: 5, min: 1, max: MAX_BRAKE_WINDOW, doc: 'steps over which the growth is measured' },
    { name: 'min_lr', kind: 'number', default: 0, min: 0, doc: 'lower bound on the lr' },
  ],
  code: (p, { B, out, P }) => {
    const w = n(p, 'window');
    const h = (k: number) => `${P}h${k}`; // h1: the last norm, hw: window steps ago
    // Until the window has filled, the history holds the first norm: growth is caught
    // from step 1 on, before a fast divergence runs off.
    const after = [
      `${P}brake = t > 0 and gnorm > ${lit(n(p, 'ratio'))} * ${h(w)}`,
      `${P}lr = ${P}brake ? max(${out} * ${lit(n(p, 'factor'))}, ${lit(n(p, 'min_lr'))}) : ${out}`,
      `${P}fill = ${P}brake or t == 0`,
    ];
    // Shift the history (oldest first, so each reads its neighbour's old value); a brake
    // fills it with the current norm, restarting the window.
    for (let k = w; k > 1; k--) after.push(`${h(k)} = ${P}fill ? gnorm : ${h(k - 1)}`);
    after.push(`${h(1)} = gnorm`);
    const state = [`${P}lr`, ...Array.from({ length: w }, (_, k) => h(k + 1))];
    return { before: `${out} = t == 0 ? ${B} : ${P}lr`, after: after.join('\n'), state };
  },
};

const CurvatureAdaptive: ScheduleDef = {
  name: 'CurvatureAdaptive',
  aliases: ['curvature'],
  origin: 'lecture notes (scene 6, curvature-adaptive)',
  stateful: true,
  doc: 'eta_t = min(max_lr, 2 s / rho_t), rho_t the top Hessian eigenvalue (in magnitude) by warm-started power iteration on Hessian-vector products.',
  params: [
    { name: 's', kind: 'number', default: 0.5, min: 0, max: 1, openMin: true, openMax: true, doc: 'safety factor: eta_t = 2 s / rho_t' },
    { name: 'iters', kind: 'int', default: 2, min: 1, max: 10, doc: 'power iterations per step' },
    { name: 'max_lr', kind: 'number', default: 'lr', min: 0, openMin: true, doc: "cap on the lr (default: the particle's lr)" },
  ],
  code: (p, ctx) => {
    const { out, P } = ctx;
    // Warm start from the last step's vector; the first starts off any axis.
    const lines = [`${P}ux = t == 0 ? 0.8 : ${P}vx`, `${P}uy = t == 0 ? 0.6 : ${P}vy`];
    for (let k = 0; k < n(p, 'iters'); k++) {
      lines.push(
        `${P}wx = hxx * ${P}ux + hxy * ${P}uy`,
        `${P}wy = hxy * ${P}ux + hyy * ${P}uy`,
        // Rayleigh quotient of the unit vector before this product.
        `${P}rq = abs(${P}ux * ${P}wx + ${P}uy * ${P}wy)`,
        `${P}wn = sqrt(${P}wx * ${P}wx + ${P}wy * ${P}wy)`,
        `${P}ux = ${P}wn > 0 ? ${P}wx / ${P}wn : ${P}ux`,
        `${P}uy = ${P}wn > 0 ? ${P}wy / ${P}wn : ${P}uy`,
      );
    }
    const cap = lrOf(p, 'max_lr', ctx);
    lines.push(`${out} = ${P}rq > 0 ? min(${cap}, ${lit(2 * n(p, 's'))} / ${P}rq) : ${cap}`);
    const after = [`${P}vx = ${P}ux`, `${P}vy = ${P}uy`, `${P}rho = ${P}rq`].join('\n');
    return { before: lines.join('\n'), after, state: [`${P}vx`, `${P}vy`, `${P}rho`], hessian: true };
  },
};

export const SCHEDULE_DEFS: ScheduleDef[] = [
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  OneCycleLR,
  LinearLR,
  ConstantLR,
  PolynomialLR,
  SequentialLR,
  ReduceLROnPlateau,
  InverseTimeDecay,
  SineLR,
  LRRangeTest,
  GradNormBrake,
  CurvatureAdaptive,
];
