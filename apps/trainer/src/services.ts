/**
 * What a trainer process talks to, built once from the validated config: Postgres, the blob store,
 * Redis and the queues (to enqueue the evaluation). The sandboxed child builds its own set
 * (`processServices`); connections are not shared across processes.
 */
import { createLogger, loadConfig, type Config, type Logger } from '@divblur/config';
import { openDatabase, type Database } from '@divblur/db';
import { createQueues, createRedis, type Queues } from '@divblur/queue';
import { createBlobStore, type BlobStore } from '@divblur/storage';

export interface TrainerServices {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly queues: Queues;
  close(): Promise<void>;
}

export function createTrainerServices(config: Readonly<Config>, logger: Logger): TrainerServices {
  const db = openDatabase(config, { maxConnections: 4, logger });
  const blobs = createBlobStore(config.blobStore);
  const redis = createRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);
  return {
    config, logger, db, blobs, queues,
    async close() {
      await queues.close();
      redis.disconnect();
      await db.close();
      await blobs.close();
    },
  };
}

let shared: TrainerServices | null = null;

/** The services of this process (the sandbox child reads its config from the inherited environment). */
export function processServices(): TrainerServices {
  if (shared === null) {
    const config = loadConfig();
    shared = createTrainerServices(config, createLogger(config, { name: 'trainer' }));
  }
  return shared;
}
