import type { DirectLineTransport, HttpResponse } from './directline-transport.js';

/**
 * The widget's own public endpoints (docs/WEBCHAT.md "Widget endpoints"): the channel's settings,
 * a Direct Line token carrying the pre-chat answers, and the satisfaction survey.
 */

export type PrechatFieldType = 'text' | 'email' | 'textarea' | 'select';

export interface PrechatField {
  readonly name: string;
  readonly label: string;
  readonly type: PrechatFieldType;
  readonly required: boolean;
  readonly options: readonly string[];
  readonly maxLength: number | undefined;
}

export interface WidgetSettings {
  readonly channelId: string;
  readonly title: string;
  readonly accentColor: string | undefined;
  readonly prechatFields: readonly PrechatField[];
  readonly csatEnabled: boolean;
}

export interface TokenRequest {
  readonly user?: { readonly name?: string };
  readonly prechat?: Readonly<Record<string, string>>;
  readonly page?: { readonly url?: string; readonly locale?: string; readonly title?: string };
}

export interface WidgetToken {
  readonly conversationId: string;
  readonly token: string;
  readonly expiresIn: number;
  readonly userId: string;
}

/** A refusal of one of these endpoints, with Switchboard's error code and per-field problems. */
export class WidgetApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** `details.problems` of a validation error, by field name ("email" -> "not an e-mail address"). */
  readonly fieldProblems: ReadonlyMap<string, string>;

  constructor(res: HttpResponse) {
    const error = (res.body as { error?: { code?: unknown; message?: unknown; details?: { problems?: unknown } } } | undefined)?.error;
    super(typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`);
    this.name = 'WidgetApiError';
    this.status = res.status;
    this.code = typeof error?.code === 'string' ? error.code : undefined;
    const problems = new Map<string, string>();
    const list = error?.details?.problems;
    if (Array.isArray(list)) {
      for (const p of list) {
        const m = typeof p === 'string' ? /^([a-z][a-z0-9_]*): (.+)$/.exec(p) : null;
        if (m) problems.set(m[1]!, m[2]!);
      }
    }
    this.fieldProblems = problems;
  }
}

const FIELD_TYPES: readonly string[] = ['text', 'email', 'textarea', 'select'];

function channelUrl(base: string, channelId: string, what: string): string {
  return `${base}/webchat/${encodeURIComponent(channelId)}/${what}`;
}

export async function fetchSettings(transport: DirectLineTransport, base: string, channelId: string): Promise<WidgetSettings> {
  const res = await transport.request(channelUrl(base, channelId, 'settings'), { method: 'GET', headers: {} });
  if (res.status !== 200 || !res.body || typeof res.body !== 'object') throw new WidgetApiError(res);
  return readSettings(res.body as Record<string, unknown>, channelId);
}

/** Settings as the server sent them, with anything malformed dropped rather than trusted. */
export function readSettings(body: Record<string, unknown>, channelId: string): WidgetSettings {
  const prechat = (body.prechat ?? {}) as { fields?: unknown };
  const fields: PrechatField[] = [];
  for (const raw of Array.isArray(prechat.fields) ? prechat.fields : []) {
    const f = raw as Record<string, unknown>;
    if (!f || typeof f.name !== 'string' || f.name === '') continue;
    const type = (typeof f.type === 'string' && FIELD_TYPES.includes(f.type) ? f.type : 'text') as PrechatFieldType;
    const options = Array.isArray(f.options) ? f.options.filter((o): o is string => typeof o === 'string') : [];
    if (type === 'select' && options.length === 0) continue;
    fields.push({
      name: f.name,
      label: typeof f.label === 'string' && f.label !== '' ? f.label : f.name,
      type,
      required: f.required === true,
      options,
      maxLength: typeof f.maxLength === 'number' && f.maxLength > 0 ? f.maxLength : undefined,
    });
  }
  const accent = typeof body.accentColor === 'string' && /^#[0-9a-fA-F]{6}$/.test(body.accentColor) ? body.accentColor : undefined;
  return {
    channelId,
    title: typeof body.title === 'string' && body.title.trim() !== '' ? body.title : 'Chat',
    accentColor: accent,
    prechatFields: fields,
    csatEnabled: (body.csat as { enabled?: unknown } | undefined)?.enabled === true,
  };
}

export async function requestWidgetToken(transport: DirectLineTransport, base: string, channelId: string, request: TokenRequest): Promise<WidgetToken> {
  const res = await transport.request(channelUrl(base, channelId, 'token'), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request),
  });
  const b = res.body as Partial<{ conversationId: string; token: string; expires_in: number; userId: string }> | undefined;
  if (res.status !== 200 || typeof b?.token !== 'string' || typeof b.conversationId !== 'string' || typeof b.userId !== 'string') throw new WidgetApiError(res);
  return { conversationId: b.conversationId, token: b.token, expiresIn: typeof b.expires_in === 'number' ? b.expires_in : 1800, userId: b.userId };
}

/** `stored`, or `already` when this conversation's survey was answered before (409). */
export async function submitCsat(transport: DirectLineTransport, base: string, channelId: string, token: string, answer: { rating: number; comment?: string }): Promise<'stored' | 'already'> {
  const res = await transport.request(channelUrl(base, channelId, 'csat'), {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(answer),
  });
  if (res.status === 201 || res.status === 200) return 'stored';
  if (res.status === 409) return 'already';
  throw new WidgetApiError(res);
}
