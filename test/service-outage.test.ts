/**
 * The API with Postgres or Redis away (issue 14): a redis-server of this test's own (test/redis-server.ts, never the
 * machine's) killed and started again, and a Postgres that refuses connections or accepts and never answers. The
 * API is wired as in production (`wireDeps`): every call bounded, a dependency's failure a 503 with Retry-After
 * and the reason within 2 s, nothing left behind; an experiment whose flow was never added (what a crash between
 * the insert and the enqueue leaves, made here by `storeExperiment`, the API's own insert) is enqueued by the
 * reconciler or by the client's retry, and then trained.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, DEFAULT_LIMITS, storeExperiment, wireDeps, type ApiApp, type WiredDeps } from '@divblur/api';
import { loadConfig } from '@divblur/config';
import { parseSpec } from '@divblur/queue';
import { buildInferenceApp, createInferenceServices, type InferenceServices } from '@divblur/inference';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { reconcileExperiments } from '../apps/api/src/experiments/reconcile-experiments.ts';
import { freePort, startOwnRedis, type OwnRedis } from './redis-server.ts';
import { createServiceHarness, tinySpec, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';
import { sendKeyByDefault, UNREACHABLE_KEY } from './test-keys.ts';

const LIMIT_MS = 2000;
/** As POST /v1/experiments stores it: validated against the spec schema, defaults filled. */
const spec = parseSpec(tinySpec(tinyTraining(5, 5)));
const unknownId = '00000000-0000-4000-8000-000000000000';

let redis: OwnRedis;
let harness: ServiceHarness;
let wired: WiredDeps;
let api: ApiApp;

before(async () => {
  redis = await startOwnRedis(['--appendonly', 'yes']);
  // The harness (and the trainer's sandboxed child, through the environment) use this Redis.
  process.env.REDIS_URL = redis.url;
  harness = await createServiceHarness();
  wired = wireDeps(harness.config, harness.logger);
  api = await buildApp(wired.deps);
  await sendKeyByDefault(api, wired.deps.db);
  await api.ready();
});

after(async () => {
  await api?.close();
  await wired?.close();
  await harness?.close();
  await redis?.close();
});

/** A request and how long it took, ms. */
async function timed(request: InjectOptions) {
  const started = performance.now();
  const response = await api.inject(request);
  return { response, ms: performance.now() - started };
}

const rowCounts = async () => ({ experiments: await harness.db.experiment.count(), runs: await harness.db.run.count() });
const post = (payload: object, headers: Record<string, string> = {}) =>
  timed({ method: 'POST', url: '/v1/experiments', payload, headers });
const trainJobKey = (runId: string) => `${harness.config.queuePrefix}:training:train-${runId}`;

function assertUnavailable(response: LightMyRequestResponse, ms: number, code: string, what: string): void {
  assert.equal(response.statusCode, 503, `${what}: ${response.body}`);
  assert.ok(ms < LIMIT_MS, `${what}: answered in ${ms.toFixed(0)} ms`);
  assert.ok(Number(response.headers['retry-after']) >= 1, `${what}: Retry-After`);
  const body = response.json();
  assert.equal(body.code, code, what);
  assert.match(body.message, /unavailable|did not answer/, what);
  assert.ok(body.requestId, what);
}

describe('Redis away', () => {
  test('Redis stopped during POST /v1/experiments: 503 with Retry-After within 2 s, and no row left behind', async (t) => {
    const before = await rowCounts();
    // Killed between the insert and the enqueue: the rows exist when the enqueue finds Redis gone.
    const enqueue = wired.deps.queues.enqueueExperiment;
    wired.deps.queues.enqueueExperiment = async (...args) => {
      await redis.kill();
      return enqueue(...args);
    };
    try {
      const { response, ms } = await post({ datasetId: harness.datasetId, spec, sweep: { seed: [1, 2] } });
      assertUnavailable(response, ms, 'REDIS_UNAVAILABLE', 'POST during the outage');
      t.diagnostic(`503 in ${ms.toFixed(0)} ms: ${response.json().message}`);
    } finally {
      wired.deps.queues.enqueueExperiment = enqueue;
    }
    assert.deepEqual(await rowCounts(), before, 'the rows were taken back');

    const again = await post({ datasetId: harness.datasetId, spec });
    assertUnavailable(again.response, again.ms, 'REDIS_UNAVAILABLE', 'POST while Redis is down');
    assert.deepEqual(await rowCounts(), before);

    const ready = await timed({ method: 'GET', url: '/readyz' });
    assert.equal(ready.response.statusCode, 503);
    assert.ok(ready.ms < LIMIT_MS + 500, `readyz in ${ready.ms} ms`);
    const { checks } = ready.response.json();
    assert.equal(checks.redis.ok, false, 'readyz names Redis');
    assert.equal(checks.postgres.ok, true);
    // Reads that need only Postgres still answer.
    assert.equal((await api.inject({ method: 'GET', url: `/v1/datasets/${harness.datasetId}` })).statusCode, 200);
    assert.equal((await timed({ method: 'POST', url: `/v1/experiments/${unknownId}/cancel` })).response.statusCode, 404);
    // A cancel is the rows': recorded (200) while Redis is away; only the removal of the waiting jobs is left undone.
    const stored = await storeExperiment(harness.repos, { datasetId: harness.datasetId, spec, idempotencyKey: null }, DEFAULT_LIMITS);
    const cancel = await timed({ method: 'POST', url: `/v1/experiments/${stored.experiment.id}/cancel` });
    assert.equal(cancel.response.statusCode, 200, cancel.response.body);
    assert.ok(cancel.ms < LIMIT_MS, `cancel in ${cancel.ms} ms`);
    assert.equal(cancel.response.json().experiment.status, 'cancelled');
    assert.equal((await harness.db.run.findUniqueOrThrow({ where: { id: stored.runs[0].id } })).status, 'cancelled');
  });

  test('a retry with the Idempotency-Key of an experiment whose flow was never added enqueues it once Redis is back', async () => {
    // The first request's rows, as a crash between its insert and its enqueue leaves them.
    const request = { datasetId: harness.datasetId, spec, idempotencyKey: 'lims-order-outage-1' };
    const first = await storeExperiment(harness.repos, request, DEFAULT_LIMITS);
    assert.equal(first.experiment.enqueuedAt, null);
    const headers = { 'idempotency-key': request.idempotencyKey };
    const down = await post({ datasetId: request.datasetId, spec }, headers);
    assertUnavailable(down.response, down.ms, 'REDIS_UNAVAILABLE', 'the retry while Redis is down');
    assert.equal(await harness.db.experiment.count({ where: { id: first.experiment.id } }), 1, 'the first request\'s rows stay');

    await redis.start();
    await waitFor('the API to reconnect', async () => ((await api.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined), 10_000);
    // As a LIMS retries: again after a 503 (on this shared machine a reply can miss the 1.5 s deadline under load).
    const retry = await waitFor('the retry to be accepted', async () => {
      const answer = await post({ datasetId: request.datasetId, spec }, headers);
      return answer.response.statusCode === 503 ? undefined : answer;
    }, 15_000);
    assert.equal(retry.response.statusCode, 200, retry.response.body);
    assert.equal(retry.response.json().experiment.id, first.experiment.id);
    const runId = first.runs[0].id;
    assert.equal((await harness.redis.hgetall(trainJobKey(runId))).name, 'train-run', 'the retry added the flow');
    assert.notEqual((await harness.db.experiment.findUniqueOrThrow({ where: { id: first.experiment.id } })).enqueuedAt, null);
  });

  describe('the reconciler', () => {
    let trainer: RunningTrainer | undefined;
    after(async () => trainer?.close());

    test('adds the flow of an experiment a crash left without one once Redis is back, and the run is trained', async () => {
      await redis.kill();
      const left = await storeExperiment(harness.repos, { datasetId: harness.datasetId, spec, idempotencyKey: null }, DEFAULT_LIMITS);
      // While Redis is down a round fails and leaves the experiment pending.
      await assert.rejects(reconcileExperiments(wired.deps, { graceMs: 0 }), /redis is unavailable/);
      assert.equal((await harness.db.experiment.findUniqueOrThrow({ where: { id: left.experiment.id } })).enqueuedAt, null);
      // A young experiment is its own request's to enqueue: the reconciler leaves it alone.
      await redis.start();
      await waitFor('the API to reconnect', async () => ((await api.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined), 10_000);
      assert.deepEqual(await reconcileExperiments(wired.deps), []);

      const enqueued = await reconcileExperiments(wired.deps, { graceMs: 0 });
      assert.ok(enqueued.includes(left.experiment.id), `reconciled ${enqueued}`);
      assert.deepEqual(await reconcileExperiments(wired.deps, { graceMs: 0 }), [], 'marked: not enqueued twice');
      const runId = left.runs[0].id;
      assert.equal((await harness.redis.hgetall(trainJobKey(runId))).name, 'train-run');

      trainer = startTrainer(harness.config, harness.logger);
      const trained = await waitFor('the reconciled run to train', async () => {
        const run = await harness.db.run.findUniqueOrThrow({ where: { id: runId } });
        if (run.status === 'failed') throw new Error(`run failed: ${run.error}`);
        return run.status === 'evaluating' ? run : undefined;
      }, 120_000);
      assert.equal(trained.stepsDone, 5);
    });
  });
});

describe('Postgres away', () => {
  let blackhole: Server;
  const sockets = new Set<Socket>();
  const apis: Array<{ app: ApiApp; wired: WiredDeps }> = [];
  let inference: InferenceServices | undefined;
  let holeUrl = '';
  let refusedUrl = '';

  before(async () => {
    // Accepts the connection and never answers: a host that hangs, not one that refuses.
    blackhole = createServer((socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
    await new Promise<void>((done) => blackhole.listen(0, '127.0.0.1', done));
    holeUrl = `postgresql://postgres@127.0.0.1:${(blackhole.address() as { port: number }).port}/divblur`;
    refusedUrl = `postgresql://postgres@127.0.0.1:${await freePort()}/divblur`;
  });
  after(async () => {
    for (const { app, wired: deps } of apis) { await app.close(); await deps.close(); }
    await inference?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => blackhole.close(done));
  });

  const apiOn = async (databaseUrl: string) => {
    const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
    const deps = wireDeps(config, harness.logger);
    const app = await buildApp(deps.deps);
    await app.ready();
    // A key in the format: checking it needs Postgres, so the answer is the 503 this test is about.
    await sendKeyByDefault(app, deps.deps.db, UNREACHABLE_KEY);
    apis.push({ app, wired: deps });
    return app;
  };

  for (const [kind, url] of [['refuses connections', () => refusedUrl], ['accepts and never answers', () => holeUrl]] as const) {
    test(`Postgres that ${kind}: 503 with Retry-After within 2 s on reads and writes; /readyz names it`, async (t) => {
      const app = await apiOn(url());
      const requests: InjectOptions[] = [
        { method: 'GET', url: `/v1/experiments/${unknownId}` },
        { method: 'GET', url: '/v1/runs?limit=5' },
        { method: 'POST', url: '/v1/experiments', payload: { datasetId: harness.datasetId, spec } },
        { method: 'POST', url: `/v1/runs/${unknownId}/evaluate` },
      ];
      for (const request of requests) {
        const started = performance.now();
        const response = await app.inject(request);
        const ms = performance.now() - started;
        assertUnavailable(response, ms, 'POSTGRES_UNAVAILABLE', `${request.method} ${request.url}`);
        t.diagnostic(`${request.method} ${request.url}: 503 in ${ms.toFixed(0)} ms`);
      }
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().checks.postgres.ok, false);
      assert.equal(ready.json().checks.redis.ok, true);
    });
  }

  test('the inference service: deconvolve with Postgres hanging is a 503 within 2 s, and /readyz names it', async () => {
    const config = loadConfig({ ...process.env, DATABASE_URL: holeUrl });
    inference = createInferenceServices(config, harness.logger);
    const app = await buildInferenceApp(inference);
    await sendKeyByDefault(app, inference.db, UNREACHABLE_KEY);
    try {
      const started = performance.now();
      const response = await app.inject({
        method: 'POST', url: `/v1/models/${unknownId}/deconvolve`, payload: { shape: [32, 32], data: Buffer.alloc(4 * 32 * 32).toString('base64') },
      });
      const ms = performance.now() - started;
      assert.equal(response.statusCode, 503, response.body);
      assert.ok(ms < LIMIT_MS, `${ms} ms`);
      assert.equal(response.json().code, 'POSTGRES_UNAVAILABLE');
      assert.ok(Number(response.headers['retry-after']) >= 1);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.match(ready.json().checks.postgres, /^down: /);
    } finally {
      await app.close();
    }
  });
});
