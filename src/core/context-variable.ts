/**
 * Typed context variables on a conversation. Channels (pre-chat survey), bots (escalation context)
 * and classification rules set them; routing conditions read them. The type travels with the value
 * so `"5"` and `5` never compare equal by accident.
 */
export const CONTEXT_TYPES = ['string', 'number', 'boolean', 'datetime', 'list'] as const;
export type ContextType = (typeof CONTEXT_TYPES)[number];

export type ListItem = string | number | boolean;
export type ContextValue = string | number | boolean | readonly ListItem[];

export interface ContextVariable {
  readonly name: string;
  readonly type: ContextType;
  readonly value: ContextValue;
}

export const MAX_CONTEXT_NAME_LENGTH = 100;
export const MAX_CONTEXT_STRING_LENGTH = 4000;
export const MAX_CONTEXT_LIST_LENGTH = 100;

// Dotted names (`customer.tier`) keep related variables together and read well in rule expressions.
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
// RFC 3339 date-time with an explicit offset: a datetime without a zone is ambiguous across sites.
const DATETIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export type ContextCheck =
  | { readonly ok: true; readonly variable: ContextVariable }
  | { readonly ok: false; readonly problem: string };

export function isContextType(value: string): value is ContextType {
  return (CONTEXT_TYPES as readonly string[]).includes(value);
}

export function isContextVariableName(name: string): boolean {
  return NAME_PATTERN.test(name) && name.length <= MAX_CONTEXT_NAME_LENGTH;
}

/** Validates a name/type/value triple and returns the normalised variable (datetimes in UTC). */
export function checkContextVariable(name: string, type: string, value: unknown): ContextCheck {
  if (!isContextVariableName(name)) {
    return { ok: false, problem: `invalid variable name "${name.slice(0, 120)}": use letters, digits, _ and dots, at most ${MAX_CONTEXT_NAME_LENGTH} characters` };
  }
  if (!isContextType(type)) {
    return { ok: false, problem: `variable "${name}": unknown type "${type}" (one of ${CONTEXT_TYPES.join(', ')})` };
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return mismatch(name, type, value);
      if (value.length > MAX_CONTEXT_STRING_LENGTH) return { ok: false, problem: `variable "${name}": string longer than ${MAX_CONTEXT_STRING_LENGTH} characters` };
      return { ok: true, variable: { name, type, value } };
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return mismatch(name, type, value);
      return { ok: true, variable: { name, type, value } };
    case 'boolean':
      if (typeof value !== 'boolean') return mismatch(name, type, value);
      return { ok: true, variable: { name, type, value } };
    case 'datetime': {
      if (typeof value !== 'string' || !DATETIME_PATTERN.test(value) || !validCalendarFields(value)) return mismatch(name, type, value);
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return mismatch(name, type, value);
      return { ok: true, variable: { name, type, value: new Date(ms).toISOString() } };
    }
    case 'list': {
      if (!Array.isArray(value)) return mismatch(name, type, value);
      if (value.length > MAX_CONTEXT_LIST_LENGTH) return { ok: false, problem: `variable "${name}": list longer than ${MAX_CONTEXT_LIST_LENGTH} items` };
      for (const item of value) {
        const itemOk =
          (typeof item === 'string' && item.length <= MAX_CONTEXT_STRING_LENGTH) ||
          typeof item === 'boolean' ||
          (typeof item === 'number' && Number.isFinite(item));
        if (!itemOk) return { ok: false, problem: `variable "${name}": list items must be strings, finite numbers or booleans` };
      }
      return { ok: true, variable: { name, type, value: [...(value as ListItem[])] } };
    }
  }
}

// Date.parse rolls 31 February over into March; a context value should be what the sender meant.
function validCalendarFields(value: string): boolean {
  const [y, mo, d, h, mi, se] = [0, 5, 8, 11, 14, 17].map((at, i) => Number(value.slice(at, at + (i === 0 ? 4 : 2))));
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysInMonth && h! <= 23 && mi! <= 59 && se! <= 59;
}

function mismatch(name: string, type: ContextType, value: unknown): ContextCheck {
  const shown = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value;
  const hint = type === 'datetime' ? ' (an RFC 3339 date-time with a zone, e.g. 2026-01-31T09:00:00Z)' : '';
  return { ok: false, problem: `variable "${name}": expected a ${type}${hint}, got ${shown}` };
}
