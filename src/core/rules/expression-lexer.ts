import type { Position } from './expression-ast.js';

export type Token =
  | { readonly type: 'string'; readonly value: string; readonly at: Position }
  | { readonly type: 'number'; readonly value: number; readonly at: Position }
  | { readonly type: 'word'; readonly value: string; readonly at: Position }
  | { readonly type: 'symbol'; readonly value: string; readonly at: Position }
  | { readonly type: 'end'; readonly value: ''; readonly at: Position };

export class ExpressionSyntaxError {
  constructor(readonly message: string, readonly at: Position) {}
}

const SYMBOLS = ['==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', ',', '.'];
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\\': '\\', n: '\n', t: '\t' };

/** Splits an expression into tokens, tracking line and column for error messages. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let column = 1;
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (source[i] === '\n') {
        line += 1;
        column = 1;
      } else {
        column += 1;
      }
      i += 1;
    }
  };

  while (i < source.length) {
    const ch = source[i]!;
    const at = { line, column };
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      advance(1);
      continue;
    }
    if (ch === '"' || ch === "'") {
      let value = '';
      advance(1);
      for (;;) {
        if (i >= source.length || source[i] === '\n') throw new ExpressionSyntaxError('unterminated string', at);
        const c = source[i]!;
        if (c === ch) {
          advance(1);
          break;
        }
        if (c === '\\') {
          const escaped = ESCAPES[source[i + 1] ?? ''];
          if (escaped === undefined) throw new ExpressionSyntaxError(`unknown escape \\${source[i + 1] ?? ''} in a string`, { line, column });
          value += escaped;
          advance(2);
          continue;
        }
        value += c;
        advance(1);
      }
      tokens.push({ type: 'string', value, at });
      continue;
    }
    const number = /^-?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number && (ch !== '-' || !/[\w.)\]]/.test(previousSignificant(tokens)))) {
      tokens.push({ type: 'number', value: Number(number[0]), at });
      advance(number[0].length);
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (word) {
      tokens.push({ type: 'word', value: word[0], at });
      advance(word[0].length);
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol) {
      tokens.push({ type: 'symbol', value: symbol, at });
      advance(symbol.length);
      continue;
    }
    if (ch === '=') throw new ExpressionSyntaxError('use == to compare', at);
    if (ch === '&' || ch === '|' || ch === '!') throw new ExpressionSyntaxError(`use "and", "or" and "not" instead of "${ch}"`, at);
    throw new ExpressionSyntaxError(`unexpected character "${ch}"`, at);
  }
  tokens.push({ type: 'end', value: '', at: { line, column } });
  return tokens;
}

function previousSignificant(tokens: readonly Token[]): string {
  const last = tokens[tokens.length - 1];
  if (!last) return '';
  return last.type === 'symbol' ? last.value : 'x';
}
