// A small strict flag parser: `--name value`, `--name=value`, bare boolean flags
// (`--nesterov`, `--nesterov=false`, `--nesterov false`). Dashes and underscores in
// flag names are interchangeable (`--lr-min` = `--lr_min`, `--weight-decay` =
// `--weight_decay`). Every problem is a UsageError naming the flag. A command declares
// its flags once, as a schema (defineFlags): parseSchema gives their typed values and
// formatFlags their usage lines.

import { float32Problem } from '../core/float32';

/** A mistake in the command line: reported as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type FlagKind =
  /** Free text. */
  | 'string'
  /** A finite number. */
  | 'number'
  /** A whole number (>= min when given). */
  | 'int'
  /** Present or absent; `=true/false` or a following `true/false` also accepted. */
  | 'bool'
  /** Comma-separated finite numbers, `arity` of them. */
  | 'numbers'
  /** Free text, repeatable: all values are kept. */
  | 'strings'
  /** One of `choices` (case-insensitive); the value is the choice as declared. */
  | 'choice';

export type FlagValue = string | number | boolean | number[] | string[];

export interface FlagSpec {
  /** As written on the command line, without the dashes (e.g. 'lr-min', 'weight_decay'). */
  name: string;
  kind: FlagKind;
  help: string;
  /** Placeholder in the usage text. */
  meta?: string;
  /** For 'numbers': how many values. */
  arity?: number;
  /** For 'int' and 'number': the smallest value allowed. */
  min?: number;
  /** For 'int' and 'number': the largest value allowed (a budget), and why (for the message). */
  max?: number;
  maxWhy?: string;
  /** For 'number': whether min itself is excluded. */
  openMin?: boolean;
  /** For 'choice': the values allowed. */
  choices?: readonly string[];
  /** For 'string': the file name extensions allowed (e.g. ['.csv', '.json']). */
  ext?: readonly string[];
  /** The value when the flag is absent; shown in the usage text unless defaultText is given. */
  default?: string | number | boolean | readonly number[];
  /** Shown in the usage text as the default. */
  defaultText?: string;
  /** The message when the flag is absent: it is required. */
  required?: string;
}

/** A command's own flags, by the name its code reads them under. Declaration order is usage order. */
export type FlagSchema = Readonly<Record<string, FlagSpec>>;

type ValueOf<F extends FlagSpec> = F['kind'] extends 'bool'
  ? boolean
  : F['kind'] extends 'number' | 'int'
    ? number
    : F['kind'] extends 'numbers'
      ? number[]
      : F['kind'] extends 'strings'
        ? string[]
        : F extends { choices: readonly (infer C)[] }
          ? C
          : string;

/** The parsed values of a schema: flags with a default or required are always there. */
export type FlagValues<S extends FlagSchema> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } | { required: string } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** Declares a schema, keeping its literal kinds and choices for FlagValues. */
export const defineFlags = <const S extends FlagSchema>(schema: S): S => schema;

/** The schema without some of its flags. */
export function omitFlags<S extends FlagSchema, K extends keyof S>(schema: S, ...keys: K[]): Omit<S, K> {
  const out: Record<string, FlagSpec> = { ...schema };
  for (const k of keys) delete out[k as string];
  return out as Omit<S, K>;
}

/** The flags parsed from a command line, by key (flagKey of the name). */
export class ParsedFlags {
  private readonly values = new Map<string, FlagValue>();

  has(key: string): boolean {
    return this.values.has(key);
  }
  get(key: string): FlagValue | undefined {
    return this.values.get(key);
  }
  set(key: string, value: FlagValue): void {
    this.values.set(key, value);
  }
  /** The value of a flag of a known kind (a mismatch is a bug in a schema, not a usage error). */
  number(key: string): number | undefined {
    return this.typed(key, 'number', (v): v is number => typeof v === 'number');
  }
  bool(key: string): boolean | undefined {
    return this.typed(key, 'boolean', (v): v is boolean => typeof v === 'boolean');
  }
  string(key: string): string | undefined {
    return this.typed(key, 'string', (v): v is string => typeof v === 'string');
  }
  numbers(key: string): number[] | undefined {
    return this.typed(key, 'list of numbers', (v): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number'));
  }
  strings(key: string): string[] | undefined {
    return this.typed(key, 'list of strings', (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'));
  }
  private typed<T extends FlagValue>(key: string, what: string, is: (v: FlagValue) => v is T): T | undefined {
    const v = this.values.get(key);
    if (v === undefined || is(v)) return v;
    throw new TypeError(`flag '${key}' holds ${JSON.stringify(v)}, not a ${what}`);
  }
}

export const flagKey = (name: string): string => name.replace(/^-+/, '').replace(/-/g, '_').toLowerCase();

/** Parses a number the strict way: Number() of the trimmed text, finite, not empty. */
function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new UsageError(`${what}: expected a finite number, got '${text}'`);
  return v;
}

/** parseNumber, for a value the engines compute with: refused where float32 cannot hold it. */
export function parseFloat32(text: string, what: string): number {
  const v = parseNumber(text, what);
  const problem = float32Problem(what, v);
  if (problem) throw new UsageError(problem);
  return v;
}

function parseNumberList(text: string, what: string, arity: number, example: string): number[] {
  const parts = text.split(',');
  if (parts.length !== arity) {
    throw new UsageError(`${what}: expected ${arity} comma-separated numbers (e.g. ${example}), got '${text}'`);
  }
  return parts.map((p) => {
    const t = p.trim();
    const v = t === '' ? NaN : Number(t);
    if (!Number.isFinite(v)) throw new UsageError(`${what}: '${p}' is not a finite number (expected ${example}), in '${text}'`);
    const problem = float32Problem(`${what} value`, v);
    if (problem) throw new UsageError(problem);
    return v;
  });
}

/** A file name's extension as node:path's (POSIX) extname gives it, lower-cased ('' for '.bashrc'). */
function extension(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** v, unless it is over the flag's budget (spec.max): then a usage error naming the bound and why. */
function atMost(spec: FlagSpec, v: number, what: string, raw: string): number {
  if (spec.max !== undefined && v > spec.max) throw new UsageError(`${what} must be at most ${spec.max}${spec.maxWhy ? ` (${spec.maxWhy})` : ''}, got ${raw}`);
  return v;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const what = `--${spec.name}`;
  switch (spec.kind) {
    case 'string':
    case 'strings': {
      if (raw === '') throw new UsageError(`${what}: the value is empty`);
      const ext = spec.ext;
      if (ext && !ext.includes(extension(raw))) {
        throw new UsageError(`${what}: the file name must end in ${ext.join(' or ')}, got '${raw}'`);
      }
      return raw;
    }
    case 'choice': {
      const choices = spec.choices ?? [];
      const t = raw.trim().toLowerCase();
      const c = choices.find((x) => x.toLowerCase() === t);
      if (c === undefined) throw new UsageError(`${what}: expected ${choices.join(' or ')}, got '${raw}'`);
      return c;
    }
    case 'number': {
      const v = parseFloat32(raw, what);
      if (spec.min !== undefined && (spec.openMin ? v <= spec.min : v < spec.min)) {
        throw new UsageError(`${what} must be ${spec.openMin ? '>' : '>='} ${spec.min}, got ${raw}`);
      }
      return atMost(spec, v, what, raw);
    }
    case 'int': {
      const v = parseNumber(raw, what);
      if (!Number.isInteger(v)) throw new UsageError(`${what}: expected a whole number, got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`${what} must be >= ${spec.min}, got ${raw}`);
      return atMost(spec, v, what, raw);
    }
    case 'bool': {
      const t = raw.trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw new UsageError(`${what} is a flag: give it alone, or as ${what}=true / ${what}=false, got '${raw}'`);
    }
    case 'numbers': {
      const n = spec.arity ?? 2;
      return parseNumberList(raw, what, n, spec.meta ?? Array.from({ length: n }, (_, i) => i + 1).join(','));
    }
  }
}

export interface ParseOptions {
  /** Called for a flag not in `specs`: may return a better message (or null for the generic one). */
  unknown?: (name: string) => string | null;
}

/**
 * Parses `argv` (the arguments after the command name). No positional arguments.
 * `--help`/`-h` anywhere sets 'help'.
 */
export function parseFlags(argv: string[], specs: FlagSpec[], opts: ParseOptions = {}): ParsedFlags {
  const byKey = new Map(specs.map((s) => [flagKey(s.name), s]));
  const out = new ParsedFlags();
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--help' || tok === '-h') {
      out.set('help', true);
      continue;
    }
    if (!tok.startsWith('--') || tok === '--') {
      if (/^-[^\d.]/.test(tok)) throw new UsageError(`unknown flag '${tok}' (flags are written --name)`);
      throw new UsageError(`unexpected argument '${tok}' (every value follows its --flag)`);
    }
    const eq = tok.indexOf('=');
    const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
    const spec = byKey.get(flagKey(name));
    if (!spec) {
      const better = opts.unknown?.(name);
      throw new UsageError(better ?? `unknown flag '--${name}' (see --help)`);
    }
    const key = flagKey(spec.name);
    if (out.has(key) && spec.kind !== 'strings') throw new UsageError(`--${spec.name} is given more than once`);
    let raw: string;
    if (eq >= 0) {
      raw = tok.slice(eq + 1);
    } else if (spec.kind === 'bool') {
      const next = argv[i + 1]?.toLowerCase();
      if (next === 'true' || next === 'false') {
        raw = next;
        i++;
      } else {
        raw = 'true';
      }
    } else {
      const next = argv[i + 1];
      // A value may start with one dash (-1.5,2), never with two (the next flag).
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`missing value for --${spec.name} (expected ${spec.meta ?? spec.kind})`);
      }
      raw = next;
      i++;
    }
    const value = convert(spec, raw);
    if (typeof value === 'string' && spec.kind === 'strings') out.set(key, [...(out.strings(key) ?? []), value]);
    else out.set(key, value);
  }
  return out;
}

/**
 * Parses argv against a command's schema and further flags (an optimizer's or a
 * schedule's, read from the ParsedFlags by key). `--help` skips the required checks.
 */
export function parseSchema<S extends FlagSchema>(
  argv: string[],
  schema: S,
  more: FlagSpec[] = [],
  opts: ParseOptions = {},
): { values: FlagValues<S>; parsed: ParsedFlags; help: boolean } {
  const parsed = parseFlags(argv, [...Object.values(schema), ...more], opts);
  const help = parsed.has('help');
  const values: Record<string, FlagValue | undefined> = {};
  for (const [k, spec] of Object.entries(schema)) {
    const v = parsed.get(flagKey(spec.name));
    if (v === undefined && spec.required !== undefined && !help) throw new UsageError(spec.required);
    const d = spec.default;
    values[k] = v ?? (typeof d === 'object' ? [...d] : d);
  }
  return { values: values as FlagValues<S>, parsed, help };
}

/** The value of `--name` in argv before full parsing (to pick the optimizer's flags). */
export function peekFlag(argv: string[], name: string): string | undefined {
  const key = flagKey(name);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (!tok.startsWith('--')) continue;
    const eq = tok.indexOf('=');
    if (flagKey(eq >= 0 ? tok.slice(2, eq) : tok.slice(2)) !== key) continue;
    if (eq >= 0) return tok.slice(eq + 1);
    const next = argv[i + 1];
    return next === undefined || next.startsWith('--') ? undefined : next;
  }
  return undefined;
}

/** Usage lines for a list of flags, aligned. */
export function formatFlags(flags: FlagSpec[] | FlagSchema, indent = '  '): string {
  const specs = Array.isArray(flags) ? flags : Object.values(flags);
  const left = specs.map((s) => {
    if (s.kind === 'bool') return `--${s.name}`;
    const meta = s.meta ?? (s.kind === 'int' || s.kind === 'number' ? 'N' : s.kind === 'choice' ? s.choices?.join('|') : 'VALUE');
    return `--${s.name} ${meta}`;
  });
  const width = Math.min(34, Math.max(...left.map((l) => l.length)) + 2);
  return specs
    .map((s, i) => {
      const text = s.defaultText ?? (s.default === undefined ? undefined : String(s.default));
      const d = text !== undefined ? ` (default ${text})` : '';
      const l = left[i];
      return l.length + 2 > width ? `${indent}${l}\n${indent}${' '.repeat(width)}${s.help}${d}` : `${indent}${l.padEnd(width)}${s.help}${d}`;
    })
    .join('\n');
}
