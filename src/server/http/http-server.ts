import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../app/deps.js';
import type { IdentityDeps } from '../../app/identity/identity-deps.js';
import type { RoutingEngine } from '../../app/routing/routing-engine.js';
import type { WallboardFeed } from '../../app/routing/wallboard-feed.js';
import { registerEventGateway } from '../ws/event-gateway.js';
import { presentedToken, type Authenticate } from './authentication.js';
import type { OidcRelyingParty } from '../../app/ports/oidc-client.js';
import { sessionRoutes } from './routes/session-routes.js';
import { installErrorHandling, sendError } from './error-handler.js';
import './fastify-types.js';
import { routingConfigRoutes } from './routes/routing-config-routes.js';
import { routingRoutes } from './routes/routing-routes.js';
import { conversationRoutes } from './routes/conversation-routes.js';
import { wrapUpRoutes } from './routes/wrap-up-routes.js';
import { quickReplyRoutes } from './routes/quick-reply-routes.js';
import { crmLookupRoutes } from './routes/crm-lookup-routes.js';
import type { CrmEndpoint } from '../../app/ports/crm-endpoint.js';
import { directoryRoutes } from './routes/directory-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { tenantRoutes } from './routes/tenant-routes.js';
import { oauthRoutes, type OAuthRouteOptions } from './routes/oauth-routes.js';
import { identityRoutes } from './routes/identity-routes.js';
import { ssoRoutes } from './routes/sso-routes.js';
import { appRoutes } from './routes/app-routes.js';
import { widgetRoutes } from './routes/widget-routes.js';
import { appStaticRoutes } from './routes/app-static-routes.js';
import { directLineRoutes } from './routes/directline-routes.js';
import { webchatAdminRoutes } from './routes/webchat-admin-routes.js';
import { webchatRoutes } from './routes/webchat-routes.js';
import { attachmentRoutes } from './routes/attachment-routes.js';
import { typingRoutes } from './routes/typing-routes.js';
import { registerDirectLineStream } from '../ws/directline-stream.js';
import type { WebchatDeps } from '../../app/webchat/webchat-deps.js';
import type { ConversationFeed } from '../../app/webchat/conversation-feed.js';
import type { BotChannelCredentials } from '../../app/bots/channel-credentials.js';
import { botframeworkMetadataRoutes } from './routes/botframework-metadata-routes.js';
import type { BotDeps } from '../../app/bots/bot-deps.js';
import type { BotDispatcher } from '../../app/bots/bot-dispatcher.js';
import { botAdminRoutes, connectorRoutes } from './routes/botframework-routes.js';
import { botInsightsRoutes } from './routes/bot-insights-routes.js';

export interface HttpServerOptions {
  readonly deps: AppDeps;
  readonly identity: IdentityDeps;
  readonly routing: RoutingEngine;
  /** The wallboard feed of `/v1/stream` (`ws/wallboard-stream.ts`); without it such subscriptions are refused. */
  readonly wallboard?: WallboardFeed | undefined;
  readonly authenticate: Authenticate;
  /** The web app's session cookie (`session-authentication.ts`); asked only when no bearer token was sent. */
  readonly authenticateSession?: Authenticate | undefined;
  /** For single sign-on on the sign-in pages (`routes/session-routes.ts`). */
  readonly relyingParty?: OidcRelyingParty | undefined;
  /** Sign-in attempts per IP address per minute (default 20). */
  readonly signInRateLimit?: number | undefined;
  /** The OAuth endpoints' signing keys and token rate limit (`routes/oauth-routes.ts`). */
  readonly oauth?: OAuthRouteOptions | undefined;
  /** Web chat: the Direct Line service and its stream (`routes/directline-routes.ts`). */
  readonly webchat?: { readonly deps: WebchatDeps; readonly feed: ConversationFeed } | undefined;
  /** The Bot Framework channel: its token credentials (`routes/botframework-metadata-routes.ts`). */
  readonly bots?: { readonly credentials: BotChannelCredentials; readonly deps?: BotDeps; readonly dispatcher?: BotDispatcher } | undefined;
  /** Where the CRM lookup (screen pop) calls the tenant's endpoint (`routes/crm-lookup-routes.ts`). */
  readonly crmEndpoint: CrmEndpoint;
  readonly bodyLimit: number;
  readonly logger: FastifyServerOptions['loggerInstance'];
  readonly version: string;
}

const PUBLIC_PREFIXES = ['/docs', '/openapi.json'];

/** Builds the HTTP + WebSocket server; handlers stay thin and call use cases. */
export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  // No `trustProxy`: the Direct Line stream's upgrade (ws/directline-stream.ts, outside Fastify)
  // computes its base URL as Fastify does without it; set both together.
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  // JSON only: a text/plain body is a client mistake we want to name (415), not half-accept.
  app.removeContentTypeParser('text/plain');
  // Validate with TypeBox rather than Fastify's default Ajv, whose `coerceTypes: 'array'` applies to
  // bodies too: it silently turned `"text": 42` into "42" and `"text": ["a"]` into "a", so a
  // wrong-typed body was stored instead of rejected (400 SB_ERR_VALIDATION). This compiler converts
  // only querystring, params and headers (strings by nature) and checks JSON bodies as sent; unknown
  // fields are rejected too (`additionalProperties: false`), so a typo never passes unnoticed.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  installErrorHandling(app, options.bodyLimit);
  app.decorateRequest('caller');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Switchboard API', version: options.version, description: 'Omnichannel contact center: conversations, messages, context, routing data and the event log. Errors: docs/ERRORS.md.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Admin API key (`key_....secret`) from first start or `switchboard admin create-key`.' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const path = request.url;
    if (PUBLIC_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`))) return;
    // Bearer tokens take precedence; the session cookie counts only when none was presented.
    const caller = (await options.authenticate(request))
      ?? (options.authenticateSession && presentedToken(request) === undefined ? await options.authenticateSession(request) : undefined);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, 'SB_ERR_UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>".');
    }
    request.caller = caller;
  });

  healthRoutes(app, options.deps);
  tenantRoutes(app, options.deps);
  directoryRoutes(app, options.deps);
  conversationRoutes(app, options.deps);
  wrapUpRoutes(app, options.deps);
  quickReplyRoutes(app, options.deps);
  crmLookupRoutes(app, { ...options.deps, crmEndpoint: options.crmEndpoint });
  routingConfigRoutes(app, options.deps);
  routingRoutes(app, options.deps, options.routing);
  identityRoutes(app, options.identity);
  ssoRoutes(app, options.identity);
  appRoutes(app, options.identity);
  widgetRoutes(app, options.deps);
  appStaticRoutes(app);
  if (options.relyingParty) sessionRoutes(app, options.identity, options.relyingParty, { signInRateLimit: options.signInRateLimit });
  oauthRoutes(app, options.identity, options.oauth);
  registerEventGateway(app, options.deps, options.routing, options.webchat?.feed, options.wallboard);
  if (options.webchat) {
    await directLineRoutes(app, options.webchat.deps, options.webchat.feed, options.identity.identitySettings.publicUrl);
    await registerDirectLineStream(app, options.webchat.deps, options.webchat.feed, options.identity.identitySettings.publicUrl);
    await webchatRoutes(app, options.webchat.deps, options.identity.identitySettings.publicUrl);
    webchatAdminRoutes(app, options.webchat.deps);
    attachmentRoutes(app, options.webchat.deps);
    typingRoutes(app, options.deps, options.webchat.feed);
  }
  if (options.bots) botframeworkMetadataRoutes(app, options.identity, options.bots, options.oauth);
  if (options.bots?.deps && options.bots.dispatcher) {
    botAdminRoutes(app, options.bots.deps, options.bots.dispatcher);
    botInsightsRoutes(app, options.bots.deps);
    await connectorRoutes(app, options.bots.deps);
  }
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
