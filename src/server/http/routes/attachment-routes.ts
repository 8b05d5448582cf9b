import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { showsInline } from '../../../core/webchat/upload-policy.js';
import type { AppDeps } from '../../../app/deps.js';
import { sendError } from '../error-handler.js';

/**
 * Attachments by their unguessable id: the id is the capability (Web Chat and the widget show
 * images with `<img src>`, which carries no credentials). Served so that a file can never act as
 * a page of this origin: the stored type with nosniff, a sandboxing CSP, and everything but images
 * as a download.
 */
export function attachmentRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: { id: string; name: string } }>('/attachments/:id/:name', {
    config: { public: true },
    schema: { hide: true, params: Type.Object({ id: Type.String({ pattern: '^att_[A-Za-z0-9_-]{43}$' }), name: Type.String({ maxLength: 400 }) }) },
  }, async (request, reply) => {
    const found = await deps.storage.read.getAttachment(request.params.id);
    if (!found) return sendError(reply, 'SB_ERR_ROUTE_NOT_FOUND', 'No such attachment.');
    const { attachment, content } = found;
    const disposition = showsInline(attachment.contentType) ? 'inline' : 'attachment';
    return reply
      .header('content-type', attachment.contentType)
      .header('content-length', String(content.length))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', `${disposition}; filename*=UTF-8''${encodeURIComponent(attachment.name)}`)
      .header('cache-control', 'private, max-age=86400, immutable')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(content);
  });
}
