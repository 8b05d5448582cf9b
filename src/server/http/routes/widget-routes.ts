import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../../app/deps.js';
import { findDemoWebchat } from '../../../app/queries/demo-queries.js';
import { sendError } from '../error-handler.js';

export interface WidgetRouteOptions {
  /** The built widget; default `dist/widget/widget.js` of this package (from src/ and from dist/ alike). */
  readonly widgetFile?: string | undefined;
}

// Four levels up from src/server/http/routes/ or dist/server/http/routes/: the package root.
const DEFAULT_WIDGET_FILE = fileURLToPath(new URL('../../../../dist/widget/widget.js', import.meta.url));
/**
 * The script's URL carries no version (the embed snippet is pasted once into a site), so browsers
 * may keep it only briefly; the ETag makes the revalidation after that a 304.
 */
const WIDGET_CACHE = 'public, max-age=300, stale-while-revalidate=86400';

interface Loaded {
  readonly mtimeMs: number;
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * The embeddable web chat widget (`GET /webchat/widget.js`) and a demo page that embeds it for
 * the demo tenant's channel (`GET /webchat/demo`). Public, and hidden from the OpenAPI document:
 * they are files for browsers, not API operations.
 */
export function widgetRoutes(app: FastifyInstance, deps: AppDeps, options: WidgetRouteOptions = {}): void {
  const file = options.widgetFile ?? DEFAULT_WIDGET_FILE;
  let loaded: Loaded | undefined;

  // Read once and again only when the file changes (a rebuild while the server runs).
  async function widget(): Promise<Loaded | undefined> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch {
      return undefined;
    }
    if (loaded?.mtimeMs !== mtimeMs) {
      const body = await readFile(file);
      loaded = { mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    }
    return loaded;
  }

  app.get('/webchat/widget.js', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const script = await widget();
    if (!script) return sendError(reply, 'SB_ERR_UNAVAILABLE', 'The web chat widget is not built; run `npm run build`.');
    reply.header('cache-control', WIDGET_CACHE).header('etag', script.etag).header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === script.etag) return reply.code(304).send();
    return reply.type('application/javascript; charset=utf-8').send(script.body);
  });

  app.get('/webchat/demo', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const demo = await findDemoWebchat(deps);
    if (!demo) return page(request, reply, 404, notSeededPage());
    return page(request, reply, 200, demoPage(request, demo.tenantId, demo.channelId));
  });
}

function page(request: FastifyRequest, reply: FastifyReply, status: number, html: string): FastifyReply {
  // The page's own script is the widget, from this origin; its requests and socket go here too
  // (named as ws:/wss: as well: older browsers do not count a socket to this host as 'self').
  const socket = `${request.protocol === 'https' ? 'wss' : 'ws'}://${request.host}`;
  return reply.code(status)
    .header('content-security-policy', `default-src 'none'; script-src 'self'; connect-src 'self' ${socket}; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f6f7f9;color:#1d2330}
main{max-width:46rem;margin:3rem auto;padding:0 1.25rem}h1{font-size:1.8rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
pre{background:#fff;border:1px solid #dde1e7;border-radius:.5rem;padding:.75rem 1rem;overflow-x:auto;font-size:.85rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}`;

function demoPage(request: FastifyRequest, tenantId: string, channelId: string): string {
  const base = `${request.protocol}://${request.host}`;
  const snippet = `<script src="${base}/webchat/widget.js" data-channel="${channelId}" async></script>`;
  const api = `${base}/v1/tenants/${tenantId}/conversations`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard web chat demo</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Demo Shop</h1>
<p>This page embeds the web chat widget of the demo tenant's channel <code>${esc(channelId)}</code>.
Open it with the button at the bottom right (or Tab to it and press Enter), answer the short form and write a message:
the conversation is routed like any other web chat.</p>
<h2>Embed it on a page</h2>
<pre><code>${esc(snippet)}</code></pre>
<p>A page on another site needs its origin in the channel's <code>trustedOrigins</code>.</p>
<h2>Answer as an agent</h2>
<p>Find the conversation and post a public message with the admin key printed on first start:</p>
<pre><code>${esc(`curl -H "Authorization: Bearer $KEY" "${api}?limit=5"`)}
${esc(`curl -H "Authorization: Bearer $KEY" -H "content-type: application/json" \\
  -d '{"senderRole":"agent","text":"Hello! How can I help?"}' ${api}/CONVERSATION_ID/messages`)}</code></pre>
</main>
<script src="/webchat/widget.js" data-channel="${esc(channelId)}" async></script>
</body>
</html>
`;
}

function notSeededPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard web chat demo</title><style>${CSS}</style></head>
<body><main><h1>No demo data</h1><p>The demo page needs the demo tenant: run <code>switchboard demo</code>, or start with <code>npm start</code>,
which seeds it on first start.</p></main></body></html>
`;
}
