// A learning-rate schedule is one small definition: its parameters (PyTorch's names and
// defaults) and code in the expression language that gives the lr used at optimizer
// step t. The code is compiled into the optimizer's program, so the WGSL kernel and the
// CPU reference run the same schedule per particle per step.

type ParamKind = 'number' | 'int' | 'bool' | 'list' | 'enum' | 'schedules';

export interface ScheduleParam {
  name: string;
  kind: ParamKind;
  /**
   * Leave out for a required parameter; 'lr' means the particle's own learning rate,
   * null PyTorch's None (the definition says what it stands for).
   */
  default?: number | boolean | string | number[] | 'lr' | null;
  min?: number;
  max?: number;
  openMin?: boolean;
  openMax?: boolean;
  /** The choices of an enum parameter. */
  options?: string[];
  /** A value to start from where the parameter is required (the page's pickers). */
  example?: number | number[] | string;
  doc: string;
}

/** A parameter's value once defaults are filled in; null stands for the particle's lr, or None. */
export type ParamValue = number | boolean | string | number[] | ResolvedSchedule[] | null;

export interface ResolvedSchedule {
  def: ScheduleDef;
  params: Record<string, ParamValue>;
}

/** Where the generated code reads and writes. */
export interface CodeContext {
  /** Name of the step counter (the local one inside SequentialLR). */
  T: string;
  /** Name of the base learning rate (the particle's lr, or its lr_y). */
  B: string;
  /** Name the code assigns the lr to. */
  out: string;
  /** Name the code assigns the momentum to when it cycles momentum. */
  mOut: string;
  /** Unique prefix for temporaries. */
  P: string;
  /** The optimizer's momentum-like hyperparameter ('momentum' or 'beta1'), null if none. */
  momentum: string | null;
  /** Code for the lr alone (no optimizer): momentum is not cycled. */
  standalone: boolean;
}

export interface ScheduleCode {
  /** Assignments run before the optimizer's update: assign ctx.out. */
  before: string;
  /** Assignments run after it (scheduler.step() of stateful schedules). */
  after?: string;
  /** Per-particle state slots (zero at the start), names already prefixed. */
  state?: string[];
  /** Reads the Hessian (hxx, hxy, hyy) at the current point. */
  hessian?: boolean;
  /** Assigns ctx.mOut. */
  cyclesMomentum?: boolean;
}

export interface ScheduleDef {
  /** PyTorch's class name (or the name in the library it comes from). */
  name: string;
  aliases?: string[];
  /** Where the semantics come from. */
  origin: string;
  doc: string;
  params: ScheduleParam[];
  /** Needs the run (loss, gradient, Hessian): no lr(t) on its own, not inside SequentialLR. */
  stateful?: boolean;
  /** Cross-parameter rules; returns the problem. */
  check?: (p: Record<string, ParamValue>) => string | null;
  code: (p: Record<string, ParamValue>, ctx: CodeContext) => ScheduleCode;
}

/** A constant as expression text; full float64 precision (the graph folds in float64). */
export function lit(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`non-finite schedule constant ${v}`);
  return v < 0 ? `(${v})` : String(v);
}
