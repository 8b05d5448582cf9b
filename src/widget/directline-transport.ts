/**
 * What the Direct Line client needs of the browser, as an interface: HTTP, a socket, timers, the
 * clock and randomness. `browser-transport.ts` is the real one; the tests drive a fake one, frame
 * by frame and timer by timer.
 */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | FormData;
}

export interface HttpResponse {
  readonly status: number;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  readonly body: unknown;
}

export interface SocketHandlers {
  onOpen(): void;
  /** A text frame; an empty one is a keep-alive. */
  onMessage(data: string): void;
  onClose(code: number, reason: string): void;
}

export interface SocketHandle {
  send(data: string): void;
  close(): void;
}

export interface DirectLineTransport {
  /** Rejects only when no answer arrived (network down, DNS, CORS refused): any status resolves. */
  request(url: string, init: HttpRequest): Promise<HttpResponse>;
  /** Undefined when this browser cannot open sockets; the client then polls. */
  readonly openSocket?: ((url: string, handlers: SocketHandlers) => SocketHandle) | undefined;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  schedule(fn: () => void, ms: number): () => void;
  now(): number;
  random(): number;
}
