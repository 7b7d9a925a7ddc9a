// The text form of a schedule, as a PyTorch user writes the constructor call:
//   StepLR(step_size=30, gamma=0.1)
//   SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])
// A small recursive-descent parser: the text is read, never evaluated.

export type ScheduleValue = number | boolean | string | number[] | ScheduleSpec[];

export interface ScheduleSpec {
  /** The schedule's name as written (resolved case-insensitively). */
  name: string;
  params: Record<string, ScheduleValue>;
}

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const MAX_SCHEDULE_TEXT = 2000;

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const near = this.s.slice(this.i, this.i + 12);
    throw new ScheduleError(`schedule text, column ${this.i + 1}: ${what}${near ? ` (at '${near}')` : ' (at the end)'}`);
  }

  skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  peek(): string {
    this.skip();
    return this.s[this.i] ?? '';
  }

  eat(c: string): boolean {
    if (this.peek() !== c) return false;
    this.i++;
    return true;
  }

  expect(c: string, what: string): void {
    if (!this.eat(c)) this.fail(`expected ${what}`);
  }

  word(): string | null {
    this.skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }

  number(): number | null {
    this.skip();
    const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) return null;
    this.i += m[0].length;
    return Number(m[0]);
  }
}

function readSpec(r: Reader, depth: number): ScheduleSpec {
  if (depth > 4) r.fail('schedules nested too deeply');
  const name = r.word();
  if (!name) r.fail('expected a schedule name such as StepLR');
  const params: Record<string, ScheduleValue> = {};
  if (r.eat('(')) {
    if (!r.eat(')')) {
      do {
        const key = r.word();
        if (!key) r.fail('expected a parameter name');
        if (Object.hasOwn(params, key)) r.fail(`parameter '${key}' given twice`);
        r.expect('=', `'=' after ${key}`);
        // An own property even for '__proto__', so that it reaches validation as an unknown argument.
        Object.defineProperty(params, key, { value: readValue(r, depth), enumerable: true, writable: true, configurable: true });
      } while (r.eat(','));
      r.expect(')', `',' or ')'`);
    }
  }
  return { name, params };
}

function readValue(r: Reader, depth: number): ScheduleValue {
  const c = r.peek();
  if (c === '[') {
    r.i++;
    if (r.eat(']')) return [];
    const items: (number | ScheduleSpec)[] = [];
    do items.push(/[A-Za-z_]/.test(r.peek()) ? readSpec(r, depth + 1) : readNumber(r));
    while (r.eat(','));
    r.expect(']', `',' or ']'`);
    const specs = items.filter((x) => typeof x !== 'number');
    if (specs.length && specs.length !== items.length) r.fail('a list holds numbers or schedules, not both');
    return items as number[] | ScheduleSpec[];
  }
  if (c === "'" || c === '"') {
    r.i++;
    const end = r.s.indexOf(c, r.i);
    if (end < 0) r.fail('unterminated string');
    const text = r.s.slice(r.i, end);
    r.i = end + 1;
    return text;
  }
  if (/[A-Za-z_]/.test(c)) {
    const save = r.i;
    const w = r.word()!;
    if (w === 'True' || w === 'true') return true;
    if (w === 'False' || w === 'false') return false;
    if (w === 'None') r.fail('None: leave the parameter out for its default');
    if (r.peek() === '(') {
      r.i = save;
      r.fail('a schedule as a parameter goes in a list: schedulers=[...]');
    }
    return w; // a bare word: an option such as mode=triangular2
  }
  return readNumber(r);
}

function readNumber(r: Reader): number {
  const v = r.number();
  if (v === null) r.fail('expected a number, a list, a string or a schedule');
  return v;
}

/** Parses `Name(key=value, ...)` (or just `Name`). */
export function parseScheduleText(text: string): ScheduleSpec {
  if (text.length > MAX_SCHEDULE_TEXT) throw new ScheduleError(`schedule text longer than ${MAX_SCHEDULE_TEXT} characters`);
  const r = new Reader(text);
  if (r.peek() === '') throw new ScheduleError('schedule text is empty');
  const spec = readSpec(r, 0);
  if (r.peek() !== '') r.fail('unexpected text after the schedule');
  return spec;
}

/** A comma-separated list of schedules, as SequentialLR's schedulers (without the brackets). */
export function parseScheduleList(text: string): ScheduleSpec[] {
  const v = parseScheduleText(`SequentialLR(schedulers=[${text}])`).params.schedulers;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object')) throw new ScheduleError(`expected schedules such as LinearLR(total_iters=5), got '${text}'`);
  return v as ScheduleSpec[];
}

function formatValue(v: ScheduleValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  return `[${(v as (number | ScheduleSpec)[]).map((x) => (typeof x === 'number' ? String(x) : formatSchedule(x))).join(', ')}]`;
}

/** The text form; parseScheduleText(formatSchedule(s)) equals s. */
export function formatSchedule(s: ScheduleSpec): string {
  const args = Object.entries(s.params).map(([k, v]) => `${k}=${formatValue(v)}`);
  return args.length ? `${s.name}(${args.join(', ')})` : s.name;
}
