import type { CrmCall, CrmCallResult, CrmEndpoint } from '../../app/ports/crm-endpoint.js';

/**
 * The CRM endpoint over Node's fetch. Redirects are not followed (`redirect: 'manual'`): the
 * configured URL is the one an administrator approved, and following a Location would send the
 * customer's data and the tenant's credentials wherever the endpoint points. One timeout covers
 * connecting, the headers and the body; the body is read as a stream and dropped past `maxBytes`,
 * so a huge or endless answer costs no more than that.
 */
export class FetchCrmEndpoint implements CrmEndpoint {
  async post(call: CrmCall): Promise<CrmCallResult> {
    const signal = AbortSignal.timeout(call.timeoutMs);
    const headers = new Headers(call.headers);
    headers.set('content-type', 'application/json; charset=utf-8');
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    try {
      const response = await fetch(call.url, { method: 'POST', headers, body: call.body, redirect: 'manual', signal });
      const body = await readAtMost(response, call.maxBytes);
      return body === undefined ? { kind: 'too-large' } : { kind: 'answered', status: response.status, body };
    } catch (error) {
      if (signal.aborted) return { kind: 'timeout' };
      const cause = (error as { cause?: { code?: string } }).cause;
      return { kind: 'unreachable', detail: cause?.code ?? (error as Error).name };
    }
  }
}

/** The body as text, or undefined when it is longer than `maxBytes` (the rest is not read). */
async function readAtMost(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
