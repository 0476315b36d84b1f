/**
 * Shared set-up of the batch tests (test/batch-*.test.ts): an own Postgres database (cloned from the migrated
 * template), an own Redis key prefix, a local blob store in a temp folder, the API built in-process with the batch
 * path's real queue (`createBullmqBatchQueue`), and two models made as production makes them: a dataset and an
 * experiment through the API's `storeDataset` / `storeExperiment`, each run moved through its lifecycle by libs/db
 * (trained, then evaluated → succeeded, or its evaluation failed → failed), its blobs and row written by the trainer's
 * `exportModelDirToBlobs`. The graphs are a tiny random model with a Gaussian PSF (libs/onnx's testing
 * model): the batch machinery is under test, not the quality of a trained network.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, createLogger, type Config } from '@divblur/config';
import { buildApp, createBullmqBatchQueue, createBullmqExperimentQueue, DEFAULT_LIMITS, storeDataset, storeExperiment, type ApiApp } from '@divblur/api';
import { openDatabase, type Database } from '@divblur/db';
import { createTestDatabase, type TestDatabase } from '@divblur/db/testing';
import { encodeTiff, gaussianPsf, simulate, toStack } from '@divblur/imaging';
import { exportModelDirToBlobs } from '@divblur/trainer';
import { writeRandomModel } from '@divblur/onnx/testing';
import { createProducerRedis, createRedis, deleteKeysWithPrefix, type Redis } from '@divblur/queue';
import { sendKeyByDefault, TEST_RATE_LIMIT_ENV } from './test-keys.ts';
import { createBlobStore, createS3Sources, S3BlobStore, type BlobStore, type S3Sources } from '@divblur/storage';
import S3rver from 's3rver';
import { tinySpec, tinyTraining } from './service-harness.ts';

export const CALLBACK_SECRET = 'batch-test-secret-0123456789';
export const TINY_MODEL_CONFIG = { depth: 2, filters: [4, 8], latentChannels: 4, kernelSize: 3, output: 'linear' } as const;

export interface ServedModels {
  datasetId: string;
  /** A model whose run succeeded, and one whose run failed its evaluation. */
  modelId: string;
  failedModelId: string;
}

export interface BatchHarness {
  config: Readonly<Config>;
  /** The environment a worker process needs to share this harness's database, queues and store. */
  env: NodeJS.ProcessEnv;
  repos: Database;
  blobs: BlobStore;
  blobDir: string;
  redis: Redis;
  /** The API as production builds it (the batch path on); its `inject` sends the harness's admin key unless a request sets `authorization`. */
  app: ApiApp;
  /** `app.inject` as Fastify has it: no key is added. */
  injectWithoutKey: ApiApp['inject'];
  /** Another dataset and its models, made the same way, in project `projectId` (libs/db's projects). */
  servedModels(projectId: string | null): Promise<ServedModels>;
  /** A model whose run succeeded, and one whose run failed its evaluation. */
  modelId: string;
  failedModelId: string;
  datasetId: string;
  /** A bucket of the test's own s3rver, which the API lists s3:// inputs from. */
  s3Bucket: S3BlobStore;
  /** Rows of the batch tables, blobs under batches/ and deconvolutions/, and the inference queue's Redis keys. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A tiny random model with a Gaussian PSF, served as the trainer serves a trained one (its blobs and Model row). */
async function putModel(repos: Database, blobs: BlobStore, runId: string, seed: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-batch-model-'));
  try {
    const psf = gaussianPsf({ fwhmPx: 2 });
    await writeRandomModel(dir, {
      config: { ...TINY_MODEL_CONFIG, filters: [...TINY_MODEL_CONFIG.filters] }, seed, psf: { height: psf.height, width: psf.width, data: Array.from(psf.data) },
    });
    return (await exportModelDirToBlobs(repos.models, blobs, runId, dir, {})).id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A dataset of `projectId` (null: the lab's), an experiment of two runs on it and their models, made as production
 * makes them: one whose run succeeded, one whose run failed its evaluation.
 */
async function servedModels(repos: Database, blobs: BlobStore, projectId: string | null): Promise<ServedModels> {
  const simulation = simulate({ preset: 'dataset1', count: 2, seed: 3, size: 32 });
  const dataset = await storeDataset({ db: repos, blobs }, {
    noisy: encodeTiff(simulation.noisy), gt: encodeTiff(simulation.groundTruth), psf: encodeTiff(toStack([simulation.psf])),
  }, { name: 'batch dataset', noiseSigma: simulation.noiseSigma, pixelSizeNm: 80, projectId }, 'synthetic');
  const { runs } = await storeExperiment(repos, {
    datasetId: dataset.id, spec: tinySpec(tinyTraining(2, 1)), sweep: { seed: [1, 2] }, idempotencyKey: null,
  }, DEFAULT_LIMITS);
  const [good, bad] = await Promise.all(runs.map(async (run) => {
    const training = (await repos.runs.forTraining(run.id))!;
    await repos.runs.start(training);
    await repos.runs.trained(run.id, { steps: 2, trainMs: 10, noiseSigma: simulation.noiseSigma });
    return run.id;
  }));
  const modelId = await putModel(repos, blobs, good, 5);
  await repos.metrics.recordEvaluation(good, modelId, 'heldout', { psnrMmse: 20, psnrSamples: 19, ssim: 0.5, discrepancy: 1, meanStd: 0.1, samples: 10 }, 5);
  const failedModelId = await putModel(repos, blobs, bad, 6);
  await repos.runs.failEvaluation(bad, 'trained, but the evaluation failed: test');
  return { datasetId: dataset.id, modelId, failedModelId };
}

/**
 * `store: 's3'`: the service's blob store is a bucket of the test's s3rver (BLOB_STORE=s3, as docker-compose's MinIO),
 * so that s3:// inputs and outputs go through the S3 protocol end to end; default a local folder.
 */
export async function createBatchHarness(options: { store?: 'local' | 's3' } = {}): Promise<BatchHarness> {
  const database: TestDatabase = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-batch-blobs-'));
  const s3Dir = await mkdtemp(join(tmpdir(), 'divblur-batch-s3-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
  const { port } = await s3.run();
  const connection = { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
  const store = options.store === 's3'
    ? { BLOB_STORE: 's3', S3_ENDPOINT: connection.endpoint, S3_BUCKET: 'divblur-batch', S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true' }
    : { BLOB_STORE: 'local', BLOB_DIR: blobDir };
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-batch-${randomBytes(4).toString('hex')}`,
    ...store, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_ENV: 'test', CALLBACK_SECRET, ...TEST_RATE_LIMIT_ENV,
  };
  const config = loadConfig(env);
  const logger = createLogger({ logLevel: 'silent' }, { name: 'batch-test' });
  const repos = openDatabase(config, { maxConnections: 4, logger });
  const blobs = createBlobStore(config.blobStore);
  if (blobs instanceof S3BlobStore) await blobs.ensureBucket();
  const redis = createRedis(config.redisUrl);
  const batchQueue = createBullmqBatchQueue(redis, config.queuePrefix);
  const experimentQueue = createBullmqExperimentQueue(redis, config.queuePrefix);
  const limiterRedis = createProducerRedis(config.redisUrl);
  const s3Bucket = new S3BlobStore({ ...connection, bucket: 'lab-acquisitions' });
  await s3Bucket.ensureBucket();
  const s3Sources: S3Sources = createS3Sources(connection);

  const { datasetId, modelId, failedModelId } = await servedModels(repos, blobs, null);

  const app = await buildApp({
    logger, db: repos, blobs, queues: experimentQueue,
    s3Import: async (uri) => { throw new Error(`no S3 here: ${uri}`); },
    readiness: { postgres: () => repos.ping(), redis: async () => { await redis.ping(); }, blobStore: async () => undefined },
    metricsSources: { queueDepths: async () => ({}), jobDurations: async () => ({}) },
    batches: { queue: batchQueue, listS3: (uri) => s3Sources.list(uri), callbacksSigned: true },
    access: { config: config.access, redis: limiterRedis, rateLimitNamespace: `${config.queuePrefix}-rate-limit:` },
  });
  await app.ready();
  const { injectWithoutKey } = await sendKeyByDefault(app, repos);
  return {
    config, env, repos, blobs, blobDir, redis, app, injectWithoutKey, modelId, failedModelId, datasetId, s3Bucket,
    servedModels: (projectId) => servedModels(repos, blobs, projectId),
    async counts() {
      const blobCount = async (prefix: string) => { let n = 0; for await (const _ of blobs.list(prefix)) n += 1; return n; };
      return {
        batches: await repos.prisma.batch.count(), inputs: await repos.prisma.batchInput.count(), tasks: await repos.prisma.batchTask.count(),
        batchBlobs: await blobCount('batches/'), outputBlobs: await blobCount('deconvolutions/'),
        queueKeys: (await redis.keys(`${config.queuePrefix}:inference:*`)).length,
      };
    },
    async close() {
      await app.close();
      await batchQueue.close();
      await experimentQueue.close();
      await deleteKeysWithPrefix(redis, config.queuePrefix);
      await deleteKeysWithPrefix(redis, `${config.queuePrefix}-rate-limit`);
      redis.disconnect();
      limiterRedis.disconnect();
      await repos.close();
      await database.drop();
      await s3Sources.close();
      await s3Bucket.close();
      await blobs.close();
      await s3.close();
      await rm(s3Dir, { recursive: true, force: true });
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

/** multipart/form-data for `inject`: text fields first (the batch route wants them before the files), then the files. */
export async function batchForm(fields: Record<string, string>, files: { name: string; bytes: Uint8Array }[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append('inputs', new Blob([file.bytes]), file.name);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } };
}
