/**
 * Batch deconvolutions and access control (issue 15), against the real API as production builds it (the batch path
 * on: its real queue in Redis, the machine's Postgres; test/batch-harness.ts): every /v1 route of it, /v1/deconvolutions
 * included, needs a key; a batch belongs to its model's project, and a key limited to another project gets the
 * service's own 404 for it on every batch route (GET, HEAD, manifest as JSON and CSV, cancel, retry), the same answer
 * as for a batch that does not exist, and changes nothing; it cannot create a batch from another project's model or
 * dataset (JSON or multipart: the 404 of none, nothing written or queued); and no batch writes into the output prefix
 * of another. GET /v1/deconvolutions lists a key's own project's batches only (filtered in the query), the lab key's
 * all, each once across its pages, by status and model; a bad cursor, limit, status or model id is a 400.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeTiff } from '@divblur/imaging';
import { issueApiKey } from '@divblur/http/api-key';
import { API_ACCESS_POLICY } from '../apps/api/src/access-policy.ts';
import { batchForm, createBatchHarness, type BatchHarness, type ServedModels } from './batch-harness.ts';
import { routesOf } from './routes-of.ts';

/** The body of an answer without its request id, and its status: what a client can compare. */
const answer = (res: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
  if (res.body === '' || !String(res.headers['content-type'] ?? '').startsWith('application/json')) return { status: res.statusCode, body: res.body };
  const { requestId: _requestId, ...rest } = JSON.parse(res.body) as Record<string, unknown>;
  return { status: res.statusCode, ...rest };
};
const page = { data: Float32Array.from({ length: 16 * 16 }, (_, i) => 0.3 + (i % 5) / 20), count: 1, height: 16, width: 16 };

describe('batch deconvolutions and projects', () => {
  let h: BatchHarness;
  let alpha = '';
  let beta = '';
  let alphaProject = '';
  let alphaModels: ServedModels;
  let betaModels: ServedModels;
  let alphaBatch = '';
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const create = (key: string, body: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: body, headers: as(key) });

  before(async () => {
    h = await createBatchHarness();
    alpha = (await issueApiKey(h.repos, { name: 'alpha lims', scopes: ['read', 'write'], project: 'alpha' })).key;
    beta = (await issueApiKey(h.repos, { name: 'beta lims', scopes: ['read', 'write'], project: 'beta' })).key;
    alphaProject = (await h.repos.projects.byName('alpha'))!.id;
    alphaModels = await h.servedModels(alphaProject);
    betaModels = await h.servedModels((await h.repos.projects.byName('beta'))!.id);
    const created = await create(alpha, { modelId: alphaModels.modelId, inputs: { datasetId: alphaModels.datasetId }, options: { samples: 8 } });
    assert.equal(created.statusCode, 202, created.body);
    alphaBatch = created.json().id;
  });
  after(async () => h?.close());

  test('every /v1 route of the API as production builds it, the batch routes included, refuses a call without a key (401); each batch entry of the access policy names a route', async () => {
    const routes = routesOf(h.app);
    const v1 = routes.filter((route) => route.url.startsWith('/v1/'));
    assert.ok(v1.some((route) => route.url === '/v1/deconvolutions/:id/retry'), JSON.stringify(v1));
    for (const { method, url } of v1) {
      const res = await h.injectWithoutKey({ method: method as 'GET', url: url.replace(/:[A-Za-z]+/g, randomUUID()) });
      assert.equal(res.statusCode, 401, `${method} ${url}: ${res.body.slice(0, 200)}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="divblur"', `${method} ${url}`);
    }
    const names = new Set(routes.map((route) => `${route.method} ${route.url}`));
    // The entries test/access.test.ts cannot check (its API is built without the batch path) name routes that exist.
    const batchEntries = Object.keys(API_ACCESS_POLICY).filter((entry) => entry.includes('/deconvolutions'));
    assert.ok(batchEntries.length > 0);
    for (const name of batchEntries) assert.ok(names.has(name), name);
  });

  test("a batch is its model's project's: another project's key gets the 404 of a batch that does not exist on every batch route, and nothing changes", async () => {
    assert.deepEqual(await h.repos.resourceProjects.projectOf('batch', alphaBatch), { projectId: alphaProject });
    const none = randomUUID();
    const calls = (id: string) => [
      ['GET', `/v1/deconvolutions/${id}`], ['HEAD', `/v1/deconvolutions/${id}`], ['GET', `/v1/deconvolutions/${id}/manifest`],
      ['GET', `/v1/deconvolutions/${id}/manifest?format=csv`], ['POST', `/v1/deconvolutions/${id}/cancel`], ['POST', `/v1/deconvolutions/${id}/retry`],
    ] as const;
    const before = await h.repos.batches.get(alphaBatch);
    for (const [index, [method, url]] of calls(alphaBatch).entries()) {
      const refused = await h.app.inject({ method, url, headers: as(beta) });
      const missing = await h.app.inject({ method, url: calls(none)[index][1], headers: as(beta) });
      assert.equal(refused.statusCode, 404, `${method} ${url}: ${refused.body}`);
      assert.deepEqual(answer(refused), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, alphaBatch)), `${method} ${url}`);
    }
    assert.deepEqual(await h.repos.batches.get(alphaBatch), before, "beta's cancel and retry did nothing");
    const audited = await h.repos.auditEvents.list(10, { targetId: alphaBatch });
    assert.deepEqual(audited.filter((event) => event.statusCode === 404).map((event) => event.route).sort(),
      ['/v1/deconvolutions/:id/cancel', '/v1/deconvolutions/:id/retry'], 'the refused cancel and retry are in the audit log');

    // The owner and a lab-wide key get past the check: the batch, its manifest, and the routes' own answers.
    for (const headers of [as(alpha), {}]) {
      assert.equal((await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${alphaBatch}`, headers })).statusCode, 200);
      assert.equal((await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${alphaBatch}/manifest?format=csv`, headers })).statusCode, 200);
    }
    assert.equal((await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${alphaBatch}/retry`, headers: as(alpha) })).json().code, 'NOTHING_TO_RETRY');
  });

  test("a key cannot make a batch from another project's model or dataset (the 404 of none, JSON or multipart, nothing written or queued); its own batch is its project's", async () => {
    const before = await h.counts();
    const none = randomUUID();
    // [the body naming another project's row, the same body naming none instead, that row's id]
    const cases = [
      [{ modelId: alphaModels.modelId, inputs: { datasetId: betaModels.datasetId } }, { modelId: none, inputs: { datasetId: betaModels.datasetId } }, alphaModels.modelId],
      [{ modelId: alphaModels.failedModelId, inputs: { datasetId: betaModels.datasetId } }, { modelId: none, inputs: { datasetId: betaModels.datasetId } }, alphaModels.failedModelId],
      [{ modelId: betaModels.modelId, inputs: { datasetId: alphaModels.datasetId } }, { modelId: betaModels.modelId, inputs: { datasetId: none } }, alphaModels.datasetId],
    ] as const;
    for (const [theirs, nobodys, theirId] of cases) {
      const refused = await create(beta, theirs);
      const missing = await create(beta, nobodys);
      assert.equal(refused.statusCode, 404, `${JSON.stringify(theirs)}: ${refused.body}`);
      assert.deepEqual(answer(refused), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, theirId)), JSON.stringify(theirs));
    }
    const upload = (modelId: string) => batchForm({ modelId, options: JSON.stringify({ samples: 8 }) }, [{ name: 'night.tif', bytes: encodeTiff(page) }]);
    const post = async (modelId: string) => {
      const form = await upload(modelId);
      return h.app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: form.payload, headers: { ...form.headers, ...as(beta) } });
    };
    const refused = await post(alphaModels.modelId);
    const missing = await post(none);
    assert.equal(refused.statusCode, 404, refused.body);
    assert.deepEqual(answer(refused), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, alphaModels.modelId)));
    assert.deepEqual(await h.counts(), before, 'nothing written or queued');
    // Idempotency-Keys are the lab's: one another project used is refused without naming its batch.
    const keyed = (key: string, models: ServedModels) => h.app.inject({
      method: 'POST', url: '/v1/deconvolutions', payload: { modelId: models.modelId, inputs: { datasetId: models.datasetId } }, headers: { ...as(key), 'idempotency-key': 'night-42' },
    });
    const first = await keyed(alpha, alphaModels);
    assert.equal(first.statusCode, 202, first.body);
    const reused = await keyed(beta, betaModels);
    assert.equal(reused.statusCode, 409, reused.body);
    assert.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
    assert.ok(!reused.body.includes(first.json().id), reused.body);

    const own = await post(betaModels.modelId);
    assert.equal(own.statusCode, 202, own.body);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${own.json().id}`, headers: as(alpha) })).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${own.json().id}`, headers: as(beta) })).statusCode, 200);
  });

  test("GET /v1/deconvolutions: a project key lists its project's batches only, a lab key all; a cursor's pages give each once; status and modelId filter; bad input is a 400", async () => {
    const own = await create(beta, { modelId: betaModels.modelId, inputs: { datasetId: betaModels.datasetId } });
    assert.equal(own.statusCode, 202, own.body);
    const betaBatch = own.json().id as string;
    assert.equal((await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${betaBatch}/cancel`, headers: as(beta) })).statusCode, 200);
    const all = await h.repos.prisma.batch.findMany({ select: { id: true, modelId: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const betaModelIds = new Set([betaModels.modelId, betaModels.failedModelId]);
    const list = async (query: string, headers: Record<string, string>) => {
      const res = await h.app.inject({ method: 'GET', url: `/v1/deconvolutions${query}`, headers });
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      return res.json() as { items: { id: string; modelId: string; status: string; pages: { total: number }; inputs: unknown[] }[]; nextCursor: string | null };
    };
    /** Every page of the list, following nextCursor, with `limit` items a page. */
    const everyPage = async (query: string, headers: Record<string, string>, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list(`?limit=${limit}${query}${cursor === null ? '' : `&cursor=${cursor}`}`, headers);
        assert.ok(page.items.length <= limit);
        ids.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 100);
      return { ids, pages };
    };

    // The lab key: every batch, newest first, each once over pages of 2; a project key: its own only, on one page or many.
    const lab = await everyPage('', {}, 1);
    assert.deepEqual(lab.ids, all.map((batch) => batch.id));
    assert.ok(lab.pages > 2 && all.some((b) => betaModelIds.has(b.modelId)) && all.some((b) => !betaModelIds.has(b.modelId)), JSON.stringify(all));
    const betaIds = all.filter((b) => betaModelIds.has(b.modelId)).map((b) => b.id);
    assert.ok(betaIds.includes(betaBatch));
    assert.deepEqual((await everyPage('', as(beta), 1)).ids, betaIds);
    assert.deepEqual((await everyPage('', as(alpha), 2)).ids, all.filter((b) => !betaModelIds.has(b.modelId)).map((b) => b.id));
    assert.ok(!(await everyPage('', as(alpha), 500)).ids.includes(betaBatch));
    assert.deepEqual((await everyPage('&sort=created', {}, 3)).ids, [...all].reverse().map((b) => b.id), 'oldest first');
    // Each item as GET /v1/deconvolutions/:id answers it.
    const first = (await list('?limit=1', {})).items[0];
    assert.deepEqual(first, (await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${first.id}` })).json());

    // status: the cancelled batch alone (of beta's), none of the queued ones; modelId: that model's batches, for its project or the lab.
    assert.deepEqual((await list('?status=cancelled', {})).items.map((b) => b.id), [betaBatch]);
    assert.ok((await list('?status=queued&limit=500', {})).items.every((b) => b.status === 'queued' && b.id !== betaBatch));
    assert.ok((await list('?status=queued&limit=500', {})).items.some((b) => b.id === alphaBatch));
    assert.deepEqual((await list('?status=cancelled', as(alpha))).items, []);
    const ofModel = all.filter((b) => b.modelId === alphaModels.modelId).map((b) => b.id);
    assert.ok(ofModel.length > 1);
    assert.deepEqual((await everyPage(`&modelId=${alphaModels.modelId}`, as(alpha), 1)).ids, ofModel);
    // Another project's model is, to a project key, a model that does not exist (the access plugin's check of ids in the query).
    const none = randomUUID();
    const theirs = await h.app.inject({ method: 'GET', url: `/v1/deconvolutions?modelId=${alphaModels.modelId}`, headers: as(beta) });
    const missing = await h.app.inject({ method: 'GET', url: `/v1/deconvolutions?modelId=${none}`, headers: as(beta) });
    assert.equal(theirs.statusCode, 404, theirs.body);
    assert.deepEqual(answer(theirs), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, alphaModels.modelId)));
    assert.deepEqual((await list(`?modelId=${betaModels.modelId}&status=cancelled`, as(beta))).items.map((b) => b.id), [betaBatch]);

    const before = await h.counts();
    const badCursor = Buffer.from(JSON.stringify(['-created', 'garbage', randomUUID()])).toString('base64url');
    const createdCursor = (await list('?limit=1&sort=created', {})).nextCursor;
    for (const query of ['?cursor=zzz', `?cursor=${badCursor}`, `?cursor=${createdCursor}`, '?limit=0', '?limit=501', '?limit=abc',
      '?status=done', '?status=', '?modelId=abc', `?modelId=${randomUUID()}x`, '?model=x', '?sort=newest']) {
      const res = await h.app.inject({ method: 'GET', url: `/v1/deconvolutions${query}` });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(typeof res.json().code, 'string', query);
    }
    assert.deepEqual(await h.counts(), before, 'nothing written or queued');
  });

  test("no batch writes into another batch's output prefix, of its own project or another's (409, nothing written); a sibling folder is free", async () => {
    const night = await create(alpha, { modelId: alphaModels.modelId, inputs: { datasetId: alphaModels.datasetId }, output: { to: 'deconvolutions/alpha-night/' } });
    assert.equal(night.statusCode, 202, night.body);
    const before = await h.counts();
    const onto = (key: string, models: ServedModels, to: string) => create(key, { modelId: models.modelId, inputs: { datasetId: models.datasetId }, output: { to } });
    for (const [key, models, to] of [
      [beta, betaModels, `deconvolutions/${alphaBatch}/`], [beta, betaModels, 'deconvolutions/alpha-night/'], [beta, betaModels, 'deconvolutions/alpha-night/beta/'],
      [alpha, alphaModels, 'deconvolutions/alpha-night'],
    ] as const) {
      const refused = await onto(key, models, to);
      assert.equal(refused.statusCode, 409, `${to}: ${refused.body}`);
      assert.equal(refused.json().code, 'OUTPUT_IN_USE');
      assert.ok(!refused.body.includes(alphaBatch) || to.includes(alphaBatch), 'the batch that writes there is not named');
    }
    assert.deepEqual(await h.counts(), before, 'nothing written or queued');
    // Another batch's prefix inside a new one's would be overwritten by it too.
    const nested = await onto(alpha, alphaModels, 'deconvolutions/nested/inner/');
    assert.equal(nested.statusCode, 202, nested.body);
    assert.equal((await onto(beta, betaModels, 'deconvolutions/nested/')).json().code, 'OUTPUT_IN_USE');
    assert.equal((await onto(beta, betaModels, 'deconvolutions/alpha-night-2/')).statusCode, 202, 'a folder whose name starts alike is another folder');
  });
});
