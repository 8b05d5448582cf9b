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
