/**
 * Builds the API against the machine's real Postgres (a database of its own, cloned from
 * libs/db's migrated template by `createTestDatabase()`, dropped afterwards), real Redis (a key
 * prefix of its own, deleted afterwards) and a local blob store in a temp folder. Shared by
 * test/api-*.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, loadConfig, type AccessConfig, type Logger } from '@divblur/config';
import { openDatabase, type Database } from '@divblur/db';
import { createTestDatabase } from '@divblur/db/testing';
import { createProducerRedis, createRedis, deleteKeysWithPrefix, type Redis } from '@divblur/queue';
import { LocalBlobStore } from '@divblur/storage';
import { issueApiKey, type IssueApiKey } from '@divblur/http/api-key';
import { buildApp, type ApiApp, type ApiLimits } from '../apps/api/src/app.ts';
import { sendKeyByDefault } from './test-keys.ts';
import { createBullmqExperimentQueue } from '../apps/api/src/queue/bullmq-experiment-queue.ts';

export interface Harness {
  /** The API; its `inject` sends the harness's admin key unless the request sets `authorization` itself. */
  app: ApiApp;
  /** A lab-wide admin key, made as `divblur keys create` makes one. */
  key: string;
  /** `app.inject` as Fastify has it: no key is added. */
  injectWithoutKey: ApiApp['inject'];
  /** Another key, made the same way (e.g. a read-only or a project's key). */
  issueKey(request: IssueApiKey): Promise<string>;
  /** libs/db's repositories on the test database, as the app has them: tests write rows the way production does. */
  db: Database;
  redis: Redis;
  blobs: LocalBlobStore;
  blobDir: string;
  prefix: string;
  databaseUrl: string;
  /** Counts of rows per table and blobs: "nothing written" is `counts()` unchanged. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** What the harness's access plugin is configured with (libs/config's AccessConfig); limits high enough for any test but a rate-limit one. */
export const TEST_ACCESS: AccessConfig = { corsOrigins: [], rateLimits: { perMinute: 1_000_000, expensivePerMinute: 1_000_000 }, metricsRequireKey: false };

export interface HarnessOptions {
  limits?: Partial<ApiLimits>;
  s3Import?: (uri: string) => Promise<Buffer>;
  logger?: Logger;
  /** Access control as configured: TEST_ACCESS with these changes. */
  access?: Partial<AccessConfig>;
  /** Another instance on the same database, Redis prefix and store (two API instances). */
  sharing?: Harness;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const shared = options.sharing;
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = shared ? undefined : await createTestDatabase();
  const databaseUrl = shared?.databaseUrl ?? database!.url;
  const prefix = shared?.prefix ?? `divblur-test-api-${suffix}`;
  const redis = createRedis(loadConfig().redisUrl);
  const blobDir = shared?.blobDir ?? await mkdtemp(join(tmpdir(), 'divblur-api-blobs-'));
  const blobs = new LocalBlobStore(blobDir);
  const queue = createBullmqExperimentQueue(redis, prefix);
  const logger = options.logger ?? createLogger({ logLevel: 'silent' }, { name: 'api-test' });
  const db = openDatabase({ databaseUrl }, { maxConnections: 4, logger });
  // As wireDeps: the rate limits' counters on a connection that fails fast, under a namespace of their own.
  const limiterRedis = createProducerRedis(loadConfig().redisUrl);
  const rateLimitNamespace = `${prefix}-rate-limit:`;
  const app = await buildApp({
    logger, db, blobs, queues: queue,
    s3Import: options.s3Import ?? (async (uri) => { throw new Error(`no S3 in this test: ${uri}`); }),
    readiness: { postgres: () => db.ping(), redis: () => queue.ping(), blobStore: async () => { await blobs.exists('_readyz'); } },
    metricsSources: { queueDepths: () => queue.depths(), jobDurations: () => db.runs.jobDurations() },
    limits: options.limits,
    access: { config: { ...TEST_ACCESS, ...options.access }, redis: limiterRedis, rateLimitNamespace },
    queueDashboard: { queues: Object.values(queue.queues.byName), redis: limiterRedis, sessionNamespace: `${prefix}-queue-dashboard-session:` },
  });
  await app.ready();
  const issueKey = async (request: IssueApiKey) => (await issueApiKey(db, request)).key;
  const { key, injectWithoutKey } = await sendKeyByDefault(app, db, shared?.key);
  return {
    app, key, injectWithoutKey, issueKey, databaseUrl, db, redis, blobs, blobDir, prefix,
    async counts() {
      const out: Record<string, number> = {
        datasets: await db.prisma.dataset.count(), experiments: await db.prisma.experiment.count(), runs: await db.prisma.run.count(),
      };
      let blobCount = 0;
      for await (const _ of blobs.list('')) blobCount++;
      out.blobs = blobCount;
      out.redisKeys = (await redis.keys(`${prefix}:*`)).length;
      return out;
    },
    async close() {
      await app.close();
      await queue.close();
      if (!shared) {
        await deleteKeysWithPrefix(redis, prefix);
        await deleteKeysWithPrefix(redis, `${prefix}-rate-limit`);
        await deleteKeysWithPrefix(redis, `${prefix}-queue-dashboard-session`);
      }
      await redis.quit();
      limiterRedis.disconnect();
      await db.close();
      await database?.drop();
      await blobs.close();
      if (!shared) await rm(blobDir, { recursive: true, force: true });
    },
  };
}

/** A multipart/form-data body for `inject`, built with the platform's FormData. */
export async function multipart(fields: Record<string, string | Uint8Array>): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value]), `${name}.tif`);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } };
}
