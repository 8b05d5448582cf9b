/**
 * POSTs one lookup to a tenant's CRM endpoint. The adapter (`adapters/crm/fetch-crm-endpoint.ts`)
 * does the HTTP: it never follows a redirect (a 3xx comes back as an answer), cuts the call off at
 * the timeout, and reads at most `maxBytes` of the answer. The use case decides what an answer
 * means. Never throws: every outcome is a result. Example:
 *
 *   const result = await crm.post({ url, headers: { authorization: 'Bearer ...' }, body: JSON.stringify(request), timeoutMs: 2000, maxBytes: 262_144 });
 *   if (result.kind === 'answered' && result.status === 200) show(JSON.parse(result.body));
 */
export interface CrmCall {
  readonly url: string;
  /** The tenant's configured headers; the adapter adds the content type. */
  readonly headers: Readonly<Record<string, string>>;
  /** The lookup as JSON text. */
  readonly body: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export type CrmCallResult =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'unreachable'; readonly detail: string };

export interface CrmEndpoint {
  post(call: CrmCall): Promise<CrmCallResult>;
}
