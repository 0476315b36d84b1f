/**
 * The queue dashboard (@bull-board/api + @bull-board/fastify) under /admin/queues, for lab-wide admin keys only: the
 * experiment flow parents, training and inference (evaluation, baselines, batch pages) queues of libs/queue.
 *
 * Bull-board's own page calls its API with no Authorization header, so a browser gets in with a session: the key is
 * checked by the access plugin at `POST /v1/queue-dashboard/session` (admin, lab-wide; audited), which answers with an
 * HttpOnly, SameSite=Strict cookie scoped to /admin/queues. The cookie is a random token; Redis holds its SHA-256 →
 * the key's id for SESSION_SECONDS, so every API instance honours it. Every dashboard request reads the key's row
 * again: a revoked key, or one no longer admin or lab-wide, is refused on its next request. No session, 401.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import { withDeadline } from '@divblur/config';
import type { Repositories } from '@divblur/db';
import { AccessError, errorResponses, labWideKeyRequired, missingScope } from '@divblur/http';
import type { Redis } from '@divblur/queue';
import { sendError } from '../plugins/error-handler.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
export const SESSION_COOKIE = 'divblur_queues';
export const SESSION_SECONDS = 30 * 60;
const REDIS_DEADLINE_MS = 1500;

export interface QueueDashboardDeps {
  /** The queues shown (libs/queue's, by name). */
  queues: readonly Queue[];
  /** The sessions' connection (fail fast: a Redis away is a 503) and their key prefix. */
  redis: Redis;
  sessionNamespace: string;
}

const noSession = () => new AccessError(401, 'QUEUE_SESSION_MISSING',
  `the queue dashboard needs a session: POST /v1/queue-dashboard/session with an admin key (the page's Queues link does it), then open ${QUEUE_DASHBOARD_PATH}`);

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const sessionKey = (namespace: string, token: string) => `${namespace}${createHash('sha256').update(token).digest('hex')}`;

export const queueDashboardRoutes: FastifyPluginAsyncTypebox<{ db: Pick<Repositories, 'apiKeys'>; dashboard: QueueDashboardDeps }> = async (app, { db, dashboard }) => {
  const { redis, sessionNamespace } = dashboard;

  app.post('/v1/queue-dashboard/session', {
    schema: {
      tags: ['access'], summary: `A browser session for the queue dashboard at ${QUEUE_DASHBOARD_PATH} (an HttpOnly cookie, ${SESSION_SECONDS / 60} minutes)`,
      response: {
        200: Type.Object({ path: Type.String(), expiresInSeconds: Type.Integer() }, { description: 'the cookie is set (Set-Cookie); open path in this browser' }),
        ...errorResponses(503),
      },
    },
  }, async (request, reply) => {
    const token = randomBytes(32).toString('base64url');
    await withDeadline(redis.set(sessionKey(sessionNamespace, token), request.apiKey!.keyId, 'EX', SESSION_SECONDS), REDIS_DEADLINE_MS, 'redis');
    return reply.header('cache-control', 'no-store')
      .header('set-cookie', `${SESSION_COOKIE}=${token}; Path=${QUEUE_DASHBOARD_PATH}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict`)
      .send({ path: QUEUE_DASHBOARD_PATH, expiresInSeconds: SESSION_SECONDS });
  });

  await app.register(async (board: FastifyInstance) => {
    // Answered here, not thrown: bull-board's context has an error handler of its own, which would reshape the refusal.
    board.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const token = cookieOf(request.headers.cookie, SESSION_COOKIE);
        if (token === undefined || token.length === 0) throw noSession();
        const keyId = await withDeadline(redis.get(sessionKey(sessionNamespace, token)), REDIS_DEADLINE_MS, 'redis');
        if (keyId === null) throw noSession();
        const key = await db.apiKeys.get(keyId);
        if (key === null || key.revokedAt !== null) throw noSession();
        if (!key.scopes.includes('admin')) throw missingScope('admin');
        if (key.projectId !== null) throw labWideKeyRequired();
      } catch (error) {
        return sendError(error, request, reply);
      }
    });
    const serverAdapter = new FastifyAdapter();
    createBullBoard({ queues: dashboard.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })), serverAdapter });
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
    await board.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
};
