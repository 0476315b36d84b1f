/**
 * Shared set-up of the service tests (test/service-*.test.ts): an own Postgres database cloned from
 * the migrated template, an own Redis key prefix, a local blob store in a temp dir, and a tiny
 * simulated dataset1 (8 images of 32², its GT and PSF) with one experiment and its runs as rows.
 * `close()` removes all of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, createLogger, type Config, type Logger } from '@divblur/config';
import { createDb, createTestDatabase, type Db } from '@divblur/db';
import { encodeTiff, simulate, toStack, type Simulation } from '@divblur/imaging';
import {
  createQueues, createRedis, deleteKeysWithPrefix, resolveSpec, type ExperimentSpec, type Queues, type Redis,
} from '@divblur/queue';
import { createBlobStore, type BlobStore } from '@divblur/storage';

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
  db: Db;
  blobs: BlobStore;
  redis: Redis;
  queues: Queues;
  simulation: Simulation;
  datasetId: string;
  /** An experiment of `runs` identical runs of the tiny spec; each row is the spec resolved as the API resolves it. */
  createExperiment(runs: number, training: ReturnType<typeof tinyTraining>, datasetId?: string): Promise<{ experimentId: string; runIds: string[] }>;
  close(): Promise<void>;
}

export async function createServiceHarness(): Promise<ServiceHarness> {
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-service-'));
  // The sandboxed trainer child inherits this environment: it must see the same database, prefix and store.
  Object.assign(process.env, {
    DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-${randomBytes(4).toString('hex')}`,
    BLOB_STORE: 'local', BLOB_DIR: blobDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_ENV: 'test',
  });
  const config = loadConfig();
  const logger = createLogger(config, { name: 'service-test' });
  const db = createDb(config, { maxConnections: 4 });
  const blobs = createBlobStore(config.blobStore);
  const redis = createRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);

  const simulation = simulate({ preset: 'dataset1', count: 8, seed: 11, size: 32 });
  const put = async (name: string, bytes: Uint8Array) => (await blobs.put(`datasets/test/${name}`, bytes)).key;
  const dataset = await db.dataset.create({
    data: {
      name: 'tiny dataset1', source: 'synthetic', count: 8, height: 32, width: 32, dtype: 'float32',
      stats: {}, sha256: '0'.repeat(64),
      noisyKey: await put('noisy.tif', encodeTiff(simulation.noisy)),
      gtKey: await put('gt.tif', encodeTiff(simulation.groundTruth)),
      psfKey: await put('psf.tif', encodeTiff(toStack([simulation.psf]))),
      psfHeight: simulation.psf.height, psfWidth: simulation.psf.width,
      noiseSigma: simulation.noiseSigma, noiseSigmaSource: 'given',
    },
  });

  return {
    config, logger, db, blobs, redis, queues, simulation, datasetId: dataset.id,
    async createExperiment(runs, training, datasetId = dataset.id) {
      const spec = tinySpec(training);
      const params = resolveSpec(spec);
      const experiment = await db.experiment.create({ data: { datasetId, spec: spec as object, runCount: runs } });
      const runIds: string[] = [];
      for (let ordinal = 0; ordinal < runs; ordinal++) {
        const run = await db.run.create({
          data: {
            experimentId: experiment.id, ordinal, method: params.method, penalty: params.penalty, lambda: params.lambda, kappa: params.kappa,
            seed: params.training.seed, noiseSigma: typeof params.noiseSigma === 'number' ? params.noiseSigma : null,
            network: params.network, training: params.training,
          },
        });
        runIds.push(run.id);
      }
      return { experimentId: experiment.id, runIds };
    },
    async close() {
      await queues.close();
      await deleteKeysWithPrefix(redis, config.queuePrefix);
      redis.disconnect();
      await db.$disconnect();
      await database.drop();
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
