// torch.optim.lr_scheduler replayed in float64, line by line from PyTorch 2.x: the
// chainable get_lr() forms that scheduler.step() uses (not our closed forms), the
// initial step of the constructor, and SequentialLR's restart of each child with
// step(0) (which uses _get_closed_form_lr where the class has one). One param group.

/** The keyword arguments of the schedulers replayed here (PyTorch's names). */
interface Params {
  step_size?: number;
  gamma?: number;
  milestones?: number[];
  T_max?: number;
  eta_min?: number;
  T_0?: number;
  T_mult?: number;
  base_lr?: number;
  max_lr?: number;
  step_size_up?: number;
  step_size_down?: number | null;
  mode?: string;
  cycle_momentum?: boolean;
  base_momentum?: number;
  max_momentum?: number;
  total_steps?: number | null;
  epochs?: number;
  steps_per_epoch?: number;
  pct_start?: number;
  anneal_strategy?: string;
  div_factor?: number;
  final_div_factor?: number;
  three_phase?: boolean;
  start_factor?: number;
  end_factor?: number;
  total_iters?: number;
  factor?: number;
  power?: number;
  schedulers?: TorchSpec[];
  patience?: number;
  threshold?: number;
  threshold_mode?: string;
  cooldown?: number;
  min_lr?: number;
  eps?: number;
}

/** A required argument, as Python's call would insist on it. */
function need<T>(v: T | undefined | null, name: string): T {
  if (v === undefined || v === null) throw new TypeError(`missing required argument '${name}'`);
  return v;
}

interface Group {
  lr: number;
  /** Set by the first scheduler constructed (setdefault), or overwritten by OneCycleLR. */
  initial_lr?: number;
  momentum?: number;
}

abstract class Scheduler {
  last_epoch = -1;
  base_lr: number;
  constructor(
    readonly group: Group,
    readonly p: Params,
  ) {
    group.initial_lr ??= group.lr; // LRScheduler.__init__: group.setdefault('initial_lr', group['lr'])
    this.base_lr = group.initial_lr;
  }
  abstract get_lr(): number;
  closed_form?(): number;
  initialStep(): void {
    this.step();
  }
  /** scheduler.step(), or step(epoch) (the deprecated form SequentialLR uses). */
  step(epoch?: number): void {
    if (epoch === undefined) {
      this.last_epoch += 1;
      this.group.lr = this.get_lr();
    } else {
      this.last_epoch = epoch;
      this.group.lr = this.closed_form ? this.closed_form() : this.get_lr();
    }
  }
}

class StepLR extends Scheduler {
  get_lr() {
    const { gamma = 0.1 } = this.p;
    const step_size = need(this.p.step_size, 'step_size');
    if (this.last_epoch === 0 || this.last_epoch % step_size !== 0) return this.group.lr;
    return this.group.lr * gamma;
  }
  override closed_form() {
    const { gamma = 0.1 } = this.p;
    const step_size = need(this.p.step_size, 'step_size');
    return this.base_lr * gamma ** Math.floor(this.last_epoch / step_size);
  }
}

class MultiStepLR extends Scheduler {
  get_lr() {
    const { gamma = 0.1 } = this.p;
    const count = need(this.p.milestones, 'milestones').filter((m) => m === this.last_epoch).length; // a Counter
    if (count === 0) return this.group.lr;
    return this.group.lr * gamma ** count;
  }
  override closed_form() {
    const { gamma = 0.1 } = this.p;
    const passed = need(this.p.milestones, 'milestones').filter((m) => m <= this.last_epoch).length; // bisect_right on sorted
    return this.base_lr * gamma ** passed;
  }
}

class ExponentialLR extends Scheduler {
  get_lr() {
    if (this.last_epoch === 0) return this.group.lr;
    return this.group.lr * need(this.p.gamma, 'gamma');
  }
  override closed_form() {
    return this.base_lr * need(this.p.gamma, 'gamma') ** this.last_epoch;
  }
}

class CosineAnnealingLR extends Scheduler {
  get_lr() {
    const { eta_min = 0 } = this.p;
    const T_max = need(this.p.T_max, 'T_max');
    const e = this.last_epoch;
    if (e === 0) return this.group.lr;
    if ((((e - 1 - T_max) % (2 * T_max)) + 2 * T_max) % (2 * T_max) === 0) {
      return this.group.lr + ((this.base_lr - eta_min) * (1 - Math.cos(Math.PI / T_max))) / 2;
    }
    return ((1 + Math.cos((Math.PI * e) / T_max)) / (1 + Math.cos((Math.PI * (e - 1)) / T_max))) * (this.group.lr - eta_min) + eta_min;
  }
  override closed_form() {
    const { eta_min = 0 } = this.p;
    const T_max = need(this.p.T_max, 'T_max');
    return eta_min + ((this.base_lr - eta_min) * (1 + Math.cos((Math.PI * this.last_epoch) / T_max))) / 2;
  }
}

class CosineAnnealingWarmRestarts extends Scheduler {
  T_i: number;
  T_cur = -1;
  constructor(group: Group, p: Params) {
    super(group, p);
    this.T_i = need(p.T_0, 'T_0');
  }
  get_lr() {
    const { eta_min = 0 } = this.p;
    return eta_min + ((this.base_lr - eta_min) * (1 + Math.cos((Math.PI * this.T_cur) / this.T_i))) / 2;
  }
  override step(epoch?: number) {
    const { T_mult = 1 } = this.p;
    const T_0 = need(this.p.T_0, 'T_0');
    if (epoch === undefined && this.last_epoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.last_epoch + 1;
      this.T_cur += 1;
      if (this.T_cur >= this.T_i) {
        this.T_cur -= this.T_i;
        this.T_i *= T_mult;
      }
    } else if (epoch >= T_0) {
      if (T_mult === 1) this.T_cur = epoch % T_0;
      else {
        const n = Math.floor(Math.log((epoch / T_0) * (T_mult - 1) + 1) / Math.log(T_mult));
        this.T_cur = epoch - (T_0 * (T_mult ** n - 1)) / (T_mult - 1);
        this.T_i = T_0 * T_mult ** n;
      }
    } else {
      this.T_i = T_0;
      this.T_cur = epoch;
    }
    this.last_epoch = Math.floor(epoch);
    this.group.lr = this.get_lr();
  }
}

class CyclicLR extends Scheduler {
  constructor(group: Group, p: Params) {
    // CyclicLR sets the group's lr to base_lr before LRScheduler.__init__ runs.
    const base = p.base_lr ?? group.lr;
    group.lr = base;
    super(group, p);
    this.base_lr = base;
  }
  get_lr() {
    const max_lr = need(this.p.max_lr, 'max_lr');
    const { step_size_up = 2000, mode = 'triangular', gamma = 1, base_momentum = 0.8, max_momentum = 0.9, cycle_momentum = true } = this.p;
    const down = this.p.step_size_down ?? step_size_up;
    const total_size = step_size_up + down;
    const step_ratio = step_size_up / total_size;
    const scale_fn = mode === 'triangular' ? () => 1 : mode === 'triangular2' ? (x: number) => 1 / 2 ** (x - 1) : (x: number) => gamma ** x;
    const scale_mode = mode === 'exp_range' ? 'iterations' : 'cycle';
    const cycle = Math.floor(1 + this.last_epoch / total_size);
    const x = 1 + this.last_epoch / total_size - cycle;
    const scale_factor = x <= step_ratio ? x / step_ratio : (x - 1) / (step_ratio - 1);
    const arg = scale_mode === 'cycle' ? cycle : this.last_epoch;
    const lr = this.base_lr + (max_lr - this.base_lr) * scale_factor * scale_fn(arg);
    if (cycle_momentum && this.group.momentum !== undefined) {
      this.group.momentum = max_momentum - (max_momentum - base_momentum) * scale_factor * scale_fn(arg);
    }
    return lr;
  }
}

class OneCycleLR extends Scheduler {
  constructor(group: Group, p: Params) {
    group.initial_lr = need(p.max_lr, 'max_lr') / (p.div_factor ?? 25); // OneCycleLR assigns it outright
    group.lr = group.initial_lr;
    super(group, p);
  }
  get_lr() {
    const p = this.p;
    const total = p.total_steps ?? need(p.epochs, 'epochs') * need(p.steps_per_epoch, 'steps_per_epoch');
    const pct = p.pct_start ?? 0.3;
    const max_lr = need(p.max_lr, 'max_lr');
    const initial = max_lr / (p.div_factor ?? 25);
    const min_lr = initial / (p.final_div_factor ?? 1e4);
    const max_m = p.max_momentum ?? 0.95;
    const base_m = p.base_momentum ?? 0.85;
    const phases = p.three_phase
      ? [
          { end: pct * total - 1, s: initial, e: max_lr, ms: max_m, me: base_m },
          { end: 2 * pct * total - 2, s: max_lr, e: initial, ms: base_m, me: max_m },
          { end: total - 1, s: initial, e: min_lr, ms: max_m, me: max_m },
        ]
      : [
          { end: pct * total - 1, s: initial, e: max_lr, ms: max_m, me: base_m },
          { end: total - 1, s: max_lr, e: min_lr, ms: base_m, me: max_m },
        ];
    const anneal =
      (p.anneal_strategy ?? 'cos') === 'cos'
        ? (a: number, b: number, f: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * f) + 1)
        : (a: number, b: number, f: number) => (b - a) * f + a;
    const step_num = this.last_epoch;
    if (step_num > total) throw new Error(`Tried to step ${step_num} times. The specified number of total steps is ${total}`);
    let start = 0;
    let lr = NaN;
    for (let i = 0; i < phases.length; i++) {
      const ph = phases[i];
      if (step_num <= ph.end || i === phases.length - 1) {
        const f = (step_num - start) / (ph.end - start);
        lr = anneal(ph.s, ph.e, f);
        if ((p.cycle_momentum ?? true) && this.group.momentum !== undefined) this.group.momentum = anneal(ph.ms, ph.me, f);
        break;
      }
      start = ph.end;
    }
    return lr;
  }
}

class LinearLR extends Scheduler {
  get_lr() {
    const { start_factor = 1 / 3, end_factor = 1, total_iters = 5 } = this.p;
    const e = this.last_epoch;
    if (e === 0) return this.group.lr * start_factor;
    if (e > total_iters) return this.group.lr;
    return this.group.lr * (1 + (end_factor - start_factor) / (total_iters * start_factor + (e - 1) * (end_factor - start_factor)));
  }
  override closed_form() {
    const { start_factor = 1 / 3, end_factor = 1, total_iters = 5 } = this.p;
    return this.base_lr * (start_factor + ((end_factor - start_factor) * Math.min(total_iters, this.last_epoch)) / total_iters);
  }
}

class ConstantLR extends Scheduler {
  get_lr() {
    const { factor = 1 / 3, total_iters = 5 } = this.p;
    const e = this.last_epoch;
    if (e === 0) return this.group.lr * factor;
    if (e !== total_iters) return this.group.lr;
    return this.group.lr * (1 / factor);
  }
  override closed_form() {
    const { factor = 1 / 3, total_iters = 5 } = this.p;
    return this.base_lr * (factor + (this.last_epoch >= total_iters ? 1 : 0) * (1 - factor));
  }
}

class PolynomialLR extends Scheduler {
  get_lr() {
    const { total_iters = 5, power = 1 } = this.p;
    const e = this.last_epoch;
    if (e === 0 || e > total_iters) return this.group.lr;
    const decay = ((1 - e / total_iters) / (1 - (e - 1) / total_iters)) ** power;
    return this.group.lr * decay;
  }
  override closed_form() {
    const { total_iters = 5, power = 1 } = this.p;
    return this.base_lr * (1 - Math.min(total_iters, this.last_epoch) / total_iters) ** power;
  }
}

const CLASSES: Record<string, new (g: Group, p: Params) => Scheduler> = {
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
};

export interface TorchSpec {
  name: string;
  params: Params;
}

function construct(group: Group, spec: TorchSpec): Scheduler {
  const s = new CLASSES[spec.name](group, spec.params);
  s.initialStep();
  return s;
}

/** The lr at optimizer steps 0 .. steps-1 (and the momentum, when the group has one). */
export function torchSchedule(spec: TorchSpec, lr: number, steps: number, momentum?: number): { lr: number[]; momentum: number[] } {
  const group: Group = { lr, momentum };
  const lrs: number[] = [];
  const ms: number[] = [];
  if (spec.name === 'SequentialLR') {
    const kids = need(spec.params.schedulers, 'schedulers').map((k) => construct(group, k));
    const milestones = need(spec.params.milestones, 'milestones');
    group.lr = group.initial_lr!;
    kids.forEach((k) => (k.last_epoch -= 1));
    kids[0].initialStep();
    let last = 0;
    for (let t = 0; t < steps; t++) {
      if (t > 0) {
        last += 1;
        const idx = milestones.filter((m) => m <= last).length;
        if (idx > 0 && milestones[idx - 1] === last) kids[idx].step(0);
        else kids[idx].step();
      }
      lrs.push(group.lr);
      ms.push(group.momentum ?? NaN);
    }
    return { lr: lrs, momentum: ms };
  }
  const s = construct(group, spec);
  for (let t = 0; t < steps; t++) {
    if (t > 0) s.step();
    lrs.push(group.lr);
    ms.push(group.momentum ?? NaN);
  }
  return { lr: lrs, momentum: ms };
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau, fed the losses one step at a time. */
export class TorchReduceLROnPlateau {
  best: number;
  num_bad_epochs = 0;
  cooldown_counter = 0;
  last_epoch = 0;
  readonly o: { mode: string; factor: number; patience: number; threshold: number; threshold_mode: string; cooldown: number; min_lr: number; eps: number };
  constructor(
    public lr: number,
    p: Params = {},
  ) {
    this.o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, threshold_mode: 'rel', cooldown: 0, min_lr: 0, eps: 1e-8, ...p };
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }
  private isBetter(a: number): boolean {
    const { mode, threshold_mode, threshold } = this.o;
    if (mode === 'min' && threshold_mode === 'rel') return a < this.best * (1 - threshold);
    if (mode === 'min') return a < this.best - threshold;
    if (threshold_mode === 'rel') return a > this.best * (threshold + 1);
    return a > this.best + threshold;
  }
  step(metric: number): void {
    this.last_epoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.num_bad_epochs = 0;
    } else this.num_bad_epochs += 1;
    if (this.cooldown_counter > 0) {
      this.cooldown_counter -= 1;
      this.num_bad_epochs = 0;
    }
    if (this.num_bad_epochs > this.o.patience) {
      const next = Math.max(this.lr * this.o.factor, this.o.min_lr);
      if (this.lr - next > this.o.eps) this.lr = next;
      this.cooldown_counter = this.o.cooldown;
      this.num_bad_epochs = 0;
    }
  }
}
