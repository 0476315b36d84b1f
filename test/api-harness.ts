/**
 * Builds the API against the machine's real Postgres (a database of its own, migrated with the
 * committed prisma/migrations SQL, dropped afterwards), real Redis (a key prefix of its own,
 * deleted afterwards) and a local blob store in a temp folder. Shared by test/api-*.test.ts.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createLogger } from '@divblur/config';
import { LocalBlobStore } from '@divblur/storage';
import { buildApp, type ApiApp, type ApiLimits } from '../apps/api/src/app.ts';
import { createPgRepository } from '../apps/api/src/repo/pg-repository.ts';
import { createBullmqExperimentQueue } from '../apps/api/src/queue/bullmq-experiment-queue.ts';

const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS = new URL('../prisma/migrations/', import.meta.url);

export interface Harness {
  app: ApiApp;
  pool: pg.Pool;
  redis: Redis;
  blobs: LocalBlobStore;
  blobDir: string;
  prefix: string;
  /** Counts of rows per table and blobs: "nothing written" is `counts()` unchanged. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function createDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = `postgresql://postgres@127.0.0.1:5432/${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const dir of (await readdir(MIGRATIONS)).sort()) {
      await client.query(await readFile(new URL(`${dir}/migration.sql`, MIGRATIONS), 'utf8'));
    }
  } finally {
    await client.end();
  }
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try { await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`); } finally { await admin.end(); }
}

export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export async function createHarness(options: { limits?: Partial<ApiLimits>; s3Import?: (uri: string) => Promise<Buffer> } = {}): Promise<Harness> {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const dbName = `divblur_api_test_${suffix}`;
  const pool = new pg.Pool({ connectionString: await createDatabase(dbName), max: 4 });
  const prefix = `divblur-test-api-${suffix}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-api-blobs-'));
  const blobs = new LocalBlobStore(blobDir);
  const queue = createBullmqExperimentQueue({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }, prefix);
  const db = createPgRepository(pool);
  const logger = createLogger({ logLevel: 'silent' }, { name: 'api-test' });
  const app = await buildApp({
    logger, db, blobs, queues: queue,
    s3Import: options.s3Import ?? (async (uri) => { throw new Error(`no S3 in this test: ${uri}`); }),
    readiness: { postgres: () => db.ping(), redis: () => queue.ping(), blobStore: async () => { await blobs.exists('_readyz'); } },
    metricsSources: { queueDepths: () => queue.depths(), jobDurations: () => db.jobDurations() },
    limits: options.limits,
  });
  await app.ready();
  return {
    app, pool, redis, blobs, blobDir, prefix,
    async counts() {
      const out: Record<string, number> = {};
      for (const table of ['datasets', 'experiments', 'runs']) {
        out[table] = (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
      }
      let blobCount = 0;
      for await (const _ of blobs.list('')) blobCount++;
      out.blobs = blobCount;
      out.redisKeys = (await redis.keys(`${prefix}:*`)).length;
      return out;
    },
    async close() {
      await app.close();
      await queue.close();
      await deleteRedisPrefix(redis, prefix);
      redis.disconnect();
      await pool.end();
      await dropDatabase(dbName);
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
