import type { ServerResponse } from 'node:http';

/**
 * botbuilder's `CloudAdapter.process` takes express/restify-like request and response objects;
 * these few members make node's own `ServerResponse` one. Used by the demo bot (and by the test
 * suites' and benchmarks' bots, which run botbuilder behind a plain node:http server too).
 */
export function botbuilderResponse(res: ServerResponse) {
  return {
    socket: res.socket,
    header: (name: string, value: unknown) => res.setHeader(name, String(value)),
    status: (code: number) => {
      res.statusCode = code;
    },
    send: (body?: unknown) => {
      if (body !== undefined) res.write(typeof body === 'string' ? body : JSON.stringify(body));
    },
    end: () => res.end(),
  };
}
