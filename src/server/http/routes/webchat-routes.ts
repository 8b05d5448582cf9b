import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { submitSurvey, widgetSettings, widgetToken } from '../../../app/webchat/widget-session.js';
import { originAllowed } from '../../../app/webchat/webchat-origins.js';
import type { WebchatDeps } from '../../../app/webchat/webchat-deps.js';
import { Id } from '../../../contracts/common.js';
import { SurveyBody, WidgetTokenBody } from '../../../contracts/webchat.js';
import { publicBase } from './directline-routes.js';

const ChannelParams = Type.Object({ channelId: Id });

/**
 * The widget's public endpoints (docs/WEBCHAT.md): settings, a visitor's token, the satisfaction
 * survey. No credentials: a page of a trusted origin may call them, and they answer with CORS
 * headers for that origin only. Hidden from the OpenAPI document like the Direct Line endpoints.
 */
export async function webchatRoutes(app: FastifyInstance, deps: WebchatDeps, publicUrl: string | null): Promise<void> {
  await app.register(async (scope) => {
    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    const config = { public: true };
    const origin = (req: FastifyRequest): string | undefined => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
    // CORS for trusted pages: whether the origin is trusted is decided per channel by the handlers
    // (a refused origin gets 403 and no CORS header, so its page cannot even read the refusal).
    scope.addHook('onSend', async (req, reply) => {
      const o = origin(req);
      const channelId = (req.params as { channelId?: string }).channelId;
      if (!o || !channelId || reply.statusCode === 403) return;
      const channel = await deps.storage.read.webchat.findWebchatChannel(channelId);
      if (channel && originAllowed(channel, o, publicBase(req, publicUrl))) reply.header('access-control-allow-origin', o).header('vary', 'Origin');
    });
    r.options('/webchat/:channelId/*', { config, schema: { hide: true, params: Type.Object({ channelId: Id, '*': Type.String() }) } }, async (req, reply) => {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'authorization, content-type').header('access-control-max-age', '600');
      return reply.code(204).send();
    });
    r.get('/webchat/:channelId/settings', { config, schema: { hide: true, params: ChannelParams } },
      async (req) => widgetSettings(deps, req.params.channelId, origin(req), publicBase(req, publicUrl)));
    r.post('/webchat/:channelId/token', { config, schema: { hide: true, params: ChannelParams, body: WidgetTokenBody }, bodyLimit: 32 * 1024 }, async (req) => {
      const t = await widgetToken(deps, req.params.channelId, req.body, origin(req), publicBase(req, publicUrl));
      return { conversationId: t.conversationId, token: t.token, expires_in: t.expiresIn, userId: t.userId };
    });
    r.post('/webchat/:channelId/csat', { config, schema: { hide: true, params: ChannelParams, body: SurveyBody }, bodyLimit: 8 * 1024 }, async (req, reply) => {
      const header = req.headers.authorization;
      const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
      return reply.code(201).send(await submitSurvey(deps, req.params.channelId, bearer, req.body));
    });
  });
}
