/** What the inference process talks to, built once from the validated config. */
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Logger } from '@divblur/config';
import { openDatabase, type Database } from '@divblur/db';
import { createProducerRedis, createQueues, createRedis, type Queues, type Redis } from '@divblur/queue';
import { createBlobStore, createS3Sources, type BlobStore, type S3Sources } from '@divblur/storage';
import { BATCH_SESSION_OPTIONS } from '@divblur/batch';
import { ModelSessionStore } from './model-sessions.ts';

export interface InferenceServices {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly redis: Redis;
  readonly queues: Queues;
  /** The rate limits' counters (libs/http's access plugin): a connection that fails fast, so that a Redis away lets calls through. */
  readonly rateLimitRedis: Redis;
  /** Sessions of the served images and the held-out evaluations (one path, so the evaluation measures what is served). */
  readonly sessions: ModelSessionStore;
  /**
   * Sessions of the batch pages: the same graphs with libs/batch's BATCH_SESSION_OPTIONS (no memory pattern). A
   * worker that serves both loads a model twice (graphs of a few MB, copied to a cache directory of their own; each
   * store's arena grows only with what runs on it).
   */
  readonly batchSessions: ModelSessionStore;
  /** Objects of user-given s3:// URIs (a batch's s3 inputs), read with the configuration's S3 endpoint and credentials. */
  readonly s3: S3Sources;
  /** host:pid, recorded on the batch pages this process writes. */
  readonly workerName: string;
  close(): Promise<void>;
}

export interface InferenceServiceOptions {
  /** Where model graphs are copied for ONNX Runtime; default `<tmpdir>/divblur-models`. */
  modelCacheDir?: string;
  /** Models kept loaded (LRU); default 4. */
  sessionCapacity?: number;
}

export function createInferenceServices(config: Readonly<Config>, logger: Logger, options: InferenceServiceOptions = {}): InferenceServices {
  const db = openDatabase(config, { maxConnections: 4, logger });
  const blobs = createBlobStore(config.blobStore);
  const redis = createRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);
  const rateLimitRedis = createProducerRedis(config.redisUrl);
  rateLimitRedis.on('error', (error: Error) => logger.warn({ message: error.message }, 'redis connection error (rate limits)'));
  const modelCacheDir = options.modelCacheDir ?? join(tmpdir(), 'divblur-models');
  const sessions = new ModelSessionStore(db.models, blobs, modelCacheDir, options.sessionCapacity ?? 4);
  const batchSessions = new ModelSessionStore(db.models, blobs, join(modelCacheDir, 'batch'), options.sessionCapacity ?? 4, BATCH_SESSION_OPTIONS);
  const store = config.blobStore.kind === 's3' ? config.blobStore : undefined;
  const s3 = createS3Sources({ region: store?.region ?? 'us-east-1', endpoint: store?.endpoint, forcePathStyle: store?.forcePathStyle, credentials: store?.credentials });
  return {
    config, logger, db, blobs, redis, queues, rateLimitRedis, sessions, batchSessions, s3, workerName: `${hostname()}:${process.pid}`,
    async close() {
      await sessions.close();
      await batchSessions.close();
      await s3.close();
      await queues.close();
      redis.disconnect();
      rateLimitRedis.disconnect();
      await db.close();
      await blobs.close();
    },
  };
}
