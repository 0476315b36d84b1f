/**
 * Access control of a service's /v1 routes (issue 15), one plugin for both services, registered before their routes:
 * every /v1 route (and /metrics when so configured) needs `Authorization: Bearer <key>`; /healthz, /readyz, /docs
 * stay open. Per route, in this order, before the body is read (an upload without a key is refused unread):
 *
 *   1. the key (key-verifier.ts): 401 with WWW-Authenticate without one or with a bad one; 403 without the scope; a
 *      429 with Retry-After, before any hash, from an address or for a key past its bound of wrong secrets (hash-attempts.ts);
 *   2. the rate limit per key (@fastify/rate-limit on Redis, so it holds across instances): 429 with Retry-After and
 *      the RateLimit-* headers; a Redis that is away lets calls through rather than refusing them;
 *   3. a state-changing route refuses text/plain, form and (unless it takes files) multipart bodies, the types a
 *      cross-site form can send without a preflight; the Authorization header it needs is one a form cannot send;
 *   4. a key limited to a project sees only its rows: an `:id` of another project's is the service's own 404, the
 *      same answer as for an id that does not exist; so are ids named in a JSON body or the query (datasetId…).
 *
 * Every state-changing call is written to the audit log (key, route, target, result, request id) before its answer
 * leaves. CORS is off unless origins are configured; then only those get Access-Control-Allow-Origin.
 */
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { AccessConfig } from '@divblur/config';
import { isUuid, type ApiScope, type ProjectResource, type Repositories } from '@divblur/db';
import { ErrorResponse } from '../error-body.ts';
import { AttemptsLimitedError, formBodyRefused, invalidKey, labWideKeyRequired, missingKey, missingScope, rateLimited, REALM } from './access-errors.ts';
import { resolveAccess, type AccessPolicy, type ResolvedAccess } from './access-policy.ts';
import { createKeyVerifier, type Principal } from './key-verifier.ts';
import { createHashAttempts, type CounterRedis } from './hash-attempts.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key of the call; null on open routes. */
    apiKey: Principal | null;
    /** Throws the service's 404 unless the request's key may see this resource (for ids that arrive inside a stream). */
    assertVisible(resource: ProjectResource, id: string): Promise<void>;
  }
  interface FastifyContextConfig {
    access?: ResolvedAccess;
  }
}

export interface AccessOptions {
  /** `api` or `inference`, as the audit log names it. */
  service: string;
  db: Pick<Repositories, 'apiKeys' | 'auditEvents' | 'resourceProjects'>;
  config: AccessConfig;
  /** The rate limits' counters: a connection that fails fast (libs/queue's createProducerRedis). */
  redis: unknown;
  /** Key prefix of the counters in Redis. */
  rateLimitNamespace: string;
  policy: AccessPolicy;
  /** The service's own 404 for a resource: another project's row must read exactly as a missing one. */
  notFound(resource: ProjectResource, id: string): Error;
}

/** JSON body and query fields that name a resource. */
const REFERENCE_FIELDS: Readonly<Record<string, ProjectResource>> = { datasetId: 'dataset', experimentId: 'experiment', runId: 'run', modelId: 'model' };
/** What a cross-site HTML form or a "simple" fetch can send without a CORS preflight. */
const SIMPLE_BODY = /^\s*(text\/plain|application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const BEARER = /^Bearer +(\S+) *$/i;
const SECURITY_SCHEME = 'apiKey';
const AUDIT_WAIT_MS = 1000;

const toArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const accessOf = (request: FastifyRequest) => request.routeOptions.config.access as ResolvedAccess;

async function access(app: FastifyInstance, options: AccessOptions): Promise<void> {
  const { db, config } = options;
  const verifier = createKeyVerifier(db.apiKeys, {
    onTouchError: (error) => app.log.warn({ err: error }, 'could not record a key\'s last use'),
    hashAttempts: createHashAttempts(options.redis as CounterRedis, options.rateLimitNamespace, {
      onError: (error) => app.log.warn({ err: error }, 'could not count a key check in Redis: it goes unbounded'),
    }),
  });

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...config.corsOrigins], methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
      exposedHeaders: ['location', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id', 'x-model-run-status'],
      maxAge: 600,
    });
  }

  const limits = config.rateLimits;
  await app.register(rateLimit, {
    global: false, redis: options.redis, nameSpace: options.rateLimitNamespace, timeWindow: 60_000,
    keyGenerator: (request) => `${request.apiKey?.keyId ?? request.ip}:${accessOf(request)?.expensive ? 'expensive' : 'calls'}`,
    max: (request) => (accessOf(request)?.expensive ? limits.expensivePerMinute : limits.perMinute),
    enableDraftSpec: true, skipOnError: true,
    errorResponseBuilder: (request, context) => rateLimited(accessOf(request)?.expensive ? limits.expensivePerMinute : limits.perMinute, context.after),
  });
  const limit = app.rateLimit() as onRequestHookHandler;

  app.decorateRequest('apiKey', null);
  app.decorateRequest('assertVisible', async function assertVisible(this: FastifyRequest, resource: ProjectResource, id: string) {
    const projectId = this.apiKey?.projectId ?? null;
    if (projectId === null || !isUuid(id)) return;
    const owner = await db.resourceProjects.projectOf(resource, id);
    if (owner === null || owner.projectId !== projectId) throw options.notFound(resource, id);
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.apiKey !== null) return; // the HEAD route of a GET runs the same hooks
    const { scope, labWide } = accessOf(request);
    const header = request.headers.authorization;
    if (header === undefined) {
      void reply.header('www-authenticate', `Bearer realm="${REALM}"`);
      throw missingKey();
    }
    const token = BEARER.exec(header)?.[1];
    const principal = token === undefined ? null : await verifier.verify(token, request.ip).catch((error: unknown) => {
      if (error instanceof AttemptsLimitedError) void reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    });
    if (principal === null) {
      void reply.header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token"`);
      throw invalidKey();
    }
    request.apiKey = principal;
    if (!principal.scopes.includes('admin') && !principal.scopes.includes(scope)) {
      void reply.header('www-authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`);
      throw missingScope(scope);
    }
    if (labWide && principal.projectId !== null) throw labWideKeyRequired();
  }

  async function refuseFormBodies(request: FastifyRequest): Promise<void> {
    const { audited, takesFiles } = accessOf(request);
    const type = request.headers['content-type'];
    if (!audited || type === undefined) return;
    const simple = SIMPLE_BODY.exec(type)?.[1].toLowerCase();
    if (simple === undefined || (simple === 'multipart/form-data' && takesFiles)) return;
    throw formBodyRefused(`${request.method} ${request.routeOptions.url}`, simple);
  }

  async function checkProjectOfId(request: FastifyRequest): Promise<void> {
    const { resource } = accessOf(request);
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (resource !== null && typeof id === 'string') await request.assertVisible(resource, id);
  }

  /** After validation: the ids a JSON body or the query names (top level, and a batch's `inputs`). */
  async function checkReferences(request: FastifyRequest): Promise<void> {
    if ((request.apiKey?.projectId ?? null) === null) return;
    const containers = [request.query, request.body, (request.body as { inputs?: unknown } | undefined)?.inputs];
    for (const container of containers) {
      if (container === null || typeof container !== 'object' || Array.isArray(container)) continue;
      for (const [field, resource] of Object.entries(REFERENCE_FIELDS)) {
        const id = (container as Record<string, unknown>)[field];
        if (typeof id === 'string') await request.assertVisible(resource, id);
      }
    }
  }

  async function audit(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const location = reply.getHeader('location');
    const targetId = (request.params as { id?: string } | undefined)?.id
      ?? (typeof location === 'string' ? location.split('/').pop() ?? null : null);
    const writing = db.auditEvents.record({
      keyId: request.apiKey?.keyId ?? null, service: options.service, method: request.method, route: request.routeOptions.url ?? request.url,
      targetId: targetId ?? null, statusCode: reply.statusCode, requestId: request.id,
    }).catch((error: unknown) => request.log.error({ err: error }, 'could not write the audit event'));
    // The row exists when the answer arrives (an insert is milliseconds), but a Postgres that is away must not hold
    // the answer: a 503 (a dependency down) does not wait, and nothing waits beyond AUDIT_WAIT_MS (the write goes on).
    if (reply.statusCode !== 503) await Promise.race([writing, new Promise((resolve) => setTimeout(resolve, AUDIT_WAIT_MS).unref())]);
    return payload;
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    const protectedRoute = route.url.startsWith('/v1/') || (route.url === '/metrics' && config.metricsRequireKey);
    if (!protectedRoute) return;
    const method = toArray(route.method)[0] as string;
    // A GET's HEAD route (Fastify adds one) is the GET's policy: HEAD /v1/keys must not read as a plain read.
    const name = `${method === 'HEAD' ? 'GET' : method} ${route.url}`;
    const body = (route.schema as { body?: { content?: Record<string, unknown> } } | undefined)?.body;
    const resolved = resolveAccess(method, route.url, options.policy[name], body?.content?.['multipart/form-data'] !== undefined);
    route.config = { ...(route.config as object), access: resolved };
    route.onRequest = [authenticate, limit, refuseFormBodies, checkProjectOfId, ...toArray(route.onRequest)];
    route.preHandler = [checkReferences, ...toArray(route.preHandler)];
    if (resolved.audited) route.onSend = [...toArray(route.onSend), audit];
    documentSecurity(route, resolved);
  });

}

/** The route's OpenAPI: the bearer scheme, its scope, and the 401/403/429 (and 415 where bodies are refused) it can answer. */
function documentSecurity(route: RouteOptions, resolved: ResolvedAccess): void {
  const schema = (route.schema ?? {}) as { response?: Record<string, unknown>; description?: string; hide?: boolean };
  if (schema.hide) return;
  const refusals: Record<number, typeof ErrorResponse> = { 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse };
  if (resolved.audited) refusals[415] = ErrorResponse;
  if (resolved.resource !== null) refusals[404] = ErrorResponse;
  const scopeNote = `Needs an API key with the ${resolved.scope} scope${resolved.labWide ? ', not limited to a project' : ''}.`;
  route.schema = {
    ...schema,
    description: schema.description === undefined ? scopeNote : `${schema.description} ${scopeNote}`,
    security: [{ [SECURITY_SCHEME]: [] }],
    response: { ...refusals, ...schema.response },
  } as RouteOptions['schema'];
}

export const API_KEY_SECURITY_SCHEME = {
  [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer dbk_… (divblur keys create, or POST /v1/keys with an admin key)' },
} as const;

export type { ApiScope };
export default fp(access, { name: 'access' });
