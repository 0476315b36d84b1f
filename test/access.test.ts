/**
 * Access control (issue 15) against the real API and inference servers (real Postgres and Redis, keys made as
 * `divblur keys create` makes them): no key or a bad one is a 401 with WWW-Authenticate on every /v1 route of both
 * services, enumerated from the apps themselves (a new route without auth fails here); the health, readiness,
 * metrics and docs routes stay open; scopes (403); a revoked key refused at once on two instances; a key's last
 * use recorded; every state-changing call in the audit log, which admins read through GET /v1/audit; the OpenAPI
 * documents name the bearer scheme; with METRICS_REQUIRE_KEY, /metrics of both services needs a key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { createHarness, multipart, type Harness } from './api-harness.ts';
import { createInferenceHarness, type InferenceHarness } from './inference-harness.ts';
import { routesOf } from './routes-of.ts';
import { API_ACCESS_POLICY } from '../apps/api/src/access-policy.ts';

const stack = (count: number, size: number): Stack =>
  ({ data: Float32Array.from({ length: count * size * size }, (_, i) => (i % 11) / 11), count, height: size, width: size });
const OPEN = ['/healthz', '/readyz', '/metrics', '/docs', '/docs/json'];
const UNKNOWN_KEY = `dbk_${'0'.repeat(16)}_${'0'.repeat(64)}`;
/** An 8×8 image of zeros as the inference server's JSON body takes it. */
const ZEROS = { shape: [8, 8], data: Buffer.alloc(8 * 8 * 4).toString('base64') };
const spec = { method: 'divblurring', penalty: 'l2', lambda: 0.01, noiseSigma: 0.03, training: { steps: 5, patchSize: 32, batchSize: 4 } };

type Injector = Harness['injectWithoutKey'];

/** Every /v1 route without a key, with an unknown key and with a malformed header: 401 and WWW-Authenticate each time. */
async function assertEveryV1RouteNeedsAKey(inject: Injector, routes: Array<{ method: string; url: string }>) {
  const v1 = routes.filter((route) => route.url.startsWith('/v1/'));
  for (const { method, url } of v1) {
    const path = url.replace(/:[A-Za-z]+/g, randomUUID());
    for (const [authorization, error] of [[undefined, undefined], [`Bearer ${UNKNOWN_KEY}`, 'invalid_token'], ['Basic bGltczpwdw==', 'invalid_token']] as const) {
      const res = await inject({ method: method as 'GET', url: path, headers: authorization === undefined ? {} : { authorization } });
      assert.equal(res.statusCode, 401, `${method} ${url} with ${authorization ?? 'no key'}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.equal(res.headers['www-authenticate'], `Bearer realm="divblur"${error ? `, error="${error}"` : ''}`, `${method} ${url}`);
      if (method !== 'HEAD') {
        assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'error', 'message', 'requestId', 'statusCode'], `${method} ${url}`);
        assert.equal(res.json().error, 'Unauthorized');
      }
    }
  }
  return v1.length;
}

describe('API keys on the API', () => {
  let h: Harness;
  let second: Harness;
  before(async () => {
    h = await createHarness({ access: {} });
    second = await createHarness({ access: {}, sharing: h });
  });
  after(async () => {
    await second?.close();
    await h?.close();
  });

  test('every /v1 route of the API refuses a call without a key, with an unknown key or a malformed header (401); health, metrics and docs stay open', async () => {
    const routes = routesOf(h.app);
    const checked = await assertEveryV1RouteNeedsAKey(h.injectWithoutKey, routes);
    assert.ok(checked >= 30, `only ${checked} /v1 routes found: ${JSON.stringify(routes)}`);
    for (const url of OPEN) {
      const res = await h.injectWithoutKey({ method: 'GET', url });
      assert.ok(res.statusCode < 400, `${url}: ${res.statusCode}`);
    }
    // Every exception of the access policy names a route that exists (a stale entry would silently protect nothing).
    const names = new Set(routes.map((route) => `${route.method} ${route.url}`));
    for (const name of Object.keys(API_ACCESS_POLICY).filter((entry) => !entry.includes('/deconvolutions'))) assert.ok(names.has(name), name);
  });

  test('a read key reads but cannot write (403 with the scope it lacks); a write key cannot administer; admin can all', async () => {
    const read = await h.issueKey({ name: 'viewer', scopes: ['read'] });
    const write = await h.issueKey({ name: 'lims', scopes: ['read', 'write'] });
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/datasets', headers: as(read) })).statusCode, 200);
    const refused = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: randomUUID(), spec }, headers: as(read) });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().code, 'SCOPE_MISSING');
    assert.equal(refused.json().error, 'Forbidden');
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="divblur", error="insufficient_scope", scope="write"');
    const form = await multipart({ noisy: encodeTiff(stack(1, 32)) });
    const upload = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: form.payload, headers: { ...form.headers, ...as(read) } });
    assert.equal(upload.statusCode, 403, 'refused before the upload is read');
    assert.equal((await h.app.inject({ method: 'POST', url: `/v1/experiments/${randomUUID()}/cancel`, headers: as(read) })).statusCode, 403);
    // write: datasets and experiments yes; keys, audit and re-evaluation are admin's.
    assert.equal((await h.app.inject({ method: 'POST', url: `/v1/experiments/${randomUUID()}/cancel`, headers: as(write) })).statusCode, 404);
    for (const [method, url] of [['POST', '/v1/keys'], ['GET', '/v1/keys'], ['GET', '/v1/audit'], ['POST', `/v1/runs/${randomUUID()}/evaluate`], ['HEAD', '/v1/keys']] as const) {
      const res = await h.app.inject({ method, url, headers: as(write), ...(method === 'POST' && url === '/v1/keys' ? { payload: { name: 'x', scopes: ['admin'] } } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
    assert.equal((await h.app.inject({ method: 'POST', url: `/v1/runs/${randomUUID()}/evaluate` })).statusCode, 404, 'admin passes the scope check');
  });

  test('keys through the API: created by an admin (shown once), listed without secret, revoked and then refused at once on both instances', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'scope-2 LIMS', scopes: ['read', 'write'] } });
    assert.equal(created.statusCode, 201, created.body);
    const { key, id, lookupId } = created.json();
    assert.match(key, new RegExp(`^dbk_${lookupId}_[0-9a-f]{64}$`));
    assert.equal(created.headers.location, `/v1/keys/${id}`);
    assert.equal(created.headers['cache-control'], 'no-store');
    const listed = await h.app.inject({ method: 'GET', url: '/v1/keys' });
    const row = listed.json().items.find((item: { id: string }) => item.id === id);
    assert.deepEqual(row.scopes, ['read', 'write']);
    assert.ok(!listed.body.includes(key.slice(21)), 'the secret part is never listed');
    const stored = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id } });
    assert.match(stored.secretHash, /^scrypt\$16384\$8\$1\$/);
    assert.ok(!stored.secretHash.includes(key.slice(21)), 'stored only hashed');

    const headers = { authorization: `Bearer ${key}` };
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/datasets', headers })).statusCode, 200);
    assert.equal((await second.app.inject({ method: 'GET', url: '/v1/datasets', headers })).statusCode, 200);
    const revoked = await h.app.inject({ method: 'POST', url: `/v1/keys/${id}/revoke` });
    assert.equal(revoked.statusCode, 200);
    const revokedAt = performance.now();
    assert.ok(revoked.json().revokedAt);
    const onFirst = await h.app.inject({ method: 'GET', url: '/v1/datasets', headers });
    const onSecond = await second.app.inject({ method: 'GET', url: '/v1/datasets', headers });
    const refusedWithinMs = performance.now() - revokedAt;
    assert.deepEqual([onFirst.statusCode, onSecond.statusCode], [401, 401]);
    assert.ok(refusedWithinMs < 1000, `refused after ${refusedWithinMs} ms`);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/keys' })).json().items.some((item: { id: string }) => item.id === id), false);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/keys?revoked=true' })).json().items.some((item: { id: string }) => item.id === id), true);
    // Both are in the audit log, by the admin key that made them, with the key as their target.
    const adminId = (await h.db.apiKeys.list(100)).find((item) => item.name === 'test')!.id;
    const events = await h.db.auditEvents.list(10, { targetId: id });
    assert.deepEqual(events.map((event) => [event.method, event.route, event.statusCode, event.keyId]), [
      ['POST', '/v1/keys/:id/revoke', 200, adminId], ['POST', '/v1/keys', 201, adminId],
    ]);
  });

  test('a key limited to a project cannot manage keys or read the audit log (403 LAB_KEY_REQUIRED)', async () => {
    const projectAdmin = await h.issueKey({ name: 'alpha admin', scopes: ['admin'], project: 'alpha' });
    for (const [method, url] of [['GET', '/v1/keys'], ['GET', '/v1/audit'], ['POST', '/v1/keys']] as const) {
      const res = await h.app.inject({ method, url, headers: { authorization: `Bearer ${projectAdmin}` }, ...(method === 'POST' ? { payload: { name: 'x', scopes: ['read'] } } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(res.json().code, 'LAB_KEY_REQUIRED');
    }
  });

  test("a key's last use is recorded (at most once a minute)", async () => {
    const { key, record } = await import('@divblur/http/api-key').then(({ issueApiKey }) => issueApiKey(h.db, { name: 'fresh', scopes: ['read'] }));
    assert.equal(record.lastUsedAt, null);
    const before = Date.now();
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/experiments', headers: { authorization: `Bearer ${key}` } })).statusCode, 200);
    const used = (await h.db.apiKeys.get(record.id))!.lastUsedAt;
    assert.ok(used !== null && Date.parse(used) >= before - 5, String(used));
    await h.app.inject({ method: 'GET', url: '/v1/experiments', headers: { authorization: `Bearer ${key}` } });
    assert.equal((await h.db.apiKeys.get(record.id))!.lastUsedAt, used, 'not rewritten within the minute');
  });

  test('every state-changing call is in the audit log (key, route, target, result, request id), refused ones too; GETs are not; admins filter it', async () => {
    const writer = await h.issueKey({ name: 'audited lims', scopes: ['read', 'write'] });
    const writerId = (await h.db.apiKeys.list(100)).find((key) => key.name === 'audited lims')!.id;
    const headers = { authorization: `Bearer ${writer}` };
    const form = await multipart({ noisy: encodeTiff(stack(2, 48)), psf: encodeTiff({ data: new Float32Array(25).fill(1), count: 1, height: 5, width: 5 }) });
    const upload = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: form.payload, headers: { ...form.headers, ...headers, 'x-request-id': 'audit-upload-1' } });
    assert.equal(upload.statusCode, 201, upload.body);
    const datasetId = upload.json().id;
    const experiment = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId, spec }, headers });
    assert.equal(experiment.statusCode, 201, experiment.body);
    const experimentId = experiment.json().experiment.id;
    await h.app.inject({ method: 'POST', url: `/v1/experiments/${experimentId}/cancel`, headers: { ...headers, 'x-request-id': 'audit-cancel-1' } });
    await h.injectWithoutKey({ method: 'POST', url: `/v1/experiments/${experimentId}/cancel`, headers: { 'x-request-id': 'audit-anonymous-1' } });
    const gets = await h.db.prisma.auditEvent.count();
    await h.app.inject({ method: 'GET', url: `/v1/experiments/${experimentId}`, headers });
    assert.equal(await h.db.prisma.auditEvent.count(), gets, 'a GET is not audited');

    const page = (query: string) => h.app.inject({ method: 'GET', url: `/v1/audit?${query}` }).then((res) => {
      assert.equal(res.statusCode, 200, res.body);
      return res.json().items as Array<Record<string, unknown>>;
    });
    const byKey = await page(`keyId=${writerId}`);
    assert.deepEqual(byKey.map((event) => [event.method, event.route, event.statusCode, event.result]), [
      ['POST', '/v1/experiments/:id/cancel', 200, 'succeeded'],
      ['POST', '/v1/experiments', 201, 'succeeded'],
      ['POST', '/v1/datasets', 201, 'succeeded'],
    ]);
    assert.deepEqual([byKey[0].targetId, byKey[1].targetId, byKey[2].targetId], [experimentId, experimentId, datasetId]);
    assert.deepEqual([byKey[0].requestId, byKey[2].requestId, byKey[0].service], ['audit-cancel-1', 'audit-upload-1', 'api']);
    const refused = await page(`result=refused&targetId=${experimentId}`);
    assert.deepEqual(refused.map((event) => [event.keyId, event.statusCode, event.requestId]), [[null, 401, 'audit-anonymous-1']]);
    assert.equal((await page(`route=${encodeURIComponent('/v1/datasets')}&keyId=${writerId}&limit=5`)).length, 1);
    assert.equal((await page(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0);
    const first = await h.app.inject({ method: 'GET', url: `/v1/audit?keyId=${writerId}&limit=2` });
    const rest = await h.app.inject({ method: 'GET', url: `/v1/audit?keyId=${writerId}&limit=2&cursor=${first.json().nextCursor}` });
    assert.deepEqual(rest.json().items.map((event: { targetId: string }) => event.targetId), [datasetId]);
  });

  test("the API's OpenAPI document names the bearer scheme on every /v1 operation, with its 401 and 403; health has none", async () => {
    const document = (await h.injectWithoutKey({ method: 'GET', url: '/docs/json' })).json();
    assert.deepEqual(document.components.securitySchemes.apiKey, { type: 'http', scheme: 'bearer', description: document.components.securitySchemes.apiKey.description });
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (path.startsWith('/v1/')) {
          assert.deepEqual(operation.security, [{ apiKey: [] }], `${method} ${path}`);
          assert.ok(operation.responses['401'] && operation.responses['403'] && operation.responses['429'], `${method} ${path}`);
        } else {
          assert.equal(operation.security, undefined, `${method} ${path}`);
        }
      }
    }
  });
});

describe('API keys on the inference server', () => {
  let inference: InferenceHarness;
  before(async () => { inference = await createInferenceHarness({ access: {} }); });
  after(async () => inference?.close());

  test('every /v1 route refuses a call without a valid key (401); a read key cannot deconvolve (403); health and docs stay open; calls are audited', async () => {
    const checked = await assertEveryV1RouteNeedsAKey(inference.injectWithoutKey, routesOf(inference.app));
    assert.ok(checked >= 1);
    for (const url of OPEN) assert.ok((await inference.injectWithoutKey({ method: 'GET', url })).statusCode < 400, url);
    const read = await inference.issueKey({ name: 'viewer', scopes: ['read'] });
    const model = randomUUID();
    const refused = await inference.app.inject({ method: 'POST', url: `/v1/models/${model}/deconvolve`, payload: ZEROS, headers: { authorization: `Bearer ${read}` } });
    assert.equal(refused.statusCode, 403, refused.body);
    const unknown = await inference.app.inject({ method: 'POST', url: `/v1/models/${model}/deconvolve`, payload: ZEROS });
    assert.equal(unknown.statusCode, 404, unknown.body);
    const events = await inference.services.db.auditEvents.list(10, { targetId: model });
    assert.deepEqual(events.map((event) => [event.service, event.route, event.statusCode]), [
      ['inference', '/v1/models/:id/deconvolve', 404], ['inference', '/v1/models/:id/deconvolve', 403],
    ]);
    const document = (await inference.injectWithoutKey({ method: 'GET', url: '/docs/json' })).json();
    assert.deepEqual(document.paths['/v1/models/{id}/deconvolve'].post.security, [{ apiKey: [] }]);
  });

  test('a key revoked (as divblur keys revoke does) is refused by the inference server from its next request on, within 1 s', async () => {
    const { issueApiKey } = await import('@divblur/http/api-key');
    const { key, record } = await issueApiKey(inference.services.db, { name: 'lims', scopes: ['read', 'write'] });
    const deconvolve = () => inference.app.inject({ method: 'POST', url: `/v1/models/${randomUUID()}/deconvolve`, payload: ZEROS, headers: { authorization: `Bearer ${key}` } });
    assert.equal((await deconvolve()).statusCode, 404, 'past the key check (its secret now remembered by this process)');
    assert.equal(await inference.services.db.apiKeys.revoke(record.id), true);
    const revokedAt = performance.now();
    const refused = await deconvolve();
    assert.equal(refused.statusCode, 401, refused.body);
    assert.ok(performance.now() - revokedAt < 1000);
  });
});

describe('METRICS_REQUIRE_KEY', () => {
  test('switched on, /metrics of both services needs a key (401 without one, 200 with a read key); health, readiness and docs stay open', async () => {
    const api = await createHarness({ access: { metricsRequireKey: true } });
    const inference = await createInferenceHarness({ access: { METRICS_REQUIRE_KEY: 'true' } });
    try {
      for (const [name, service] of [['api', api], ['inference', inference]] as const) {
        const read = await service.issueKey({ name: 'prometheus', scopes: ['read'] });
        const without = await service.injectWithoutKey({ method: 'GET', url: '/metrics' });
        assert.equal(without.statusCode, 401, `${name}: ${without.body}`);
        assert.equal(without.headers['www-authenticate'], 'Bearer realm="divblur"');
        const withKey = await service.injectWithoutKey({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${read}` } });
        assert.equal(withKey.statusCode, 200, `${name}: ${withKey.body}`);
        assert.match(withKey.body, /^# (HELP|TYPE) /m);
        for (const url of OPEN.filter((open) => open !== '/metrics')) assert.ok((await service.injectWithoutKey({ method: 'GET', url })).statusCode < 400, `${name} ${url}`);
      }
    } finally {
      await inference.close();
      await api.close();
    }
  });
});
