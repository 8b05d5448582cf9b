import type { ContextVariable, ListItem } from '../context-variable.js';
import type { ComparisonOperator, Expression, Operand } from './expression-ast.js';

/** Looks a context variable up by name; undefined when the conversation does not have it. */
export type ContextLookup = (name: string) => ContextVariable | undefined;

type Value =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'datetime'; readonly value: number }
  | { readonly type: 'list'; readonly value: readonly ListItem[] };

/**
 * Evaluates a parsed condition against a conversation's context. A comparison involving a missing
 * variable is false (test presence with `exists`); values of different types are never equal, and
 * a datetime variable compares with a date-time text literal by instant.
 */
export function evaluate(expression: Expression, lookup: ContextLookup): boolean {
  switch (expression.kind) {
    case 'and':
      return expression.operands.every((e) => evaluate(e, lookup));
    case 'or':
      return expression.operands.some((e) => evaluate(e, lookup));
    case 'not':
      return !evaluate(expression.operand, lookup);
    case 'exists':
      return lookup(expression.variable) !== undefined;
    case 'truth': {
      const v = resolve(expression.operand, lookup);
      return v?.type === 'boolean' && v.value;
    }
    case 'compare': {
      const left = resolve(expression.left, lookup);
      const right = resolve(expression.right, lookup);
      if (!left || !right) return false;
      return compare(expression.op, ...alignDatetimes(left, right));
    }
  }
}

function resolve(operand: Operand, lookup: ContextLookup): Value | undefined {
  if (operand.kind === 'literal') {
    const v = operand.value;
    if (Array.isArray(v)) return { type: 'list', value: v };
    if (typeof v === 'string') return { type: 'string', value: v };
    if (typeof v === 'number') return { type: 'number', value: v };
    return { type: 'boolean', value: v as boolean };
  }
  const variable = lookup(operand.name);
  if (!variable) return undefined;
  switch (variable.type) {
    case 'datetime':
      return { type: 'datetime', value: Date.parse(variable.value as string) };
    case 'list':
      return { type: 'list', value: variable.value as readonly ListItem[] };
    default:
      return { type: variable.type, value: variable.value } as Value;
  }
}

// `order.placedAt >= "2026-01-01T00:00:00Z"`: the literal is read as an instant when the other
// side is a datetime variable.
function alignDatetimes(left: Value, right: Value): [Value, Value] {
  const asInstant = (v: Value): Value => {
    if (v.type !== 'string') return v;
    const ms = Date.parse(v.value);
    return Number.isNaN(ms) ? v : { type: 'datetime', value: ms };
  };
  if (left.type === 'datetime') return [left, asInstant(right)];
  if (right.type === 'datetime') return [asInstant(left), right];
  return [left, right];
}

function compare(op: ComparisonOperator, left: Value, right: Value): boolean {
  switch (op) {
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const ordered = (left.type === 'number' && right.type === 'number') || (left.type === 'string' && right.type === 'string') ||
        (left.type === 'datetime' && right.type === 'datetime');
      if (!ordered) return false;
      const a = left.value as number | string;
      const b = right.value as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    case 'contains':
      if (left.type === 'string' && right.type === 'string') return left.value.includes(right.value);
      if (left.type === 'list') return right.type !== 'list' && left.value.some((item) => item === right.value);
      return false;
    case 'startsWith':
      return left.type === 'string' && right.type === 'string' && left.value.startsWith(right.value);
    case 'in':
      return right.type === 'list' && left.type !== 'list' && right.value.some((item) => item === left.value);
  }
}

function equal(left: Value, right: Value): boolean {
  if (left.type !== right.type) return false;
  if (left.type === 'list') {
    const r = right.value as readonly ListItem[];
    return left.value.length === r.length && left.value.every((item, i) => item === r[i]);
  }
  return left.value === right.value;
}
