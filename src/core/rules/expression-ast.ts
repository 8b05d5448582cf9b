/**
 * The routing rule language, as data. Conditions read context variables:
 *
 *   customer.tier == "gold" and (cart.total >= 100 or customer.segments contains "vip")
 *   not customer.blocked and language in ["en", "de"] and page.url startsWith "https://shop."
 *   case.reference exists
 */
export interface Position {
  /** 1-based line and column of the first character. */
  readonly line: number;
  readonly column: number;
}

export type Literal = string | number | boolean | readonly (string | number | boolean)[];

export type Operand =
  | { readonly kind: 'variable'; readonly name: string; readonly at: Position }
  | { readonly kind: 'literal'; readonly value: Literal; readonly at: Position };

export const COMPARISON_OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'contains', 'startsWith', 'in'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export type Expression =
  | { readonly kind: 'compare'; readonly op: ComparisonOperator; readonly left: Operand; readonly right: Operand; readonly at: Position }
  | { readonly kind: 'exists'; readonly variable: string; readonly at: Position }
  /** A bare variable or literal used as a condition: true only for the boolean `true`. */
  | { readonly kind: 'truth'; readonly operand: Operand; readonly at: Position }
  | { readonly kind: 'not'; readonly operand: Expression; readonly at: Position }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Expression[]; readonly at: Position };
