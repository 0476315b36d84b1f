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
import { createLogger, loadConfig, type Logger } from '@divblur/config';
import { openDatabase, type Database } from '@divblur/db';
import { createTestDatabase } from '@divblur/db/testing';
import { createRedis, deleteKeysWithPrefix, type Redis } from '@divblur/queue';
import { LocalBlobStore } from '@divblur/storage';
import { buildApp, type ApiApp, type ApiLimits } from '../apps/api/src/app.ts';
import { createBullmqExperimentQueue } from '../apps/api/src/queue/bullmq-experiment-queue.ts';

export interface Harness {
  app: ApiApp;
  /** libs/db's repositories on the test database, as the app has them: tests write rows the way production does. */
  db: Database;
  redis: Redis;
  blobs: LocalBlobStore;
  blobDir: string;
  prefix: string;
  /** Counts of rows per table and blobs: "nothing written" is `counts()` unchanged. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function createHarness(options: { limits?: Partial<ApiLimits>; s3Import?: (uri: string) => Promise<Buffer>; logger?: Logger } = {}): Promise<Harness> {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = await createTestDatabase();
  const prefix = `divblur-test-api-${suffix}`;
  const redis = createRedis(loadConfig().redisUrl);
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-api-blobs-'));
  const blobs = new LocalBlobStore(blobDir);
  const queue = createBullmqExperimentQueue(redis, prefix);
  const logger = options.logger ?? createLogger({ logLevel: 'silent' }, { name: 'api-test' });
  const db = openDatabase({ databaseUrl: database.url }, { maxConnections: 4, logger });
  const app = await buildApp({
    logger, db, blobs, queues: queue,
    s3Import: options.s3Import ?? (async (uri) => { throw new Error(`no S3 in this test: ${uri}`); }),
    readiness: { postgres: () => db.ping(), redis: () => queue.ping(), blobStore: async () => { await blobs.exists('_readyz'); } },
    metricsSources: { queueDepths: () => queue.depths(), jobDurations: () => db.runs.jobDurations() },
    limits: options.limits,
  });
  await app.ready();
  return {
    app, db, redis, blobs, blobDir, prefix,
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
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
      await db.close();
      await database.drop();
      await blobs.close();
      await rm(blobDir, { recursive: true, force: true });
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
