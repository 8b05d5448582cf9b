/**
 * What Switchboard sends a CRM lookup endpoint and what it accepts back. The request names the
 * customer as the conversation knows them; the answer is a list of fields to display:
 *
 *   -> { "tenantId", "conversationId", "contact": { "id", "displayName", "address", "channelType" }, "context": { "order.id": "A-1" } }
 *   <- { "fields": [{ "label": "Plan", "value": "Gold" }, { "label": "Record", "value": "#4711", "url": "https://crm.example.com/4711" }] }
 *
 * The answer comes from outside: it is checked field by field, and only what passes is shown, as
 * text (a value is never markup). A failed check is reported by its shape, never by echoing the
 * remote body.
 */
import type { ContextValue, ContextVariable } from '../context-variable.js';
import type { ChannelType, Contact } from '../model.js';

export interface CrmRequest {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly contact: {
    readonly id: string;
    readonly displayName: string | null;
    /** The customer's identity on the conversation's channel type, when the contact has one. */
    readonly address?: string;
    readonly channelType: ChannelType;
  };
  readonly context: Readonly<Record<string, ContextValue>>;
}

export function crmRequest(
  tenantId: string, conversationId: string, contact: Contact, channelType: ChannelType, context: readonly ContextVariable[],
): CrmRequest {
  const address = contact.identities.find((i) => i.channelType === channelType)?.address;
  return {
    tenantId,
    conversationId,
    contact: { id: contact.id, displayName: contact.displayName, ...(address === undefined ? {} : { address }), channelType },
    context: Object.fromEntries(context.map((v) => [v.name, v.value])),
  };
}

export interface CrmField {
  readonly label: string;
  readonly value: string;
  readonly url?: string;
}

export const MAX_CRM_FIELDS = 50;
export const MAX_CRM_LABEL = 80;
export const MAX_CRM_VALUE = 2000;
export const MAX_CRM_FIELD_URL = 2000;

export type CrmAnswer = { readonly ok: true; readonly fields: readonly CrmField[] } | { readonly ok: false; readonly problem: string };

function isLinkable(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * The fields of a CRM's parsed JSON answer, or the first problem. Values may be strings, numbers
 * or booleans (shown as text); a `url` must be http or https, so a panel link can never run script.
 * Other members of the answer and of each field are ignored, so a CRM may send more than is shown.
 */
export function readCrmAnswer(body: unknown): CrmAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'the answer is not a JSON object' };
  const fields = (body as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return { ok: false, problem: 'the answer has no "fields" list' };
  if (fields.length > MAX_CRM_FIELDS) return { ok: false, problem: `the answer has ${fields.length} fields, more than ${MAX_CRM_FIELDS}` };
  const out: CrmField[] = [];
  for (const [i, field] of fields.entries()) {
    const where = `field ${i + 1}`;
    if (typeof field !== 'object' || field === null || Array.isArray(field)) return { ok: false, problem: `${where} is not an object` };
    const { label, value, url } = field as { label?: unknown; value?: unknown; url?: unknown };
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_CRM_LABEL) {
      return { ok: false, problem: `${where}: "label" must be a string of 1 to ${MAX_CRM_LABEL} characters` };
    }
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
      return { ok: false, problem: `${where}: "value" must be a string, a number or a boolean` };
    }
    const text = String(value);
    if (text.length > MAX_CRM_VALUE) return { ok: false, problem: `${where}: "value" is longer than ${MAX_CRM_VALUE} characters` };
    if (url !== undefined && url !== null && (typeof url !== 'string' || url.length > MAX_CRM_FIELD_URL || !isLinkable(url))) {
      return { ok: false, problem: `${where}: "url" must be an http or https URL of at most ${MAX_CRM_FIELD_URL} characters` };
    }
    out.push(typeof url === 'string' ? { label, value: text, url } : { label, value: text });
  }
  return { ok: true, fields: out };
}
