import type { DirectLineTransport, HttpRequest, HttpResponse, SocketHandlers } from './directline-transport.js';

/** The Direct Line transport over the browser's fetch, WebSocket and timers. */
export function browserTransport(): DirectLineTransport {
  return {
    async request(url: string, init: HttpRequest): Promise<HttpResponse> {
      // No cookies: the widget runs on the customer's site and authenticates with its token only.
      const res = await fetch(url, { method: init.method, headers: init.headers, body: init.body ?? null, credentials: 'omit', mode: 'cors' });
      let body: unknown;
      try {
        body = (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.status, body };
    },
    openSocket: typeof WebSocket === 'function'
      ? (url: string, handlers: SocketHandlers) => {
        const socket = new WebSocket(url);
        socket.onopen = () => handlers.onOpen();
        socket.onmessage = (event) => handlers.onMessage(typeof event.data === 'string' ? event.data : '');
        socket.onclose = (event) => handlers.onClose(event.code, event.reason);
        return {
          send: (data: string) => socket.send(data),
          close: () => {
            // Detach first: a close we asked for must not look like a network loss.
            socket.onopen = socket.onmessage = socket.onclose = null;
            socket.close(1000);
          },
        };
      }
      : undefined,
    schedule(fn: () => void, ms: number): () => void {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    },
    now: () => Date.now(),
    random: () => Math.random(),
  };
}
