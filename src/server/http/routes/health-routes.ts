import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../../app/deps.js';
import { sendError } from '../error-handler.js';

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { tags: ['health'], summary: 'The process can serve: the database answers' } }, async (request, reply) => {
    try {
      await deps.storage.ping();
      return { status: 'ready', database: deps.storage.kind };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      reply.header('retry-after', '5');
      return sendError(reply, 'SB_ERR_UNAVAILABLE', `The ${deps.storage.kind} database does not answer.`);
    }
  });
}
