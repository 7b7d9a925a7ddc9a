// A small strict flag parser: `--name value`, `--name=value`, bare boolean flags
// (`--nesterov`, `--nesterov=false`, `--nesterov false`). Dashes and underscores in
// flag names are interchangeable (`--lr-min` = `--lr_min`, `--weight-decay` =
// `--weight_decay`). Every problem is a UsageError naming the flag.

/** A mistake in the command line: reported as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagKind =
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
  | 'strings';

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
  /** For 'number': whether min itself is excluded. */
  openMin?: boolean;
  /** Shown in the usage text. */
  defaultText?: string;
}

export type FlagValue = string | number | boolean | number[] | string[];
export type ParsedFlags = Map<string, FlagValue>;

export const flagKey = (name: string): string => name.replace(/^-+/, '').replace(/-/g, '_').toLowerCase();

/** Parses a number the strict way: Number() of the trimmed text, finite, not empty. */
export function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new UsageError(`${what}: expected a finite number, got '${text}'`);
  return v;
}

export function parseNumberList(text: string, what: string, arity: number, example: string): number[] {
  const parts = text.split(',');
  if (parts.length !== arity) {
    throw new UsageError(`${what}: expected ${arity} comma-separated numbers (e.g. ${example}), got '${text}'`);
  }
  return parts.map((p) => {
    const t = p.trim();
    const v = t === '' ? NaN : Number(t);
    if (!Number.isFinite(v)) throw new UsageError(`${what}: '${p}' is not a finite number (expected ${example}), in '${text}'`);
    return v;
  });
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const what = `--${spec.name}`;
  switch (spec.kind) {
    case 'string':
    case 'strings':
      if (raw === '') throw new UsageError(`${what}: the value is empty`);
      return raw;
    case 'number': {
      const v = parseNumber(raw, what);
      if (spec.min !== undefined && (spec.openMin ? v <= spec.min : v < spec.min)) {
        throw new UsageError(`${what} must be ${spec.openMin ? '>' : '>='} ${spec.min}, got ${raw}`);
      }
      return v;
    }
    case 'int': {
      const v = parseNumber(raw, what);
      if (!Number.isInteger(v)) throw new UsageError(`${what}: expected a whole number, got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`${what} must be >= ${spec.min}, got ${raw}`);
      return v;
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
  const out: ParsedFlags = new Map();
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
    if (spec.kind === 'strings') out.set(key, [...((out.get(key) as string[] | undefined) ?? []), value as string]);
    else out.set(key, value);
  }
  return out;
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
export function formatFlags(specs: FlagSpec[], indent = '  '): string {
  const left = specs.map((s) => {
    if (s.kind === 'bool') return `--${s.name}`;
    return `--${s.name} ${s.meta ?? (s.kind === 'int' || s.kind === 'number' ? 'N' : 'VALUE')}`;
  });
  const width = Math.min(34, Math.max(...left.map((l) => l.length)) + 2);
  return specs
    .map((s, i) => {
      const d = s.defaultText !== undefined ? ` (default ${s.defaultText})` : '';
      const l = left[i];
      return l.length + 2 > width ? `${indent}${l}\n${indent}${' '.repeat(width)}${s.help}${d}` : `${indent}${l.padEnd(width)}${s.help}${d}`;
    })
    .join('\n');
}
