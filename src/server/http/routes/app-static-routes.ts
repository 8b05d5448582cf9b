import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../error-handler.js';

export interface AppStaticRouteOptions {
  /** The built web app (`vite.web.config.ts`); default `dist/web/` of this package (from src/ and from dist/ alike). */
  readonly dir?: string | undefined;
}

// Four levels up from src/server/http/routes/ or dist/server/http/routes/: the package root.
const DEFAULT_DIR = fileURLToPath(new URL('../../../../dist/web/', import.meta.url));
/** Asset names carry a content hash, so a browser may keep them for good. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/;
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

interface Loaded {
  readonly mtimeMs: number;
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * The web app (agent workspace; supervisor and admin screens to come) under `/app/`: hashed files
 * from `/app/assets/` with a year's cache, and `index.html` for every other `/app/*` path (the app
 * routes in the browser), revalidated on each load so a new build is picked up at once. Public
 * like the sign-in page: the app itself asks `GET /v1/session` and sends the person to sign in.
 */
export function appStaticRoutes(app: FastifyInstance, options: AppStaticRouteOptions = {}): void {
  const dir = options.dir ?? DEFAULT_DIR;
  const cache = new Map<string, Loaded>();

  // Read once and again only when the file changes (a rebuild while the server runs).
  async function load(path: string): Promise<Loaded | undefined> {
    let mtimeMs: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      mtimeMs = info.mtimeMs;
    } catch {
      return undefined;
    }
    const known = cache.get(path);
    if (known?.mtimeMs === mtimeMs) return known;
    const body = await readFile(path);
    const loaded = { mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    cache.set(path, loaded);
    return loaded;
  }

  const config = { public: true };
  const schema = { hide: true };

  app.get('/app', { config, schema }, async (_request, reply) => reply.redirect('/app/', 302));

  app.get<{ Params: { name: string } }>('/app/assets/:name', { config, schema }, async (request, reply) => {
    const { name } = request.params;
    const type = TYPES[extname(name)];
    const file = ASSET_NAME.test(name) && type ? await load(join(dir, 'assets', name)) : undefined;
    if (!file) return sendError(reply, 'SB_ERR_ROUTE_NOT_FOUND', `No such file of the web app: ${name}.`);
    reply.header('cache-control', ASSET_CACHE).header('etag', file.etag).header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(type!).send(file.body);
  });

  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    const page = await load(join(dir, 'index.html'));
    if (!page) return sendError(reply, 'SB_ERR_UNAVAILABLE', 'The web app is not built; run `npm run build`.');
    const socket = `${request.protocol === 'https' ? 'wss' : 'ws'}://${request.host}`;
    reply
      .header('content-security-policy', `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${socket}; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-cache')
      .header('etag', page.etag);
    if (request.headers['if-none-match'] === page.etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(page.body);
  };
  app.get('/app/', { config, schema }, index);
  app.get('/app/*', { config, schema }, index);
}
