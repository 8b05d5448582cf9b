import type { ComparisonOperator, Expression, Operand } from './expression-ast.js';
import { ExpressionSyntaxError, tokenize, type Token } from './expression-lexer.js';

export const MAX_EXPRESSION_LENGTH = 4000;
const MAX_DEPTH = 40;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'startsWith', 'exists', 'true', 'false']);
const WORD_OPERATORS = new Set<string>(['contains', 'startsWith', 'in']);
const SYMBOL_OPERATORS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

export type ParseResult =
  | { readonly ok: true; readonly expression: Expression; readonly variables: readonly string[] }
  | { readonly ok: false; readonly error: { readonly message: string; readonly line: number; readonly column: number } };

/**
 * Parses a rule condition. Errors carry line and column, so an editor can point at them; rules are
 * parsed when saved, so a bad condition is refused then and never fails while routing.
 */
export function parseExpression(source: string): ParseResult {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, error: { message: `an expression may be at most ${MAX_EXPRESSION_LENGTH} characters`, line: 1, column: 1 } };
  }
  try {
    const parser = new Parser(tokenize(source));
    const expression = parser.expression(0);
    parser.expectEnd();
    return { ok: true, expression, variables: [...parser.variables].sort() };
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return { ok: false, error: { message: error.message, ...error.at } };
    throw error;
  }
}

class Parser {
  private index = 0;
  readonly variables = new Set<string>();

  constructor(private readonly tokens: readonly Token[]) {}

  expression(depth: number): Expression {
    if (depth > MAX_DEPTH) throw new ExpressionSyntaxError(`expression nested deeper than ${MAX_DEPTH} levels`, this.peek().at);
    return this.chain('or', () => this.chain('and', () => this.unary(depth)));
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== 'end') throw new ExpressionSyntaxError(`unexpected ${describe(token)}; expected "and", "or" or the end`, token.at);
  }

  private chain(word: 'and' | 'or', next: () => Expression): Expression {
    const first = next();
    const operands = [first];
    while (this.isWord(word)) {
      this.index += 1;
      operands.push(next());
    }
    return operands.length === 1 ? first : { kind: word, operands, at: first.at };
  }

  private unary(depth: number): Expression {
    const token = this.peek();
    if (this.isWord('not')) {
      this.index += 1;
      return { kind: 'not', operand: this.unary(depth + 1), at: token.at };
    }
    if (token.type === 'symbol' && token.value === '(') {
      this.index += 1;
      const inner = this.expression(depth + 1);
      this.expectSymbol(')', 'to close the "(" at line ' + token.at.line + ', column ' + token.at.column);
      return inner;
    }
    return this.condition();
  }

  private condition(): Expression {
    const left = this.operand();
    const token = this.peek();
    if (this.isWord('exists')) {
      this.index += 1;
      if (left.kind !== 'variable') throw new ExpressionSyntaxError('"exists" follows a variable name', token.at);
      return { kind: 'exists', variable: left.name, at: left.at };
    }
    const op = this.operator();
    if (!op) {
      if (left.kind === 'literal' && typeof left.value !== 'boolean') {
        throw new ExpressionSyntaxError(`a condition needs a comparison after ${JSON.stringify(left.value)}`, token.type === 'end' ? left.at : token.at);
      }
      return { kind: 'truth', operand: left, at: left.at };
    }
    const right = this.operand();
    checkOperands(op, left, right);
    return { kind: 'compare', op, left, right, at: left.at };
  }

  private operator(): ComparisonOperator | undefined {
    const token = this.peek();
    if ((token.type === 'symbol' && SYMBOL_OPERATORS.has(token.value)) || (token.type === 'word' && WORD_OPERATORS.has(token.value))) {
      this.index += 1;
      return token.value as ComparisonOperator;
    }
    return undefined;
  }

  private operand(): Operand {
    const token = this.peek();
    switch (token.type) {
      case 'string':
      case 'number':
        this.index += 1;
        return { kind: 'literal', value: token.value, at: token.at };
      case 'word': {
        if (token.value === 'true' || token.value === 'false') {
          this.index += 1;
          return { kind: 'literal', value: token.value === 'true', at: token.at };
        }
        if (KEYWORDS.has(token.value)) throw new ExpressionSyntaxError(`expected a variable or a value, found the keyword "${token.value}"`, token.at);
        return this.variable();
      }
      case 'symbol':
        if (token.value === '[') return this.list();
        throw new ExpressionSyntaxError(`expected a variable or a value, found ${describe(token)}`, token.at);
      case 'end':
        throw new ExpressionSyntaxError('expected a variable or a value, found the end of the expression', token.at);
    }
  }

  private variable(): Operand {
    const first = this.next();
    let name = first.value as string;
    while (this.isSymbol('.')) {
      this.index += 1;
      const part = this.next();
      if (part.type !== 'word' || KEYWORDS.has(part.value)) throw new ExpressionSyntaxError(`expected a name after "." in "${name}."`, part.at);
      name += `.${part.value}`;
    }
    this.variables.add(name);
    return { kind: 'variable', name, at: first.at };
  }

  private list(): Operand {
    const open = this.next();
    const items: (string | number | boolean)[] = [];
    if (!this.isSymbol(']')) {
      for (;;) {
        const item = this.operand();
        if (item.kind !== 'literal' || Array.isArray(item.value)) {
          throw new ExpressionSyntaxError('a list holds strings, numbers and booleans only', item.at);
        }
        items.push(item.value as string | number | boolean);
        if (!this.isSymbol(',')) break;
        this.index += 1;
      }
    }
    this.expectSymbol(']', 'to close the list');
    return { kind: 'literal', value: items, at: open.at };
  }

  private expectSymbol(symbol: string, why: string): void {
    const token = this.peek();
    if (token.type !== 'symbol' || token.value !== symbol) throw new ExpressionSyntaxError(`expected "${symbol}" ${why}, found ${describe(token)}`, token.at);
    this.index += 1;
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.value === word;
  }

  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.value === symbol;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.type !== 'end') this.index += 1;
    return token;
  }
}

/** Mistakes we can see without knowing the context: refused at save time. */
function checkOperands(op: ComparisonOperator, left: Operand, right: Operand): void {
  const isList = (o: Operand) => o.kind === 'literal' && Array.isArray(o.value);
  const isBool = (o: Operand) => o.kind === 'literal' && typeof o.value === 'boolean';
  const literalType = (o: Operand): string | undefined => (o.kind === 'literal' ? (Array.isArray(o.value) ? 'list' : typeof o.value) : undefined);
  switch (op) {
    case 'in':
      if (!isList(right) && right.kind !== 'variable') throw new ExpressionSyntaxError('"in" needs a list on its right, e.g. language in ["en", "de"]', right.at);
      if (isList(left)) throw new ExpressionSyntaxError('"in" needs a single value on its left', left.at);
      return;
    case 'contains':
      if (isList(right)) throw new ExpressionSyntaxError('"contains" needs a single value on its right', right.at);
      if (left.kind === 'literal' && literalType(left) !== 'string' && !isList(left)) throw new ExpressionSyntaxError('"contains" needs a text or a list on its left', left.at);
      return;
    case 'startsWith':
      for (const side of [left, right]) {
        if (side.kind === 'literal' && literalType(side) !== 'string') throw new ExpressionSyntaxError('"startsWith" compares texts', side.at);
      }
      return;
    case '<':
    case '<=':
    case '>':
    case '>=':
      for (const side of [left, right]) {
        if (isBool(side) || isList(side)) throw new ExpressionSyntaxError(`"${op}" orders numbers, texts and datetimes, not ${literalType(side) === 'list' ? 'lists' : 'booleans'}`, side.at);
      }
      return;
    default:
      return;
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `the text ${JSON.stringify(token.value)}`;
    case 'number':
      return `the number ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

