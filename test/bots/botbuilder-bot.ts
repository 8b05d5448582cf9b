/**
 * A real, unmodified `botbuilder` bot for the channel's suites: `CloudAdapter` with
 * `new ConfigurationBotFrameworkAuthentication(env)`, as the Bot Framework samples build it
 * (PROTOCOLS.md 2.3), behind a tiny node:http server on 127.0.0.1 (`/api/messages`). Each turn
 * runs `logic` (default: record the turn and send nothing, so no Connector call is made).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type TurnContext } from 'botbuilder';
import { botbuilderResponse, readJsonBody } from '../../src/server/demo/botbuilder-response.js';

export interface BotbuilderBot {
  /** `http://127.0.0.1:<port>/api/messages`. */
  readonly url: string;
  /** Activities whose turn ran. */
  readonly turns: Activity[];
  /** Errors the adapter reported from turns (`onTurnError`). */
  readonly turnErrors: unknown[];
  close(): Promise<void>;
}

/** The full block of PROTOCOLS.md 2.3 (all seven parameterized keys), pointed at a Switchboard channel. */
export function channelEnv(options: { appId: string; issuer: string; openIdMetadataUrl: string; base: string }): Record<string, string> {
  return {
    MicrosoftAppId: options.appId,
    MicrosoftAppPassword: 'test-secret',
    MicrosoftAppType: 'MultiTenant',
    ToBotFromChannelTokenIssuer: options.issuer,
    ToBotFromChannelOpenIdMetadataUrl: options.openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: options.openIdMetadataUrl,
    // Only used for the bot's own outbound token; these suites' bots either send nothing or use the managed identity route.
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    OAuthUrl: `${options.base}/botframework/oauth-unused`,
    CallerId: 'urn:botframework:switchboard-test',
    ValidateAuthority: 'false',
  };
}

export async function startBotbuilderBot(
  env: Record<string, string>, logic?: (context: TurnContext) => Promise<void>,
): Promise<BotbuilderBot> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(env));
  const turns: Activity[] = [];
  const turnErrors: unknown[] = [];
  adapter.onTurnError = async (_context, error) => {
    turnErrors.push(error);
  };
  const run = logic ?? (async () => undefined);
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req);
    const response = botbuilderResponse(res);
    try {
      await adapter.process({ body, headers: req.headers, method: req.method }, response, async (context) => {
        turns.push(context.activity);
        await run(context);
      });
    } catch (error) {
      turnErrors.push(error);
      if (!res.writableEnded) {
        res.statusCode = 500;
        res.end();
      }
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/messages`,
    turns,
    turnErrors,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A message activity as the channel sends it. */
export function messageActivity(serviceUrl: string, appId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'message', id: `act-${Math.random().toString(36).slice(2)}`, timestamp: new Date().toISOString(),
    channelId: 'directline', serviceUrl,
    from: { id: 'dl_customer', name: 'Customer', role: 'user' }, recipient: { id: appId, name: 'Bot', role: 'bot' },
    conversation: { id: 'conv-1' }, text: 'hello', locale: 'en-US',
    ...extra,
  };
}

/** POSTs an activity to the bot as the channel would; the status and the body text. */
export async function postToBot(url: string, activity: Record<string, unknown>, bearer?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}
