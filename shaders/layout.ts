// GPU data layouts described once: a `struct(...)` gives both the WGSL declaration and
// a typed writer/reader that follow WGSL's alignment and size rules (WGSL spec,
// "Memory layout": AlignOf/SizeOf of scalars, vectors, matrices, arrays, structs).
// Byte offsets are computed here and nowhere else; tests/unit/structs.test.ts checks
// them against offsets written out by hand from the spec.

import { f32Literal } from './codegen';

export type Scalar = 'f32' | 'u32' | 'i32';
type Vector = `vec${2 | 3 | 4}<${Scalar}>`;
type Matrix = `mat${2 | 3 | 4}x${2 | 3 | 4}<f32>`;
export interface ArrayType<E extends WgslType = WgslType> {
  readonly kind: 'array';
  readonly element: E;
  readonly length: number;
}
export type WgslType = Scalar | Vector | Matrix | ArrayType<WgslType> | Struct<Fields>;
export interface Fields {
  [name: string]: WgslType;
}

/** The TypeScript value of a WGSL type: vectors and matrices (column-major) as flat lists. */
type Value<T> = T extends Scalar
  ? number
  : T extends Vector | Matrix
    ? ArrayLike<number>
    : T extends ArrayType<infer E>
      ? ArrayLike<Value<E>>
      : T extends Struct<infer F>
        ? Values<F>
        : never;
export type Values<F extends Fields> = { [K in keyof F]: Value<F[K]> };

/** A fixed-size array, `array<E, length>`. */
export function array<E extends WgslType>(element: E, length: number): ArrayType<E> {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`an array needs a whole length >= 1, got ${length}`);
  return { kind: 'array', element, length };
}

/** How one type is laid out, written and read (built once per struct field). */
interface Layout {
  align: number;
  size: number;
  wgsl: string;
  write(view: DataView, at: number, v: unknown, path: string): void;
  read(view: DataView, at: number): unknown;
}

const roundUp = (k: number, n: number) => Math.ceil(n / k) * k;

function scalarLayout(s: Scalar): Layout {
  const write = {
    f32: (view: DataView, at: number, v: number) => view.setFloat32(at, v, true),
    u32: (view: DataView, at: number, v: number, path: string) => {
      if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`${path}: a u32 must be a whole number in 0 .. 2^32-1, got ${v}`);
      view.setUint32(at, v, true);
    },
    i32: (view: DataView, at: number, v: number, path: string) => {
      if (!(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) throw new RangeError(`${path}: an i32 must be a whole number in -2^31 .. 2^31-1, got ${v}`);
      view.setInt32(at, v, true);
    },
  }[s];
  const read = {
    f32: (view: DataView, at: number) => view.getFloat32(at, true),
    u32: (view: DataView, at: number) => view.getUint32(at, true),
    i32: (view: DataView, at: number) => view.getInt32(at, true),
  }[s];
  return {
    align: 4,
    size: 4,
    wgsl: s,
    write: (view, at, v, path) => {
      if (typeof v !== 'number') throw new TypeError(`${path}: expected a number, got ${v === undefined ? 'nothing' : typeof v}`);
      write(view, at, v, path);
    },
    read,
  };
}

/** `columns` vectors of `rows` scalars, each column `stride` bytes apart (a vector is one column). */
function columnsLayout(name: string, s: Scalar, columns: number, rows: number): Layout {
  const scalar = scalarLayout(s);
  const vecAlign = rows === 2 ? 8 : 16;
  const stride = roundUp(vecAlign, 4 * rows);
  const count = columns * rows;
  return {
    align: vecAlign,
    size: columns === 1 ? 4 * rows : columns * stride,
    wgsl: name,
    write: (view, at, v, path) => {
      const list = v as ArrayLike<number> | undefined;
      if (!list || typeof list !== 'object' || list.length !== count) throw new TypeError(`${path}: expected ${count} numbers for ${name}`);
      for (let c = 0; c < columns; c++) for (let r = 0; r < rows; r++) scalar.write(view, at + c * stride + 4 * r, list[c * rows + r], path);
    },
    read: (view, at) => {
      const out: number[] = [];
      for (let c = 0; c < columns; c++) for (let r = 0; r < rows; r++) out.push(scalar.read(view, at + c * stride + 4 * r) as number);
      return out;
    },
  };
}

function layoutOf(t: WgslType): Layout {
  if (t instanceof Struct) return t.layout;
  if (typeof t === 'object') {
    const e = layoutOf(t.element);
    const stride = roundUp(e.align, e.size);
    return {
      align: e.align,
      size: t.length * stride,
      wgsl: `array<${e.wgsl}, ${t.length}>`,
      write: (view, at, v, path) => {
        const list = v as ArrayLike<unknown> | undefined;
        if (!list || typeof list !== 'object' || list.length !== t.length) throw new TypeError(`${path}: expected ${t.length} elements`);
        for (let k = 0; k < t.length; k++) e.write(view, at + k * stride, list[k], `${path}[${k}]`);
      },
      read: (view, at) => Array.from({ length: t.length }, (_, k) => e.read(view, at + k * stride)),
    };
  }
  if (t === 'f32' || t === 'u32' || t === 'i32') return scalarLayout(t);
  const vec = /^vec([234])<(f32|u32|i32)>$/.exec(t);
  if (vec) return columnsLayout(t, vec[2] as Scalar, 1, Number(vec[1]));
  const mat = /^mat([234])x([234])<f32>$/.exec(t);
  if (mat) return columnsLayout(t, 'f32', Number(mat[1]), Number(mat[2]));
  throw new Error(`no layout for WGSL type '${t}'`);
}

export interface FieldLayout {
  name: string;
  type: WgslType;
  offset: number;
  size: number;
  align: number;
}

export interface StructOptions<F extends Fields> {
  /** A comment above each field in the WGSL declaration. */
  docs?: Partial<Record<keyof F, string>>;
  /** Bound as var<uniform>: checks the uniform address space's extra constraints. */
  uniform?: boolean;
}

export class Struct<F extends Fields> {
  readonly fields: readonly FieldLayout[];
  /** Byte offset of each field (derived: for reading arrays of this struct without allocating). */
  readonly offsets: { readonly [K in keyof F]: number };
  readonly size: number;
  readonly align: number;
  /** The WGSL `struct` declaration (nested structs are declared by `declarations`). */
  readonly wgsl: string;
  /** @internal */
  readonly layout: Layout;

  constructor(
    readonly name: string,
    spec: F,
    options: StructOptions<F> = {},
  ) {
    const fields: FieldLayout[] = [];
    const layouts: Layout[] = [];
    let end = 0;
    let align = 1;
    for (const [fieldName, type] of Object.entries(spec)) {
      if (!/^[A-Za-z]\w*$/.test(fieldName)) throw new Error(`struct ${name}: '${fieldName}' is not a WGSL field name`);
      const l = layoutOf(type);
      const offset = roundUp(l.align, end);
      fields.push({ name: fieldName, type, offset, size: l.size, align: l.align });
      layouts.push(l);
      end = offset + l.size;
      align = Math.max(align, l.align);
    }
    if (!fields.length) throw new Error(`struct ${name} has no fields`);
    this.fields = fields;
    this.offsets = Object.fromEntries(fields.map((f) => [f.name, f.offset])) as Struct<F>['offsets'];
    this.align = align;
    this.size = roundUp(align, end);
    if (options.uniform) {
      const problem = uniformProblem(this);
      if (problem) throw new Error(`struct ${name} cannot be a uniform: ${problem}`);
    }
    const docs = (options.docs ?? {}) as Record<string, string | undefined>;
    const lines = fields.map((f, k) => `${docs[f.name] ? `  // ${docs[f.name]}\n` : ''}  ${f.name}: ${layouts[k].wgsl},`);
    this.wgsl = `struct ${name} {\n${lines.join('\n')}\n}`;
    this.layout = {
      align,
      size: this.size,
      wgsl: name,
      write: (view, at, v, path) => {
        if (!v || typeof v !== 'object') throw new TypeError(`${path}: expected the fields of ${name}`);
        const values = v as Record<string, unknown>;
        fields.forEach((f, k) => layouts[k].write(view, at + f.offset, values[f.name], `${path}.${f.name}`));
      },
      read: (view, at) => Object.fromEntries(fields.map((f, k) => [f.name, layouts[k].read(view, at + f.offset)])),
    };
  }

  /** This struct's declaration after those of the structs it contains. */
  get declarations(): string {
    const seen = new Set<string>();
    const out: string[] = [];
    const visit = (s: Struct<Fields>) => {
      if (seen.has(s.name)) return;
      seen.add(s.name);
      for (const f of s.fields) {
        let t = f.type;
        while (typeof t === 'object' && !(t instanceof Struct)) t = t.element;
        if (t instanceof Struct) visit(t);
      }
      out.push(s.wgsl);
    };
    visit(this);
    return out.join('\n\n');
  }

  /** Writes every field (none may be left out) into `target` at `byteOffset`, or into a new buffer. */
  write(values: Values<F>, target: ArrayBuffer | DataView = new ArrayBuffer(this.size), byteOffset = 0): ArrayBuffer {
    const view = target instanceof DataView ? target : new DataView(target);
    if (byteOffset + this.size > view.byteLength)
      throw new RangeError(`${this.name} needs ${this.size} bytes at ${byteOffset}, the target holds ${view.byteLength}`);
    this.layout.write(view, byteOffset, values, this.name);
    return view.buffer as ArrayBuffer;
  }

  /** Reads every field at `byteOffset`. */
  read(source: ArrayBuffer | ArrayBufferView, byteOffset = 0): Values<F> {
    const view = ArrayBuffer.isView(source) ? new DataView(source.buffer, source.byteOffset, source.byteLength) : new DataView(source);
    if (byteOffset + this.size > view.byteLength)
      throw new RangeError(`${this.name} needs ${this.size} bytes at ${byteOffset}, the source holds ${view.byteLength}`);
    return this.layout.read(view, byteOffset) as Values<F>;
  }
}

export function struct<F extends Fields>(name: string, fields: F, options?: StructOptions<F>): Struct<F> {
  return new Struct(name, fields, options);
}

/**
 * What breaks the uniform address space's extra layout constraints (WGSL spec,
 * "Address Space Layout Constraints"), or null: arrays need a stride and offset that are
 * multiples of 16, nested structs an offset that is a multiple of 16 and 16-rounded room.
 */
function uniformProblem(s: Struct<Fields>): string | null {
  for (let k = 0; k < s.fields.length; k++) {
    const f = s.fields[k];
    const next = s.fields[k + 1];
    if (f.type instanceof Struct) {
      if (f.offset % 16) return `${f.name} (a struct) is at offset ${f.offset}, not a multiple of 16`;
      if (next && next.offset - f.offset < roundUp(16, f.size)) return `${next.name} follows the struct ${f.name} by less than ${roundUp(16, f.size)} bytes`;
      const inner = uniformProblem(f.type);
      if (inner) return `${f.name}: ${inner}`;
    } else if (typeof f.type === 'object') {
      const e = layoutOf(f.type.element);
      const stride = roundUp(e.align, e.size);
      if (stride % 16 || f.offset % 16) return `${f.name} (an array) has stride ${stride} at offset ${f.offset}: both must be multiples of 16`;
    }
  }
  return null;
}

/** WGSL `const` declarations of TypeScript values (one source for both languages). */
export function wgslConstants(values: Record<string, number>, type: Scalar = 'u32'): string {
  return Object.entries(values)
    .map(([name, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`constant name '${name}' is not UPPER_CASE`);
      return `const ${name}: ${type} = ${wgslLiteral(v, type)};`;
    })
    .join('\n');
}

function wgslLiteral(v: number, type: Scalar): string {
  if (type === 'f32') {
    if (!Number.isFinite(v)) throw new RangeError(`an f32 constant must be finite, got ${v}`);
    return f32Literal(v);
  }
  if (!Number.isInteger(v)) throw new RangeError(`a ${type} constant must be whole, got ${v}`);
  if (type === 'u32') {
    if (v < 0 || v > 0xffffffff) throw new RangeError(`a u32 constant must be in 0 .. 2^32-1, got ${v}`);
    return v > 0xffff ? `0x${v.toString(16)}u` : `${v}u`;
  }
  if (v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`an i32 constant must be in -2^31 .. 2^31-1, got ${v}`);
  return `${v}i`;
}
