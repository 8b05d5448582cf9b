import { Agent, request } from 'node:http';

/**
 * A small HTTP/1.1 client over a keep-alive `node:http` Agent, for load that is not autocannon's
 * closed loop: open-loop sends (B1) and setup or reconnect calls in bulk (B8). Connections are
 * reused; at most `connections` are open, further requests wait in the agent's queue (which is
 * queueing a real client would see too, so it is part of the measured latency).
 */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export class KeepAliveClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, options: { connections: number; localAddress?: string | undefined }) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({
      keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections, scheduling: 'fifo',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    } as ConstructorParameters<typeof Agent>[0]);
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const req = request({ host: this.host, port: this.port, method, path, headers: outgoing, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** JSON in, JSON out; throws on anything but the expected statuses. */
  async json<T>(method: string, path: string, headers: Record<string, string>, body?: unknown, ok: readonly number[] = [200, 201]): Promise<T> {
    const answer = await this.request(method, path, body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body));
    if (!ok.includes(answer.status)) throw new Error(`${method} ${path}: ${answer.status} ${answer.body.slice(0, 300)}`);
    return JSON.parse(answer.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work` for every item with at most `concurrency` in flight; resolves with the results in order. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
