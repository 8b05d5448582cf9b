import type { IncomingMessage, ServerResponse } from 'node:http';

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

/** The JSON body of a plain node:http request, or undefined when it is empty or not JSON (botbuilder then answers 400). */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
