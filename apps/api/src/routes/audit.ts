/** GET /v1/audit (admin keys not limited to a project): the state-changing calls of both services, newest first, filtered. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiServices } from '../services.ts';
import { AuditEvent, AuditQuery } from '../schemas/access.ts';
import { errorResponses, Page } from '../schemas/common.ts';
import { decodeCursor, pageOf } from '../lib/cursor.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  app.get('/audit', {
    schema: {
      tags: ['access'], summary: 'The audit log: every state-changing call (key, route, target, result, request id), refused ones included',
      querystring: AuditQuery, response: { 200: Page(AuditEvent), ...errorResponses(400) },
    },
  }, async (request) => {
    const { limit, cursor, sort, ...filter } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, { type: 'time', nullable: false });
    const rows = await services.db.auditEvents.list(limit + 1, filter, {
      descending: sort === '-created', ...(after ? { after: { createdAt: after.key as string, id: after.id } } : {}),
    });
    return pageOf(rows, limit, (last) => ({ sort, key: last.createdAt, id: last.id }));
  });
};
