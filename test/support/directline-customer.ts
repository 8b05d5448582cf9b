/**
 * A web chat customer for the bot suites: Microsoft's `botframework-directlinejs` in Node, as its
 * README runs it (XMLHttpRequest and WebSocket as globals), with the few waits the suites share.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
(globalThis as Record<string, unknown>).XMLHttpRequest = require('xhr2');
(globalThis as Record<string, unknown>).WebSocket = require('ws');
export const { DirectLine, ConnectionStatus } = require('botframework-directlinejs') as typeof import('botframework-directlinejs');
export type DirectLineClient = InstanceType<typeof DirectLine>;

/** Resolves once the client is online (its stream is open), or fails after 5 s. */
export async function online(dl: DirectLineClient): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Direct Line did not come online')), 5_000);
    const sub = dl.connectionStatus$.subscribe((s: number) => {
      if (s === ConnectionStatus.Online) {
        clearTimeout(timer);
        setTimeout(() => sub.unsubscribe());
        resolve();
      }
    });
  });
}

/** The customer types `text`; resolves with the activity id the service gave it. */
export function say(dl: DirectLineClient, text: string): Promise<string> {
  return new Promise((resolve, reject) => dl.postActivity({ type: 'message', from: { id: 'me' }, text } as never).subscribe({ next: resolve, error: reject }));
}

export interface ReceivedActivity {
  readonly type: string;
  readonly id?: string;
  readonly text?: string;
  readonly from: { readonly id: string; readonly name?: string };
}

/**
 * A customer on Direct Line for the browser journeys: a token for `user` from the channel's secret,
 * the client online over WebSocket, and what it received, a way to wait for a text, and a way to
 * write. `end()` closes the client.
 */
export async function customerOnDirectLine(base: string, secret: string, user: { id: string; name: string }) {
  const res = await fetch(`${base}/v3/directline/tokens/generate`, {
    method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ user }),
  });
  if (res.status !== 200) throw new Error(`token generate answered ${res.status}: ${await res.text()}`);
  const { token, conversationId } = await res.json() as { token: string; conversationId: string };
  const dl = new DirectLine({ token, domain: `${base}/v3/directline`, webSocket: true });
  const seen: ReceivedActivity[] = [];
  const subscription = dl.activity$.subscribe((a: ReceivedActivity) => seen.push(a));
  await online(dl);
  return {
    conversationId,
    seen,
    say: (text: string) => new Promise<string>((resolve, reject) => dl.postActivity({ type: 'message', from: { id: user.id, name: user.name }, text } as never).subscribe({ next: resolve, error: reject })),
    typing: () => new Promise<string>((resolve, reject) => dl.postActivity({ type: 'typing', from: { id: user.id, name: user.name } } as never).subscribe({ next: resolve, error: reject })),
    /** Resolves with the first message activity with this text, or fails after 10 s. */
    async received(text: string): Promise<ReceivedActivity> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = seen.find((a) => a.type === 'message' && a.text === text);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the customer never received ${JSON.stringify(text)}; saw ${JSON.stringify(seen.map((a) => a.text))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    end: () => {
      subscription.unsubscribe();
      dl.end();
    },
  };
}
