/**
 * Shared set-up of the service tests (test/service-*.test.ts): an own Postgres database cloned from
 * the migrated template, an own Redis key prefix, a local blob store in a temp dir, and a tiny
 * simulated dataset1 (8 images of 32², its GT and PSF). Datasets and experiments are made by the
 * API's own functions (`storeDataset`, `storeExperiment`: the upload's checks, the spec resolution
 * and sweep expansion, libs/db's repositories), so their rows are the rows production writes.
 * `close()` removes all of it.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, createLogger, type Config, type Logger } from '@divblur/config';
import { DEFAULT_LIMITS, storeDataset, storeExperiment } from '@divblur/api';
import { openDatabase, type Database, type Db } from '@divblur/db';
import { createTestDatabase } from '@divblur/db/testing';
import { encodeTiff, simulate, toStack, type Simulation } from '@divblur/imaging';
import { createQueues, createRedis, deleteKeysWithPrefix, type ExperimentSpec, type Queues, type Redis } from '@divblur/queue';
import { createBlobStore, S3BlobStore, type BlobStore } from '@divblur/storage';
import S3rver from 's3rver';
import { TEST_RATE_LIMIT_ENV } from './test-keys.ts';

/** Network and budget small enough for seconds on one core, yet the full path (patches, PSF, KL, checkpoints). */
export const TINY_NETWORK = { depth: 2, filters: [4, 8], latentChannels: 4, output: 'linear' } as const;
export const tinyTraining = (steps: number, checkpointEverySteps: number) =>
  ({ steps, batchSize: 4, patchSize: 32, learningRate: 3e-3, seed: 1, checkpointEverySteps });

/** The tiny spec as a client would post it (`training` as tinyTraining gives it). */
export const tinySpec = (training: ReturnType<typeof tinyTraining>): ExperimentSpec =>
  ({ network: { ...TINY_NETWORK, filters: [...TINY_NETWORK.filters] }, training } as ExperimentSpec);

export interface ServiceHarness {
  config: Readonly<Config>;
  logger: Logger;
  /** libs/db's repositories on the test database. */
  repos: Database;
  /** The Prisma client under them, for tests that inspect rows. */
  db: Db;
  blobs: BlobStore;
  redis: Redis;
  queues: Queues;
  simulation: Simulation;
  datasetId: string;
  /** Another dataset of the same images, uploaded as the API takes it. */
  createDataset(name: string): Promise<string>;
  /** An experiment of `runs` identical runs of the tiny spec (a sweep of one seed), made as POST /v1/experiments makes it, not enqueued. */
  createExperiment(runs: number, training: ReturnType<typeof tinyTraining>, datasetId?: string): Promise<{ experimentId: string; runIds: string[] }>;
  close(): Promise<void>;
}

/**
 * `DIVBLUR_TEST_BLOB_STORE=s3` (test/service-pipeline-s3.test.ts sets it): the blob store is a bucket of an s3rver of
 * the harness's own, configured as production is (BLOB_STORE=s3, static keys in S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY,
 * the configuration frozen), so that every process of the test, the trainer's sandboxed child included, goes through it.
 */
async function blobStoreEnv(blobDir: string): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (process.env.DIVBLUR_TEST_BLOB_STORE !== 's3') return { env: { BLOB_STORE: 'local', BLOB_DIR: blobDir }, close: async () => undefined };
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: blobDir });
  const { port } = await server.run();
  const env = {
    BLOB_STORE: 's3', S3_BUCKET: 'divblur-service-test', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER',
  };
  const store = createBlobStore(loadConfig(env).blobStore) as S3BlobStore;
  await store.ensureBucket();
  await store.close();
  return { env, close: () => server.close() };
}

export async function createServiceHarness(): Promise<ServiceHarness> {
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-service-'));
  const store = await blobStoreEnv(blobDir);
  // The sandboxed trainer child inherits this environment: it must see the same database, prefix and store.
  Object.assign(process.env, {
    DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-${randomBytes(4).toString('hex')}`,
    ...store.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_ENV: 'test', ...TEST_RATE_LIMIT_ENV,
  });
  const config = loadConfig();
  const logger = createLogger(config, { name: 'service-test' });
  const repos = openDatabase(config, { maxConnections: 4, logger });
  const db = repos.prisma;
  const blobs = createBlobStore(config.blobStore);
  const redis = createRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);

  const simulation = simulate({ preset: 'dataset1', count: 8, seed: 11, size: 32 });
  const createDataset = async (name: string) => (await storeDataset({ db: repos, blobs }, {
    noisy: encodeTiff(simulation.noisy), gt: encodeTiff(simulation.groundTruth), psf: encodeTiff(toStack([simulation.psf])),
  }, { name, noiseSigma: simulation.noiseSigma }, 'synthetic')).id;
  const datasetId = await createDataset('tiny dataset1');

  return {
    config, logger, repos, db, blobs, redis, queues, simulation, datasetId, createDataset,
    async createExperiment(runs, training, onDataset = datasetId) {
      const sweep = runs > 1 ? { seed: Array.from({ length: runs }, () => training.seed) } : undefined;
      const { experiment, runs: rows } = await storeExperiment(repos, { datasetId: onDataset, spec: tinySpec(training), sweep, idempotencyKey: null }, DEFAULT_LIMITS);
      return { experimentId: experiment.id, runIds: rows.map((run) => run.id) };
    },
    async close() {
      await queues.close();
      await deleteKeysWithPrefix(redis, config.queuePrefix);
      redis.disconnect();
      await repos.close();
      await database.drop();
      await blobs.close();
      await store.close();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The children of process `parentPid` running BullMQ's sandbox main: the trainer's training children (Linux /proc). */
export function sandboxChildrenOf(parentPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === parentPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('bullmq')) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}
