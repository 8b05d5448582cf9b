/**
 * Quick replies: a queue's reply templates, which agents insert into the composer. A template is
 * plain text with variables in double braces, filled for one conversation:
 *
 *   "Hello {{customer.name}}, this is {{agent.name}}. Your order {{context.order.id}} has shipped."
 *
 * `customer.name` is the contact's display name, `agent.name` the name of the agent using the
 * reply, `context.<name>` a context variable of the conversation. Filling is text substitution
 * only: values go in as they are and the result is text (never markup), shown as text.
 */
import { isContextVariableName, type ContextVariable } from '../context-variable.js';

export interface QuickReply {
  readonly id: string;
  readonly tenantId: string;
  readonly queueId: string;
  readonly title: string;
  readonly text: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const MAX_QUICK_REPLY_TITLE = 80;
export const MAX_QUICK_REPLY_TEXT = 2000;
/** Enough for a queue's canned answers; a list an agent can still scan. */
export const MAX_QUICK_REPLIES_PER_QUEUE = 100;

export type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'variable'; readonly name: string };

/** Where a template goes wrong, 1-based like the rule language's errors. */
export interface TemplateProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export type ParsedTemplate =
  | { readonly ok: true; readonly parts: readonly TemplatePart[] }
  | { readonly ok: false; readonly problems: readonly TemplateProblem[] };

const FIXED_VARIABLES = new Set(['customer.name', 'agent.name']);
const CONTEXT_PREFIX = 'context.';

function isKnownVariable(name: string): boolean {
  return FIXED_VARIABLES.has(name) || (name.startsWith(CONTEXT_PREFIX) && isContextVariableName(name.slice(CONTEXT_PREFIX.length)));
}

function positionOf(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/**
 * Splits a template into text and variables, or lists every problem with its place. `{{` always
 * opens a variable (there is no escape): a template that needs literal braces is rare enough for
 * a reply to spell them apart (`{ {`). A lone `}}` is plain text.
 */
export function parseTemplate(source: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: 'text', text: source.slice(at, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push({ message: '"{{" is not closed by "}}"', ...positionOf(source, open) });
      break;
    }
    const name = source.slice(open + 2, close).trim();
    if (isKnownVariable(name)) parts.push({ kind: 'variable', name });
    else {
      const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
      problems.push({ message: `unknown variable "{{${shown}}}": use customer.name, agent.name or context.<variable name>`, ...positionOf(source, open) });
    }
    at = close + 2;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, parts };
}

/** The variables a template uses, each once, in order of first use. */
export function templateVariables(parts: readonly TemplatePart[]): string[] {
  return [...new Set(parts.flatMap((p) => (p.kind === 'variable' ? [p.name] : [])))];
}

/** What fills the variables of one conversation; null: no value. */
export interface TemplateValues {
  readonly customerName: string | null;
  readonly agentName: string | null;
  readonly context: readonly ContextVariable[];
}

/** A context value as text: lists read as "a, b, c", the rest as JSON would write them. */
export function contextValueText(variable: ContextVariable): string {
  return Array.isArray(variable.value) ? variable.value.map(String).join(', ') : String(variable.value);
}

/** Fills a parsed template. A variable without a value becomes empty and is named in `missing`. */
export function renderTemplate(parts: readonly TemplatePart[], values: TemplateValues): { text: string; missing: string[] } {
  const context = new Map(values.context.map((v) => [v.name, v]));
  const valueOf = (name: string): string | null => {
    if (name === 'customer.name') return values.customerName;
    if (name === 'agent.name') return values.agentName;
    const variable = context.get(name.slice(CONTEXT_PREFIX.length));
    return variable === undefined ? null : contextValueText(variable);
  };
  const missing = new Set<string>();
  let text = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      text += part.text;
      continue;
    }
    const value = valueOf(part.name);
    if (value === null || value === '') missing.add(part.name);
    else text += value;
  }
  return { text, missing: [...missing] };
}
