// User text -> expression graph. mathjs does the parsing (and reports where the syntax
// breaks); we accept only a whitelist of node kinds, operators, functions and names,
// and build our own graph from them. Nothing is ever evaluated as code.

import {
  create,
  parseDependencies,
  type AssignmentNode,
  type BigNumber,
  type Fraction,
  type ConditionalNode,
  type ConstantNode,
  type FunctionNode,
  type MathNode,
  type OperatorNode,
  type OperatorNodeFn,
  type OperatorNodeOp,
  type ParenthesisNode,
  type SymbolNode,
} from 'mathjs';
import { Graph, type Node, type Op } from './graph';

const math = create({ parseDependencies });

export const MAX_EXPRESSION_LENGTH = 4000;
/**
 * Bounds on an expression's shape, checked on the text before mathjs parses it: the
 * parser, our graph builder and the differentiator recurse once per level, so without
 * them a short tower (`x^x^…` 650 levels, `x+x+…` 1850 terms) overflowed the call stack.
 * Within them every stage stays far from it (tests/unit/parse.test.ts runs each bound).
 */
export const MAX_NESTING = 64;
export const MAX_POWERS = 64;
export const MAX_OPERATORS = 1000;

/** The first bound `source` breaks, as an ExpressionError, or null. */
function shapeProblem(source: string): ExpressionError | null {
  let depth = 0;
  let powers = 0;
  let operators = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[') {
      if (++depth > MAX_NESTING) return new ExpressionError(`nested more than ${MAX_NESTING} parentheses deep`, i + 1, source);
    } else if (c === ')' || c === ']') depth--;
    else if (c === '^' && ++powers > MAX_POWERS) return new ExpressionError(`more than ${MAX_POWERS} powers (^)`, i + 1, source);
    if ('+-*/^'.includes(c) && ++operators > MAX_OPERATORS) return new ExpressionError(`more than ${MAX_OPERATORS} operators`, i + 1, source);
  }
  return null;
}

/** A malformed expression: `column` is 1-based, pointing into `source`. */
export class ExpressionError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
    readonly source: string,
  ) {
    super(`expression error at column ${column}: ${reason}`);
    this.name = 'ExpressionError';
  }
  /** Two lines: the source and a caret under the offending column. */
  pointer(): string {
    return `${this.source}\n${' '.repeat(Math.max(0, this.column - 1))}^`;
  }
}

type FnSpec = { arity: [number, number]; build: (g: Graph, a: Node[]) => Node };
const unary = (op: Op): FnSpec => ({ arity: [1, 1], build: (g, a) => g.call(op, a[0]) });
const fold = (op: Op): FnSpec => ({ arity: [2, 16], build: (g, a) => a.reduce((acc, v) => g.call(op, acc, v)) });

/** The functions a surface expression may use. */
export const FUNCTIONS: Record<string, FnSpec> = {
  exp: unary('exp'),
  log: { arity: [1, 2], build: (g, a) => (a.length === 1 ? g.call('log', a[0]) : g.div(g.call('log', a[0]), g.call('log', a[1]))) },
  ln: unary('log'),
  log2: unary('log2'),
  log10: unary('log10'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  sign: unary('sign'),
  floor: unary('floor'),
  sin: unary('sin'),
  cos: unary('cos'),
  tan: unary('tan'),
  atan: unary('atan'),
  sinh: unary('sinh'),
  cosh: unary('cosh'),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  softplus: unary('softplus'),
  square: { arity: [1, 1], build: (g, a) => g.powi(a[0], 2) },
  pow: { arity: [2, 2], build: (g, a) => g.pow(a[0], a[1]) },
  min: fold('min'),
  max: fold('max'),
};

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

const ARITHMETIC: Record<string, Op> = { add: 'add', subtract: 'sub', multiply: 'mul', divide: 'div', pow: 'pow' };
/** Comparisons, logic and `c ? a : b`: for the project's own definitions (optimizers), not for surfaces. */
const INTERNAL_OPS: Record<string, Op> = {
  smaller: 'lt',
  smallerEq: 'le',
  larger: 'gt',
  largerEq: 'ge',
  equal: 'eq',
  unequal: 'ne',
  and: 'and',
  or: 'or',
};

export interface ParseOptions {
  /** Names that may appear (x, y for surfaces; inputs and earlier assignments in programs). */
  variables: ReadonlyMap<string, Node> | string[];
  /** Allow comparisons, logic, the conditional operator and assignments. */
  internal?: boolean;
}

function locate(source: string, token: string): number {
  const word = /^[A-Za-z_]\w*$/.test(token);
  const re = word ? new RegExp(`(?<![\\w.])${token}(?!\\w)`) : null;
  const i = re ? source.search(re) : source.indexOf(token);
  return i < 0 ? 1 : i + 1;
}

/** The node kinds the builder reads, as mathjs declares them (MathNode's `type` is a plain string). */
type ReadNode =
  | ConstantNode<string | number | boolean | null | undefined | bigint | BigNumber | Fraction>
  | SymbolNode
  | ParenthesisNode
  | OperatorNode<OperatorNodeOp, OperatorNodeFn>
  | FunctionNode<MathNode>
  | ConditionalNode
  | AssignmentNode;
const READ_TYPES: ReadonlySet<string> = new Set<ReadNode['type']>([
  'ConstantNode',
  'SymbolNode',
  'ParenthesisNode',
  'OperatorNode',
  'FunctionNode',
  'ConditionalNode',
  'AssignmentNode',
]);
const readable = (node: MathNode): node is ReadNode => READ_TYPES.has(node.type);
const isSymbol = (node: MathNode | undefined): node is SymbolNode => node?.type === 'SymbolNode';

function mathParse(source: string): MathNode {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH, source.slice(0, 80));
  }
  if (source.trim() === '') throw new ExpressionError('the expression is empty', 1, source);
  const shape = shapeProblem(source);
  if (shape) throw shape;
  try {
    return math.parse(source);
  } catch (err) {
    const e = err as Error & { char?: number };
    const column = typeof e.char === 'number' ? e.char : 1;
    const reason = e.message.replace(/\s*\(char \d+\)\s*$/, '');
    throw new ExpressionError(reason.charAt(0).toLowerCase() + reason.slice(1), column, source);
  }
}

class Builder {
  constructor(
    private readonly g: Graph,
    private readonly source: string,
    private readonly vars: Map<string, Node>,
    private readonly internal: boolean,
  ) {}

  fail(reason: string, token: string): never {
    throw new ExpressionError(reason, locate(this.source, token), this.source);
  }

  build(node: MathNode): Node {
    const g = this.g;
    const n = readable(node) ? node : null;
    switch (n?.type) {
      case 'ConstantNode':
        if (typeof n.value !== 'number') this.fail(`only numbers are allowed, not ${JSON.stringify(String(n.value))}`, String(n.value));
        return g.num(n.value);
      case 'SymbolNode': {
        const v = this.vars.get(n.name);
        if (v) return v;
        if (Object.hasOwn(CONSTANTS, n.name)) return g.num(CONSTANTS[n.name]);
        if (Object.hasOwn(FUNCTIONS, n.name)) this.fail(`'${n.name}' is a function: write ${n.name}(...)`, n.name);
        const allowed = [...this.vars.keys()].join(', ');
        return this.fail(`unknown name '${n.name}' (expected ${allowed}, pi, e or a function)`, n.name);
      }
      case 'ParenthesisNode':
        return this.build(n.content);
      case 'OperatorNode': {
        const args: Node[] = n.args.map((a) => this.build(a));
        if (n.fn === 'unaryMinus') return g.neg(args[0]);
        if (n.fn === 'unaryPlus') return args[0];
        if (Object.hasOwn(ARITHMETIC, n.fn)) return g.call(ARITHMETIC[n.fn], args[0], args[1]);
        if (this.internal && Object.hasOwn(INTERNAL_OPS, n.fn)) return g.call(INTERNAL_OPS[n.fn], args[0], args[1]);
        if (this.internal && n.fn === 'not') return g.call('not', args[0]);
        return this.fail(`operator '${n.op}' is not allowed (use + - * / ^)`, n.op);
      }
      case 'FunctionNode': {
        // Only plain names: a method call `obj.sin(y)` (AccessorNode) would drop `obj` unchecked.
        const name = isSymbol(n.fn) ? n.fn.name : '';
        const spec = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
        if (!spec) {
          const list = Object.keys(FUNCTIONS).join(', ');
          return this.fail(`unknown function '${name || n.fn?.toString()}' (allowed: ${list})`, name || '(');
        }
        const [lo, hi] = spec.arity;
        if (n.args.length < lo || n.args.length > hi) {
          const want = lo === hi ? `${lo}` : `${lo} to ${hi}`;
          this.fail(`${name} takes ${want} argument${hi === 1 ? '' : 's'}, got ${n.args.length}`, name);
        }
        return spec.build(
          g,
          n.args.map((a) => this.build(a)),
        );
      }
      case 'ConditionalNode':
        if (!this.internal) return this.fail(`the conditional operator '?' is not allowed`, '?');
        return g.select(this.build(n.condition), this.build(n.trueExpr), this.build(n.falseExpr));
      default: {
        const what: Record<string, [string, string]> = {
          AssignmentNode: ['assignments are not allowed', '='],
          FunctionAssignmentNode: ['function definitions are not allowed', '='],
          BlockNode: ['only one expression is allowed', ';'],
          ArrayNode: ['matrices are not allowed', '['],
          AccessorNode: ['indexing is not allowed', '['],
          IndexNode: ['indexing is not allowed', '['],
          ObjectNode: ['objects are not allowed', '{'],
          RangeNode: ['ranges are not allowed', ':'],
          RelationalNode: ['comparisons are not allowed', '<'],
        };
        const [reason, token] = what[node.type] ?? [`'${node.type}' is not allowed`, ''];
        return this.fail(reason, token);
      }
    }
  }
}

function toMap(g: Graph, variables: ParseOptions['variables']): Map<string, Node> {
  if (Array.isArray(variables)) return new Map(variables.map((v) => [v, g.variable(v)]));
  return new Map(variables as ReadonlyMap<string, Node>);
}

/** Parses one expression into `g`. Throws ExpressionError naming the column. */
export function parseExpression(g: Graph, source: string, opts: ParseOptions): Node {
  const root = mathParse(source);
  return new Builder(g, source, toMap(g, opts.variables), !!opts.internal).build(root);
}

/**
 * Parses a block of assignments `name = expr`, one per line, each able to use the
 * inputs and earlier names. Returns every name's final value. For internal definitions.
 */
export function parseAssignments(g: Graph, source: string, inputs: string[] | ReadonlyMap<string, Node>): Map<string, Node> {
  const vars = toMap(g, inputs);
  let line = 0;
  for (const raw of source.split('\n')) {
    line++;
    const text = raw.replace(/#.*$/, '').trim();
    if (!text) continue;
    const node = mathParse(text);
    if (!readable(node) || node.type !== 'AssignmentNode' || !isSymbol(node.object)) {
      throw new ExpressionError(`line ${line}: expected 'name = expression'`, 1, text);
    }
    const value = new Builder(g, text, vars, true).build(node.value);
    vars.set(node.object.name, value);
  }
  return vars;
}
