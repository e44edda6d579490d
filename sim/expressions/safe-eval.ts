/**
 * A restricted evaluator for the expressions users write in scenarios: `check` assertions
 * (`requests.dropped == 0 and latency.rollout.ttftP95Ms < 2000`) and analysis conditions (`result[0] < 0.05`).
 *
 * Built on mathjs, hardened in two layers:
 * 1. At compile time the parsed tree is checked against allow-lists: only arithmetic, comparison and logic
 *    operators, `a ? b : c`, list literals, and calls to the functions in ALLOWED_FUNCTIONS. Every bare name or
 *    `a.b[0]` chain is a *field* of the caller's scope; it is replaced by an opaque slot, so mathjs never sees a
 *    scope object and property access (the usual `constructor` escape) cannot happen at all. Assignments,
 *    function definitions, several statements, ranges, objects, units and strings are refused.
 * 2. The mathjs instance itself has `import`, `createUnit`, `evaluate`, `parse`, `compile`, ... replaced by
 *    throwers (hardened-math.ts), as mathjs' security guide recommends.
 * Fields are looked up at evaluation by own properties only; a missing one is an UnknownFieldError.
 */
import type {
  AccessorNode,
  ArrayNode,
  ConditionalNode,
  ConstantNode,
  FunctionNode,
  MathNode,
  OperatorNode,
  ParenthesisNode,
  RelationalNode,
  SymbolNode,
} from 'mathjs';
import { ExpressionError } from './errors.js';
import { formatFieldPath, resolveField, type FieldPath } from './field-path.js';
import { DISABLED_FUNCTIONS, EXTRA_FUNCTIONS, hardenedMath, parseTree } from './hardened-math.js';

/** Longer texts are refused before parsing: conditions and assertions are one-liners. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Deeper bracket nesting is refused before parsing, so the recursive-descent parser cannot overflow the stack. */
export const MAX_NESTING_DEPTH = 32;

export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  'abs', 'ceil', 'floor', 'round', 'sign', 'sqrt', 'exp', 'log', 'log10', 'log2', 'pow', 'mod',
  'min', 'max', 'sum', 'prod', 'mean', 'median', 'std', 'variance', 'quantileSeq', 'isNaN',
  'and', 'or', 'not', 'xor',
  ...EXTRA_FUNCTIONS,
]);

/** mathjs operator functions behind + - * / ^ %, unary ± and not, and/or/xor, and the comparisons. */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  'add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus',
  'not', 'and', 'or', 'xor',
  'equal', 'unequal', 'smaller', 'smallerEq', 'larger', 'largerEq',
]);

/** Names that only make sense as a way into JavaScript internals. */
const FORBIDDEN_FIELD_NAMES: ReadonlySet<string> = new Set([
  'constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

/** Dangerous functions get a message saying why they are refused, not just "unknown". */
const REFUSED_FUNCTIONS: ReadonlySet<string> = new Set([...DISABLED_FUNCTIONS, 'config', 'typed', 'import']);

export interface CompiledExpression {
  readonly text: string;
  /** The fields the expression reads, as written and without repeats: `requests.dropped`, `result[0]`. */
  readonly symbols: readonly string[];
  /** Evaluates against a scope of (nested) fields; the value is a number, boolean or list. */
  evaluate(scope: object): unknown;
  /** Evaluates and insists on true/false, as assertions and analysis conditions need. */
  evaluateBoolean(scope: object): boolean;
}

interface Slot {
  readonly path: FieldPath;
  /** The opaque name that replaces the field in the compiled tree. */
  readonly name: string;
}

/** Compiles once; evaluate as often as needed. Throws ExpressionError (an InputError) for anything refused. */
export function compileExpression(text: string): CompiledExpression {
  const tree = parseChecked(text);
  validate(tree, text);
  const slots = new Map<string, Slot>();
  const rewritten = compareTextAsText(tree).transform((node: MathNode, path: string, parent: MathNode | null) => {
    if (parent?.type === 'FunctionNode' && path === 'fn') return node;
    const fieldPath = fieldPathOf(node, text);
    if (fieldPath === null) return node;
    const key = formatFieldPath(fieldPath);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = { path: fieldPath, name: `__field${slots.size}` };
      slots.set(key, slot);
    }
    return new (hardenedMath().SymbolNode)(slot.name);
  });
  const code = rewritten.compile();
  const slotList = [...slots.values()];

  const evaluate = (scope: object): unknown => {
    const values = new Map<string, unknown>();
    for (const slot of slotList) values.set(slot.name, resolveField(scope, slot.path, text));
    try {
      return code.evaluate(values);
    } catch (err) {
      throw new ExpressionError(text, `cannot evaluate: ${(err as Error).message}`);
    }
  };
  return {
    text,
    symbols: [...slots.keys()],
    evaluate,
    evaluateBoolean(scope: object): boolean {
      const value = evaluate(scope);
      if (typeof value === 'boolean') return value;
      const hint = Array.isArray(value) ? ' (a comparison on a list gives a list: wrap it in all(...) or any(...))' : '';
      throw new ExpressionError(text, `expected true or false, got ${JSON.stringify(value)}${hint}`);
    },
  };
}

/**
 * `rollout.outcome == 'completed'`: mathjs' == converts text to numbers, so a comparison with a text constant
 * becomes equalText (and != its negation). Text anywhere else fails at evaluation with a clear error.
 */
function compareTextAsText(tree: MathNode): MathNode {
  const isText = (n: MathNode) => n.type === 'ConstantNode' && typeof (n as ConstantNode).value === 'string';
  return tree.transform((node: MathNode) => {
    if (node.type !== 'OperatorNode') return node;
    const op = node as OperatorNode;
    if ((op.fn !== 'equal' && op.fn !== 'unequal') || !op.args.some(isText)) return node;
    const same = new (hardenedMath().FunctionNode)(new (hardenedMath().SymbolNode)('equalText'), op.args);
    return op.fn === 'equal' ? same : new (hardenedMath().OperatorNode)('not', 'not', [same]);
  });
}

function parseChecked(text: string): MathNode {
  if (typeof text !== 'string' || text.trim() === '') throw new ExpressionError(String(text), 'the expression is empty');
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(text, `the expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`);
  }
  if (nestingDepth(text) > MAX_NESTING_DEPTH) {
    throw new ExpressionError(text, `brackets are nested more than ${MAX_NESTING_DEPTH} deep`);
  }
  try {
    return parseTree(text);
  } catch (err) {
    throw new ExpressionError(text, `cannot parse: ${(err as Error).message}`);
  }
}

/** Deepest (, [ or { nesting outside quotes. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '(' || ch === '[' || ch === '{') {
      max = Math.max(max, ++depth);
    } else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
    }
  }
  return max;
}

/** Refuses every construct outside the allow-lists, naming it. */
function validate(node: MathNode, text: string): void {
  switch (node.type) {
    case 'ConstantNode':
      return validateConstant((node as ConstantNode).value, text);
    case 'SymbolNode':
    case 'AccessorNode':
      fieldPathOf(node, text);
      return;
    case 'FunctionNode':
      return validateCall(node as FunctionNode, text);
    case 'OperatorNode': {
      const op = node as OperatorNode;
      if (!ALLOWED_OPERATORS.has(op.fn)) throw new ExpressionError(text, `the operator "${op.op}" is not allowed`);
      for (const arg of op.args) validate(arg, text);
      return;
    }
    case 'RelationalNode': {
      const rel = node as RelationalNode;
      for (const c of rel.conditionals) {
        if (!ALLOWED_OPERATORS.has(c)) throw new ExpressionError(text, `the comparison "${c}" is not allowed`);
      }
      for (const p of rel.params) validate(p, text);
      return;
    }
    case 'ParenthesisNode':
      return validate((node as ParenthesisNode).content, text);
    case 'ConditionalNode': {
      const cond = node as ConditionalNode;
      for (const part of [cond.condition, cond.trueExpr, cond.falseExpr]) validate(part, text);
      return;
    }
    case 'ArrayNode':
      for (const item of (node as ArrayNode).items) validate(item, text);
      return;
    default:
      throw new ExpressionError(text, `${describeNode(node.type)} is not allowed; write a single formula over fields`);
  }
}

function describeNode(type: string): string {
  switch (type) {
    case 'AssignmentNode':
      return 'assignment';
    case 'FunctionAssignmentNode':
      return 'defining a function';
    case 'BlockNode':
      return 'more than one statement';
    case 'ObjectNode':
      return 'an object literal';
    case 'RangeNode':
      return 'a range (a:b)';
    default:
      return `"${type}"`;
  }
}

function validateConstant(value: unknown, text: string): void {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return;
  const what = typeof value === 'string' ? `the text ${JSON.stringify(value)}` : String(value);
  throw new ExpressionError(text, `${what} is not allowed: expressions work on numbers, text, true/false and fields`);
}

function validateCall(call: FunctionNode, text: string): void {
  if (call.fn.type !== 'SymbolNode') throw new ExpressionError(text, 'only named functions can be called');
  const name = (call.fn as SymbolNode).name;
  if (REFUSED_FUNCTIONS.has(name)) {
    throw new ExpressionError(text, `the function "${name}" is disabled in expressions: it could change or re-parse the evaluator`);
  }
  if (!ALLOWED_FUNCTIONS.has(name)) {
    throw new ExpressionError(text, `unknown function "${name}"; available: ${[...ALLOWED_FUNCTIONS].join(', ')}`);
  }
  for (const arg of call.args) validate(arg, text);
}

/**
 * The field a node names: a bare symbol, or a chain of `.name`, `["name"]` and `[0]` accesses on one. null for
 * anything else. Access on anything but a field (`(1).x`, `max(a).y`) and odd keys are refused.
 */
function fieldPathOf(node: MathNode, text: string): FieldPath | null {
  if (node.type === 'SymbolNode') {
    const name = (node as SymbolNode).name;
    checkFieldName(name, text);
    return [name];
  }
  if (node.type !== 'AccessorNode') return null;
  const access = node as AccessorNode;
  if (access.optionalChaining) throw new ExpressionError(text, 'optional chaining (?.) is not allowed');
  const base = fieldPathOf(access.object, text);
  if (base === null) throw new ExpressionError(text, 'fields and indices can only be read from named fields');
  const dims = access.index.dimensions;
  if (dims.length !== 1 || dims[0].type !== 'ConstantNode') {
    throw new ExpressionError(text, 'an index must be one constant, like result[0] or a["name"]');
  }
  const key = (dims[0] as ConstantNode).value as unknown;
  if (typeof key === 'string') {
    checkFieldName(key, text);
    return [...base, key];
  }
  if (typeof key === 'number' && Number.isInteger(key) && key >= 0) return [...base, key];
  throw new ExpressionError(text, `the index ${String(key)} is not a non-negative integer (indices start at 0)`);
}

function checkFieldName(name: string, text: string): void {
  if (FORBIDDEN_FIELD_NAMES.has(name)) throw new ExpressionError(text, `"${name}" cannot be used as a field name`);
}
