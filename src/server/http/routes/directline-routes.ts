import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateDirectLine, requireToken, type DirectLinePrincipal } from '../../../app/webchat/directline-auth.js';
import {
  activitiesAfter, generateToken, postActivity, reconnect, refreshToken, startConversation, uploadActivity, type ConversationAnswer, type TokenRequest,
} from '../../../app/webchat/directline-conversations.js';
import { DirectLineError } from '../../../app/webchat/directline-error.js';
import { originAllowed } from '../../../app/webchat/webchat-origins.js';
import type { WebchatDeps } from '../../../app/webchat/webchat-deps.js';
import type { ConversationFeed } from '../../../app/webchat/conversation-feed.js';
import { MAX_ACTIVITY_CHARS } from '../../../core/webchat/directline-activity.js';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES } from '../../../core/webchat/upload-policy.js';
import type { UploadedFile } from '../../../app/use-cases/post-message.js';

export const DIRECTLINE_PREFIX = '/v3/directline';

/** Where the request says it arrived, for `streamUrl` (`ws://` for http, `wss://` for https). */
export function publicBase(request: FastifyRequest, publicUrl: string | null): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

function streamUrl(base: string, conversationId: string, token: string, watermark?: string): string {
  const ws = base.replace(/^http/, 'ws');
  const query = `t=${encodeURIComponent(token)}${watermark ? `&watermark=${encodeURIComponent(watermark)}` : ''}`;
  return `${ws}${DIRECTLINE_PREFIX}/conversations/${encodeURIComponent(conversationId)}/stream?${query}`;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * Direct Line 3.0 (../shared/design/PROTOCOLS.md section 4, docs/WEBCHAT.md) for customers'
 * clients: `botframework-directlinejs`, Web Chat and our widget. Its own authentication (a
 * channel's secret or a conversation token) and error codes; hidden from the OpenAPI document,
 * which describes Switchboard's own API.
 */
export async function directLineRoutes(app: FastifyInstance, deps: WebchatDeps, feed: ConversationFeed, publicUrl: string | null): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler(botFrameworkErrorHandler('Direct Line'));

    const config = { public: true };
    const schema = { hide: true } as const;
    // Fastify's body limit in bytes; the protocol's is in characters, checked on the parsed activity.
    const bodyLimit = MAX_ACTIVITY_CHARS * 4;

    /** The caller, refused when a browser page of an untrusted origin sent the request. */
    const principal = async (request: FastifyRequest, reply: FastifyReply): Promise<DirectLinePrincipal> => {
      const found = await authenticateDirectLine(deps, bearerOf(request));
      allowOrigin(request, reply, found, publicUrl);
      return found;
    };
    const answer = (request: FastifyRequest, a: ConversationAnswer, watermark?: string) => ({
      conversationId: a.conversationId, token: a.token, expires_in: a.expiresIn,
      streamUrl: streamUrl(publicBase(request, publicUrl), a.conversationId, a.token, watermark),
    });

    scope.options(`${DIRECTLINE_PREFIX}/*`, { config, schema }, async (request, reply) => {
      // A preflight grants nothing by itself: the request that follows is checked against its channel's origins.
      const origin = request.headers.origin;
      if (typeof origin === 'string') {
        reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
        reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
        reply.header('access-control-allow-headers', 'authorization, content-type, x-ms-bot-agent, x-requested-with');
        reply.header('access-control-max-age', '600');
      }
      return reply.code(204).send();
    });

    scope.post(`${DIRECTLINE_PREFIX}/tokens/generate`, { config, schema, bodyLimit: 16 * 1024 }, async (request, reply) => {
      const a = await generateToken(deps, await principal(request, reply), request.body as TokenRequest | undefined);
      return { conversationId: a.conversationId, token: a.token, expires_in: a.expiresIn };
    });

    scope.post(`${DIRECTLINE_PREFIX}/tokens/refresh`, { config, schema, bodyLimit: 16 * 1024 }, async (request, reply) => {
      const a = await refreshToken(deps, requireToken(await principal(request, reply)));
      return { conversationId: a.conversationId, token: a.token, expires_in: a.expiresIn };
    });

    scope.post(`${DIRECTLINE_PREFIX}/conversations`, { config, schema, bodyLimit: 16 * 1024 }, async (request, reply) => {
      const a = await startConversation(deps, await principal(request, reply), request.body as TokenRequest | undefined);
      return reply.code(a.created ? 201 : 200).send(answer(request, a));
    });

    scope.get<{ Params: { id: string }; Querystring: { watermark?: string } }>(`${DIRECTLINE_PREFIX}/conversations/:id`, { config, schema }, async (request, reply) => {
      const found = await principal(request, reply);
      const a = await reconnect(deps, found, bearerOf(request)!, request.params.id);
      return answer(request, a, request.query.watermark);
    });

    scope.get<{ Params: { id: string }; Querystring: { watermark?: string } }>(`${DIRECTLINE_PREFIX}/conversations/:id/activities`, { config, schema }, async (request, reply) => {
      return activitiesAfter(deps, await principal(request, reply), request.params.id, request.query.watermark, publicBase(request, publicUrl));
    });

    // Files are checked whole before anything is stored; a part over the limit ends the request.
    await scope.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_UPLOAD_FILES + 1, fields: 0, parts: MAX_UPLOAD_FILES + 1, headerPairs: 100 } });
    scope.post<{ Params: { id: string } }>(`${DIRECTLINE_PREFIX}/conversations/:id/upload`, { config, schema }, async (request, reply) => {
      const found = await principal(request, reply);
      if (!request.isMultipart()) throw new DirectLineError('UnsupportedMediaType', 'Send the files as multipart/form-data.');
      const files: UploadedFile[] = [];
      let activity: unknown;
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue;
        const content = await part.toBuffer();
        if (part.file.truncated) throw new DirectLineError('MessageSizeTooBig', `Each file must be at most ${MAX_UPLOAD_BYTES} bytes.`);
        if (part.fieldname === 'activity') {
          try {
            activity = JSON.parse(content.toString('utf8'));
          } catch {
            throw new DirectLineError('BadArgument', 'The activity part is not JSON.');
          }
        } else if (part.fieldname === 'file') {
          files.push({ name: part.filename, contentType: part.mimetype, content });
        }
      }
      return { id: (await uploadActivity(deps, found, request.params.id, activity, files)).id };
    });

    scope.post<{ Params: { id: string } }>(`${DIRECTLINE_PREFIX}/conversations/:id/activities`, { config, schema, bodyLimit }, async (request, reply) => {
      const posted = await postActivity(deps, await principal(request, reply), request.params.id, request.body);
      if (posted.typing) feed.customerTyping(posted.typing.tenantId, posted.typing.conversationId, posted.typing.userId);
      return { id: posted.id };
    });
  });
}

/**
 * Pages of other sites may call only with the channel's trusted origins; a request without an
 * `Origin` header is a server or a native client, which hold a secret or a token anyway.
 */
function allowOrigin(request: FastifyRequest, reply: FastifyReply, principal: DirectLinePrincipal, publicUrl: string | null): void {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return;
  if (!originAllowed(principal.channel, origin, publicBase(request, publicUrl))) {
    throw new DirectLineError('Forbidden', 'This page\'s origin is not trusted by the channel.');
  }
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
}

/**
 * The error handler of the Bot Framework protocols' routes (Direct Line, the Connector API): their
 * own errors as they are, Fastify's (too large, wrong media type, bad JSON) as the protocol's
 * codes, anything else a logged ServiceError.
 */
export function botFrameworkErrorHandler(what: string) {
  return (error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof DirectLineError) return sendDirectLineError(reply, error);
    const status = error.statusCode ?? 500;
    if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_FILES_LIMIT' || error.code === 'FST_PARTS_LIMIT') return sendDirectLineError(reply, new DirectLineError('MessageSizeTooBig', 'The activity is too large.'));
    if (status === 415) return sendDirectLineError(reply, new DirectLineError('UnsupportedMediaType', 'Send application/json.'));
    if (status >= 400 && status < 500) return sendDirectLineError(reply, new DirectLineError('BadArgument', 'The request is malformed (invalid JSON?).'));
    request.log.error({ err: error }, `${what} request failed`);
    return sendDirectLineError(reply, new DirectLineError('ServiceError', 'The request failed; try again.'));
  };
}

export function sendDirectLineError(reply: FastifyReply, error: DirectLineError): FastifyReply {
  // botbuilder retries a 429 only when it says when (Retry-After); without it the reply is lost.
  if (error.status === 429) reply.header('retry-after', '1');
  return reply.code(error.status).header('cache-control', 'no-store').send({ error: { code: error.code, message: error.message } });
}
