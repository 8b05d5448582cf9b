/**
 * Escalation: what a bot's handoff context becomes (typed context variables routing rules can
 * read) and when a customer's own words ask for a person. All triggers (a `handoff.initiate`
 * event, an Omnichannel `Escalate` command, Copilot Studio's `va_*` context, an escalate phrase)
 * end in the one "escalate with context" use case; this file holds their pure parts.
 */
import { checkContextVariable, MAX_CONTEXT_LIST_LENGTH, MAX_CONTEXT_STRING_LENGTH, type ContextVariable } from '../context-variable.js';
import { normalisePhrase } from './bot-registration.js';

export interface EscalationVariables {
  readonly variables: readonly ContextVariable[];
  /** Keys that could not become variables (bad names, nested objects too long), for the record. */
  readonly skipped: readonly string[];
}

const MAX_VARIABLES = 100;

/**
 * Each key of the bot's context becomes a variable of the same name (the Omnichannel semantics:
 * `BotHandoffTopic` set to "CreditCard" is what a rule `BotHandoffTopic == "CreditCard"` reads).
 * Strings, numbers and booleans keep their type; lists of them become lists; other values are
 * kept as their JSON text. Names that are not variable names are skipped, never fatal: a bot's
 * escalation must not fail on one odd key.
 */
export function escalationVariables(context: Readonly<Record<string, unknown>>): EscalationVariables {
  const variables: ContextVariable[] = [];
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(context)) {
    if (variables.length >= MAX_VARIABLES) {
      skipped.push(name);
      continue;
    }
    const typed = typedValue(value);
    const checked = typed === undefined ? undefined : checkContextVariable(name, typed.type, typed.value);
    if (checked?.ok) variables.push(checked.variable);
    else skipped.push(name.slice(0, 100));
  }
  return { variables, skipped };
}

function typedValue(value: unknown): { type: string; value: unknown } | undefined {
  if (typeof value === 'string') return { type: 'string', value: value.slice(0, MAX_CONTEXT_STRING_LENGTH) };
  if (typeof value === 'number' && Number.isFinite(value)) return { type: 'number', value };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (Array.isArray(value) && value.length <= MAX_CONTEXT_LIST_LENGTH && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return { type: 'list', value };
  }
  if (value === null || value === undefined) return undefined;
  const json = JSON.stringify(value);
  return json.length <= MAX_CONTEXT_STRING_LENGTH ? { type: 'string', value: json } : undefined;
}

/** At most this many extra words around a phrase: "please, a human!" asks; a long sentence that mentions "agent" does not. */
const EXTRA_WORDS = 3;

/**
 * Whether a customer's message asks for a person: it is one of the phrases for the message's
 * locale (or its language, or `*`), alone or with a few words around it. Phrases are normalised
 * (`normalisePhrase`) when saved.
 */
export function matchesEscalatePhrase(text: string, locale: string | null, phrases: Readonly<Record<string, readonly string[]>>): string | null {
  const said = normalisePhrase(text);
  if (said === '') return null;
  const words = said.split(' ');
  const lower = locale?.toLowerCase() ?? null;
  const candidates = [
    ...(lower !== null ? phrases[lower] ?? [] : []),
    ...(lower !== null && lower.includes('-') ? phrases[lower.split('-')[0]!] ?? [] : []),
    ...(phrases['*'] ?? []),
    // Without a locale every list applies: the widget does not always know the customer's language.
    ...(lower === null ? Object.entries(phrases).filter(([k]) => k !== '*').flatMap(([, list]) => list) : []),
  ];
  for (const phrase of candidates) {
    const p = normalisePhrase(phrase);
    if (p === '') continue;
    if (said === p) return phrase;
    const pw = p.split(' ');
    if (words.length > pw.length + EXTRA_WORDS) continue;
    for (let i = 0; i + pw.length <= words.length; i += 1) {
      if (pw.every((w, j) => words[i + j] === w)) return phrase;
    }
  }
  return null;
}
