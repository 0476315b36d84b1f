/** Production wiring: the real Postgres pool, libs/queue's queues on one Redis connection, blob store and S3 importer from the config. */
import type { Config, Logger } from '@divblur/config';
import { openDatabase } from '@divblur/db';
import { createBlobStore, createS3Sources } from '@divblur/storage';
import { createProducerRedis } from '@divblur/queue';
import { DEFAULT_LIMITS, type ApiDeps } from './app.ts';
import { createBullmqExperimentQueue } from './queue/bullmq-experiment-queue.ts';
import { createBullmqBatchQueue } from './queue/bullmq-batch-queue.ts';
import { createS3Importer } from './lib/s3-import.ts';
import { allowlistedListing } from './lib/s3-allowlist.ts';

export interface WiredDeps { deps: ApiDeps; close(): Promise<void> }

export const API_STATEMENT_TIMEOUT_MS = 5_000;

export function wireDeps(config: Config, logger: Logger): WiredDeps {
  // A request's statements are milliseconds; one that is not within this is cancelled by Postgres (a 503).
  const db = openDatabase(config, { maxConnections: 10, logger, statementTimeoutMs: API_STATEMENT_TIMEOUT_MS });
  // Fails fast while Redis is away (a 503 within seconds), and reconnects by itself.
  const redis = createProducerRedis(config.redisUrl);
  redis.on('error', (error: Error) => logger.warn({ message: error.message }, 'redis connection error'));
  const queue = createBullmqExperimentQueue(redis, config.queuePrefix);
  const blobs = createBlobStore(config.blobStore);
  const s3 = config.blobStore.kind === 's3' ? config.blobStore : undefined;
  const connection = { region: s3?.region ?? 'us-east-1', endpoint: s3?.endpoint, forcePathStyle: s3?.forcePathStyle, credentials: s3?.credentials };
  // s3:// imports and batch inputs only from S3_IMPORT_ALLOW, never from the service's own bucket.
  const allowlist = { locations: config.s3ImportAllow, ownBucket: s3?.bucket };
  const importer = createS3Importer(connection, DEFAULT_LIMITS.maxUploadBytes, allowlist);
  const batchQueue = createBullmqBatchQueue(redis, config.queuePrefix);
  const s3Sources = createS3Sources(connection);
  const deps: ApiDeps = {
    logger, db, blobs, queues: queue, s3Import: (uri) => importer.read(uri),
    readiness: {
      postgres: () => db.ping(),
      redis: () => queue.ping(),
      blobStore: async () => { await blobs.exists('_readyz'); },
    },
    metricsSources: { queueDepths: () => queue.depths(), jobDurations: () => db.runs.jobDurations() },
    batches: { queue: batchQueue, listS3: allowlistedListing(s3Sources, allowlist), callbacksSigned: config.callbackSecret !== undefined },
    // The rate limits' counters on the same fail-fast connection: a Redis away lets calls through instead of hanging them.
    access: { config: config.access, redis, rateLimitNamespace: `${config.queuePrefix}-rate-limit:` },
    queueDashboard: { queues: Object.values(queue.queues.byName), redis, sessionNamespace: `${config.queuePrefix}-queue-dashboard-session:` },
  };
  return {
    deps,
    async close() {
      await queue.close();
      await batchQueue.close();
      await s3Sources.close();
      redis.disconnect(); // not quit(): with Redis away it would wait for the reconnect
      await importer.close();
      await blobs.close();
      await db.close();
    },
  };
}
