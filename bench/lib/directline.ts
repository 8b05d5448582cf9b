import { inParallel, KeepAliveClient } from './http-client.js';
import type { apiClient } from './switchboard.js';

/**
 * Web chat set up the way an operator and a site do it: a `webchat` channel and a Direct Line
 * secret through the admin API, then Direct Line conversations as a customer's client starts them
 * (`POST /v3/directline/tokens/generate` with the secret, then `POST /v3/directline/conversations`
 * with the token, which answers the `streamUrl`).
 */

export interface WebchatChannel {
  readonly tenantId: string;
  readonly channelId: string;
  /** The Direct Line secret (`sbdl_...`), for the site's server. */
  readonly secret: string;
}

export interface DirectLineConversation {
  readonly conversationId: string;
  readonly token: string;
  readonly streamUrl: string;
  readonly userId: string;
}

export async function createWebchatChannel(call: ReturnType<typeof apiClient>, name: string): Promise<WebchatChannel> {
  const tenant = await call<{ id: string }>('POST', '/v1/tenants', { name });
  const channel = await call<{ id: string }>('POST', `/v1/tenants/${tenant.id}/channels`, { type: 'webchat', name: `${name} web chat`, config: { title: `${name} support` } });
  const secret = await call<{ value: string }>('POST', `/v1/tenants/${tenant.id}/channels/${channel.id}/directline-secrets`, {});
  return { tenantId: tenant.id, channelId: channel.id, secret: secret.value };
}

/**
 * Starts `count` conversations, `concurrency` at a time over keep-alive connections: token (with
 * a user id, as a site's server asks for its signed-in visitor) then start. `onProgress` is called
 * every 1,000 conversations.
 */
export async function startConversations(
  baseUrl: string, channel: WebchatChannel, count: number, options: { concurrency: number; userPrefix: string; onProgress?: (done: number) => void },
): Promise<DirectLineConversation[]> {
  const client = new KeepAliveClient(baseUrl, { connections: options.concurrency });
  let done = 0;
  try {
    return await inParallel(Array.from({ length: count }, (_, i) => i), options.concurrency, async (i) => {
      const userId = `${options.userPrefix}${i}`;
      const generated = await client.json<{ token: string; conversationId: string }>('POST', '/v3/directline/tokens/generate',
        { authorization: `Bearer ${channel.secret}` }, { user: { id: userId, name: `Customer ${i}` } }, [200]);
      const started = await client.json<{ conversationId: string; token: string; streamUrl: string }>('POST', '/v3/directline/conversations',
        { authorization: `Bearer ${generated.token}` }, undefined, [201]);
      if (started.conversationId !== generated.conversationId) throw new Error('start answered another conversation than the token\'s');
      if (++done % 1000 === 0) options.onProgress?.(done);
      return { conversationId: started.conversationId, token: started.token, streamUrl: started.streamUrl, userId };
    });
  } finally {
    client.close();
  }
}
