/** /v1/keys (admin keys not limited to a project): create (the key shown once), list, get, revoke. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { issueApiKey } from '@divblur/http/api-key';
import type { ApiServices } from '../services.ts';
import { ApiKey, CreatedKey, CreateKeyBody, KeysQuery } from '../schemas/access.ts';
import { errorResponses, IdParams, Page } from '../schemas/common.ts';
import { decodeCursor, pageOf } from '../lib/cursor.ts';
import { NotFoundError } from '../lib/errors.ts';

export const keyRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db } = services;

  app.post('/keys', {
    schema: {
      tags: ['access'], summary: 'Create an API key; the answer shows it once (it is stored only as a scrypt hash)',
      body: CreateKeyBody, response: { 201: CreatedKey, ...errorResponses(400, 415) },
    },
  }, async (request, reply) => {
    const { key, record } = await issueApiKey(db, { ...request.body, createdById: request.apiKey?.keyId ?? null });
    return reply.status(201).header('location', `/v1/keys/${record.id}`).header('cache-control', 'no-store').send({ ...record, key });
  });

  app.get('/keys', {
    schema: { tags: ['access'], summary: 'API keys, newest first; revoked ones with revoked=true', querystring: KeysQuery, response: { 200: Page(ApiKey), ...errorResponses(400) } },
  }, async (request) => {
    const { limit, cursor, sort, revoked } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, { type: 'time', nullable: false });
    const rows = await db.apiKeys.list(limit + 1, { descending: sort === '-created', revoked, ...(after ? { after: { createdAt: after.key as string, id: after.id } } : {}) });
    return pageOf(rows, limit, (last) => ({ sort, key: last.createdAt, id: last.id }));
  });

  app.get('/keys/:id', { schema: { tags: ['access'], params: IdParams, response: { 200: ApiKey, ...errorResponses(400, 404) } } }, async (request) => {
    const key = await db.apiKeys.get(request.params.id);
    if (key === null) throw new NotFoundError('key', request.params.id);
    return key;
  });

  app.post('/keys/:id/revoke', {
    schema: { tags: ['access'], summary: 'Revoke a key: refused from its next request on, on every instance', params: IdParams, response: { 200: ApiKey, ...errorResponses(400, 404) } },
  }, async (request) => {
    await db.apiKeys.revoke(request.params.id);
    const key = await db.apiKeys.get(request.params.id);
    if (key === null) throw new NotFoundError('key', request.params.id);
    return key;
  });
};
