/**
 * The CRM lookup of a tenant (the agent's screen pop): an HTTP endpoint of the customer's own
 * systems that Switchboard asks about the customer of a conversation. Header values usually carry
 * a credential (an API key, a bearer token); they are shown to administrators only as hints.
 *
 *   { url: 'https://crm.example.com/switchboard/lookup', headers: { authorization: 'Bearer ...' }, timeoutMs: 2000 }
 */
import { secretHint } from '../secret-hint.js';

export interface CrmLookup {
  readonly tenantId: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly updatedAt: string;
}

/** An agent waits for the panel: a CRM slower than this is better shown as unavailable. */
export const DEFAULT_CRM_TIMEOUT_MS = 2000;
export const MIN_CRM_TIMEOUT_MS = 100;
export const MAX_CRM_TIMEOUT_MS = 5000;
export const MAX_CRM_URL_LENGTH = 2000;
export const MAX_CRM_HEADERS = 20;
export const MAX_CRM_HEADER_VALUE = 4000;

// RFC 9110 field names (tokens).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Visible ASCII, spaces and tabs: no CR or LF, so a value can never start another header.
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** Headers the HTTP client owns (framing, the connection, the body's type): setting them would break the request. */
const RESERVED_HEADERS = new Set(['host', 'content-type', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

export interface CrmLookupProblem {
  readonly path: string;
  readonly message: string;
}

/** Every problem of the settings an administrator gives, with the JSON pointer of each. */
export function checkCrmLookup(input: { readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly timeoutMs: number }): CrmLookupProblem[] {
  const problems: CrmLookupProblem[] = [];
  if (input.url.length > MAX_CRM_URL_LENGTH) problems.push({ path: '/url', message: `must be at most ${MAX_CRM_URL_LENGTH} characters` });
  else {
    try {
      const url = new URL(input.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({ path: '/url', message: 'must be http or https' });
      if (url.username !== '' || url.password !== '') problems.push({ path: '/url', message: 'must not carry credentials: send them in a header' });
      if (url.hash !== '') problems.push({ path: '/url', message: 'must not have a fragment' });
    } catch {
      problems.push({ path: '/url', message: 'is not an absolute URL' });
    }
  }
  const names = Object.keys(input.headers);
  if (names.length > MAX_CRM_HEADERS) problems.push({ path: '/headers', message: `at most ${MAX_CRM_HEADERS} headers` });
  const seen = new Set<string>();
  for (const name of names) {
    const value = input.headers[name]!;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problems.push({ path: `/headers/${name}`, message: 'is not a header name' });
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('proxy-')) problems.push({ path: `/headers/${name}`, message: 'is set by Switchboard and cannot be configured' });
    else if (seen.has(lower)) problems.push({ path: `/headers/${name}`, message: 'is given twice (header names ignore case)' });
    seen.add(lower);
    if (value.length > MAX_CRM_HEADER_VALUE || !HEADER_VALUE.test(value)) {
      problems.push({ path: `/headers/${name}`, message: `value must be at most ${MAX_CRM_HEADER_VALUE} visible characters, without line breaks` });
    }
  }
  if (!Number.isInteger(input.timeoutMs) || input.timeoutMs < MIN_CRM_TIMEOUT_MS || input.timeoutMs > MAX_CRM_TIMEOUT_MS) {
    problems.push({ path: '/timeoutMs', message: `must be a whole number from ${MIN_CRM_TIMEOUT_MS} to ${MAX_CRM_TIMEOUT_MS}` });
  }
  return problems;
}

/** The settings as administrators read them back: every header value reduced to its hint. */
export function maskedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, secretHint(value)]));
}
