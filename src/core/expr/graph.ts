// A hash-consed expression graph: every distinct subexpression exists once, so the
// gradient and Hessian share work with the loss (common-subexpression elimination for
// free), and smart constructors fold constants as the graph is built.
// Long because the graph's smart constructors (the folding rules) and the differentiation
// rules must stay next to each other: each rule relies on what the constructors fold.

type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'log2'
  | 'log10'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'floor'
  | 'not';
type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'min' | 'max' | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne' | 'and' | 'or';
/** powi: integer power, exponent held in `n`. select: cond ? a : b. */
export type Op = UnaryOp | BinaryOp | 'powi' | 'select';

export type Node = NumNode | VarNode | CallNode;
export interface NumNode {
  kind: 'num';
  id: number;
  value: number;
}
export interface VarNode {
  kind: 'var';
  id: number;
  name: string;
}
interface CallNode {
  kind: 'call';
  id: number;
  op: Op;
  args: Node[];
  n?: number;
}

const BOOL_OPS: ReadonlySet<Op> = new Set(['lt', 'le', 'gt', 'ge', 'eq', 'ne', 'and', 'or', 'not']);
const COMMUTATIVE: ReadonlySet<Op> = new Set(['add', 'mul', 'min', 'max', 'eq', 'ne', 'and', 'or']);

export function isBool(node: Node): boolean {
  if (node.kind !== 'call') return false;
  if (node.op === 'select') return isBool(node.args[1]);
  return BOOL_OPS.has(node.op);
}

/** Pure numeric meaning of each op, shared by constant folding and the CPU interpreter. */
export function applyOp(op: Op, a: number, b = 0, c = 0, n = 0): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'neg':
      return -a;
    case 'powi':
      return powi(a, n);
    // WGSL's pow(x, y) is exp2(y*log2(x)): NaN for x < 0. The reference matches it.
    case 'pow':
      return a < 0 ? NaN : Math.pow(a, b);
    case 'exp':
      return Math.exp(a);
    case 'log':
      return Math.log(a);
    case 'log2':
      return Math.log2(a);
    case 'log10':
      return Math.log10(a);
    case 'sqrt':
      return Math.sqrt(a);
    case 'abs':
      return Math.abs(a);
    case 'sign':
      return a > 0 ? 1 : a < 0 ? -1 : 0;
    case 'floor':
      return Math.floor(a);
    case 'sin':
      return Math.sin(a);
    case 'cos':
      return Math.cos(a);
    case 'tan':
      return Math.tan(a);
    case 'atan':
      return Math.atan(a);
    case 'sinh':
      return Math.sinh(a);
    case 'cosh':
      return Math.cosh(a);
    case 'tanh':
      return Math.tanh(a);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-a));
    case 'softplus':
      return Math.max(a, 0) + Math.log(1 + Math.exp(-Math.abs(a)));
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
    case 'eq':
      return a === b ? 1 : 0;
    case 'ne':
      return a !== b ? 1 : 0;
    case 'and':
      return a !== 0 && b !== 0 ? 1 : 0;
    case 'or':
      return a !== 0 || b !== 0 ? 1 : 0;
    case 'not':
      return a === 0 ? 1 : 0;
    case 'select':
      return a !== 0 ? b : c;
  }
}

function powi(a: number, n: number): number {
  let r = 1;
  let base = a;
  let e = Math.abs(n);
  while (e > 0) {
    if (e & 1) r *= base;
    base *= base;
    e >>= 1;
  }
  return n < 0 ? 1 / r : r;
}

/** Largest integer exponent expanded into multiplications (beyond it, pow is used). */
const MAX_POWI = 64;

export class Graph {
  private readonly table = new Map<string, Node>();
  /** Ids of nodes that contain a NaN or infinite constant (see `finite`). */
  private readonly nonFinite = new Set<number>();
  private nextId = 0;
  /** Guard against expressions whose derivatives explode. */
  constructor(readonly maxNodes = 20000) {}

  get size(): number {
    return this.nextId;
  }

  private intern<T extends Node>(key: string, make: (id: number) => T): T {
    const found = this.table.get(key);
    if (found) return found as T;
    if (this.nextId >= this.maxNodes) {
      throw new RangeError(`expression too large: more than ${this.maxNodes} distinct subexpressions`);
    }
    const node = make(this.nextId++);
    this.table.set(key, node);
    return node;
  }

  num(value: number): NumNode {
    const v = Object.is(value, -0) ? 0 : value;
    const node = this.intern(`#${v}`, (id) => ({ kind: 'num', id, value: v }));
    if (!Number.isFinite(v)) this.nonFinite.add(node.id);
    return node;
  }

  /**
   * Whether the algebraic shortcuts (0·a = 0, a − a = 0, a/a = 1) may drop `a`: not when
   * `a` carries a NaN or infinite constant, which IEEE arithmetic would propagate
   * (0·(1/0) and (1/0) − (1/0) are NaN, so `0/0 + x^2` is NaN everywhere).
   */
  private finite(...nodes: Node[]): boolean {
    return nodes.every((n) => !this.nonFinite.has(n.id));
  }

  /** Both operands constant: the IEEE value of the operation, before any shortcut. */
  private constant(op: Op, a: Node, b: Node): Node | null {
    return a.kind === 'num' && b.kind === 'num' ? this.num(applyOp(op, a.value, b.value)) : null;
  }

  variable(name: string): VarNode {
    return this.intern(`$${name}`, (id) => ({ kind: 'var', id, name }));
  }

  private raw(op: Op, args: Node[], n?: number): Node {
    if (COMMUTATIVE.has(op) && args[0].id > args[1].id) args = [args[1], args[0]];
    if (args.every((a) => a.kind === 'num')) {
      const v = args.map((a) => (a as NumNode).value);
      return this.num(applyOp(op, v[0], v[1], v[2], n));
    }
    const key = `${op}${n ?? ''}(${args.map((a) => a.id).join(',')})`;
    const node = this.intern(key, (id) => ({ kind: 'call', id, op, args, ...(n === undefined ? {} : { n }) }));
    if (!this.finite(...args)) this.nonFinite.add(node.id);
    return node;
  }

  call(op: Op, ...args: Node[]): Node {
    switch (op) {
      case 'add':
        return this.add(args[0], args[1]);
      case 'sub':
        return this.sub(args[0], args[1]);
      case 'mul':
        return this.mul(args[0], args[1]);
      case 'div':
        return this.div(args[0], args[1]);
      case 'neg':
        return this.neg(args[0]);
      case 'pow':
        return this.pow(args[0], args[1]);
      case 'select':
        return this.select(args[0], args[1], args[2]);
      case 'powi':
        throw new Error('use powi()');
      default:
        return this.raw(op, args);
    }
  }

  add(a: Node, b: Node): Node {
    const c = this.constant('add', a, b);
    if (c) return c;
    if (isZero(a)) return b;
    if (isZero(b)) return a;
    const folded = this.foldConstants('add', a, b);
    if (folded) return folded;
    if (b.kind === 'call' && b.op === 'neg') return this.sub(a, b.args[0]);
    if (a.kind === 'call' && a.op === 'neg') return this.sub(b, a.args[0]);
    return this.raw('add', [a, b]);
  }

  sub(a: Node, b: Node): Node {
    const c = this.constant('sub', a, b);
    if (c) return c;
    if (isZero(b)) return a;
    if (isZero(a)) return this.neg(b);
    if (a === b && this.finite(a)) return this.num(0);
    if (b.kind === 'num' && !(a.kind === 'num')) {
      const folded = this.foldConstants('add', a, this.num(-b.value));
      if (folded) return folded;
    }
    // c1 - (c2 - x) = (c1 - c2) + x; c1 - (x + c2) = (c1 - c2) - x: e.g. 1 - (1 - b) is b.
    if (a.kind === 'num' && b.kind === 'call' && (b.op === 'sub' || b.op === 'add')) {
      const [u, v] = b.args;
      if (b.op === 'sub' && u.kind === 'num') return this.add(v, this.num(a.value - u.value));
      const k = u.kind === 'num' ? u : v.kind === 'num' ? v : null;
      if (b.op === 'add' && k) return this.sub(this.num(a.value - k.value), k === u ? v : u);
    }
    if (b.kind === 'call' && b.op === 'neg') return this.add(a, b.args[0]);
    return this.raw('sub', [a, b]);
  }

  mul(a: Node, b: Node): Node {
    const c = this.constant('mul', a, b);
    if (c) return c;
    if ((isZero(a) || isZero(b)) && this.finite(a, b)) return this.num(0);
    if (isNum(a, 1)) return b;
    if (isNum(b, 1)) return a;
    if (isNum(a, -1)) return this.neg(b);
    if (isNum(b, -1)) return this.neg(a);
    if (a === b) return this.powi(a, 2);
    // k * -x = (-k) * x: exact, and it lets constant chains fold through negations.
    if (a.kind === 'num' && b.kind === 'call' && b.op === 'neg') return this.mul(this.num(-a.value), b.args[0]);
    if (b.kind === 'num' && a.kind === 'call' && a.op === 'neg') return this.mul(a.args[0], this.num(-b.value));
    const folded = this.foldConstants('mul', a, b);
    if (folded) return folded;
    return this.raw('mul', [a, b]);
  }

  div(a: Node, b: Node): Node {
    const c = this.constant('div', a, b);
    if (c) return c;
    if (isZero(a) && this.finite(b)) return this.num(0);
    if (isNum(b, 1)) return a;
    if (a === b && this.finite(a)) return this.num(1);
    // Division by a constant is multiplication by its reciprocal, in both engines: GPU
    // compilers make that rewrite on their own (fast math), so we define it that way.
    if (b.kind === 'num' && b.value !== 0 && Number.isFinite(1 / b.value)) return this.mul(a, this.num(1 / b.value));
    return this.raw('div', [a, b]);
  }

  /**
   * (x op c1) op c2 -> x op (c1 op c2) for op in {+, *} (and x - c as x + (-c)). GPU
   * compilers reassociate constant chains on their own (fast math): the graph does it
   * first, so both engines round the same single constant.
   */
  private foldConstants(op: 'add' | 'mul', a: Node, b: Node): Node | null {
    const [k, e] = a.kind === 'num' ? [a, b] : b.kind === 'num' ? [b, a] : [null, null];
    if (!k || e.kind !== 'call') return null;
    if (e.op === op) {
      const [u, v] = e.args;
      const inner = u.kind === 'num' ? u : v.kind === 'num' ? v : null;
      if (!inner) return null;
      const rest = inner === u ? v : u;
      const c = op === 'add' ? inner.value + k.value : inner.value * k.value;
      return op === 'add' ? this.add(rest, this.num(c)) : this.mul(rest, this.num(c));
    }
    if (op === 'add' && e.op === 'sub') {
      const [u, v] = e.args;
      // (u - c1) + c2 = u + (c2 - c1); (c1 - v) + c2 = (c1 + c2) - v
      if (v.kind === 'num') return this.add(u, this.num(k.value - v.value));
      if (u.kind === 'num') return this.sub(this.num(u.value + k.value), v);
    }
    return null;
  }

  neg(a: Node): Node {
    if (a.kind === 'call' && a.op === 'neg') return a.args[0];
    if (a.kind === 'call' && a.op === 'mul') {
      const [u, v] = a.args;
      if (u.kind === 'num') return this.mul(this.num(-u.value), v);
      if (v.kind === 'num') return this.mul(u, this.num(-v.value));
    }
    return this.raw('neg', [a]);
  }

  powi(a: Node, n: number): Node {
    if (n === 0) return this.num(1);
    if (n === 1) return a;
    if (a.kind === 'call' && a.op === 'powi' && Math.abs(a.n! * n) <= MAX_POWI) return this.powi(a.args[0], a.n! * n);
    return this.raw('powi', [a], n);
  }

  pow(a: Node, b: Node): Node {
    if (b.kind === 'num' && Number.isInteger(b.value) && Math.abs(b.value) <= MAX_POWI) return this.powi(a, b.value);
    if (b.kind === 'num' && b.value === 0.5) return this.raw('sqrt', [a]);
    return this.raw('pow', [a, b]);
  }

  select(cond: Node, a: Node, b: Node): Node {
    if (cond.kind === 'num') return cond.value !== 0 ? a : b;
    if (a === b) return a;
    return this.raw('select', [cond, a, b]);
  }
}

function isZero(n: Node): boolean {
  return n.kind === 'num' && n.value === 0;
}
function isNum(n: Node, v: number): boolean {
  return n.kind === 'num' && n.value === v;
}

/** Symbolic derivative d(node)/d(name), built in the same graph (memoised per call). */
export function differentiate(g: Graph, root: Node, name: string): Node {
  const memo = new Map<number, Node>();
  const d = (node: Node): Node => {
    const hit = memo.get(node.id);
    if (hit) return hit;
    const r = rule(node);
    memo.set(node.id, r);
    return r;
  };
  const rule = (node: Node): Node => {
    if (node.kind === 'num') return g.num(0);
    if (node.kind === 'var') return g.num(node.name === name ? 1 : 0);
    const [a, b, c] = node.args;
    switch (node.op) {
      case 'add':
        return g.add(d(a), d(b));
      case 'sub':
        return g.sub(d(a), d(b));
      case 'mul':
        return g.add(g.mul(d(a), b), g.mul(a, d(b)));
      case 'div': {
        const db = d(b);
        const da = d(a);
        if (isZero(db)) return g.div(da, b);
        return g.sub(g.div(da, b), g.div(g.mul(a, db), g.powi(b, 2)));
      }
      case 'neg':
        return g.neg(d(a));
      case 'powi': {
        const n = node.n!;
        return g.mul(g.mul(g.num(n), g.powi(a, n - 1)), d(a));
      }
      case 'pow': {
        const da = d(a);
        const db = d(b);
        if (isZero(db)) return g.mul(g.mul(b, g.pow(a, g.sub(b, g.num(1)))), da);
        return g.mul(node, g.add(g.mul(db, g.call('log', a)), g.div(g.mul(b, da), a)));
      }
      case 'exp':
        return g.mul(node, d(a));
      case 'log':
        return g.div(d(a), a);
      case 'log2':
        return g.div(d(a), g.mul(a, g.num(Math.LN2)));
      case 'log10':
        return g.div(d(a), g.mul(a, g.num(Math.LN10)));
      case 'sqrt':
        return g.div(d(a), g.mul(g.num(2), node));
      case 'abs':
        return g.mul(g.call('sign', a), d(a));
      case 'sign':
        return g.num(0);
      case 'floor':
        return g.num(0);
      case 'sin':
        return g.mul(g.call('cos', a), d(a));
      case 'cos':
        return g.neg(g.mul(g.call('sin', a), d(a)));
      case 'tan':
        return g.mul(g.add(g.num(1), g.powi(node, 2)), d(a));
      case 'atan':
        return g.div(d(a), g.add(g.num(1), g.powi(a, 2)));
      case 'sinh':
        return g.mul(g.call('cosh', a), d(a));
      case 'cosh':
        return g.mul(g.call('sinh', a), d(a));
      case 'tanh':
        return g.mul(g.sub(g.num(1), g.powi(node, 2)), d(a));
      case 'sigmoid':
        return g.mul(g.mul(node, g.sub(g.num(1), node)), d(a));
      case 'softplus':
        return g.mul(g.call('sigmoid', a), d(a));
      // At a tie, min and max follow their first argument (a subgradient).
      case 'min':
        return g.select(g.call('le', a, b), d(a), d(b));
      case 'max':
        return g.select(g.call('ge', a, b), d(a), d(b));
      case 'select':
        return g.select(a, d(b), d(c));
      default:
        throw new Error(`cannot differentiate the comparison '${node.op}'`);
    }
  };
  return d(root);
}
