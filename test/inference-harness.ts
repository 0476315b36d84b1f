/**
 * Builds the inference server against the machine's real Postgres (a database of its own, cloned
 * from libs/db's migrated template), real Redis (a key prefix of its own) and a local blob store in
 * a temp folder, with the production services (`createInferenceServices`). `close()` removes all of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, loadConfig } from '@divblur/config';
import { createTestDatabase } from '@divblur/db/testing';
import { deleteKeysWithPrefix } from '@divblur/queue';
import { buildInferenceApp, createInferenceServices, type InferenceApp, type InferenceServices } from '@divblur/inference';

export interface InferenceHarness {
  app: InferenceApp;
  services: InferenceServices;
  blobDir: string;
  close(): Promise<void>;
}

export async function createInferenceHarness(): Promise<InferenceHarness> {
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-inference-blobs-'));
  const modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-inference-models-'));
  const config = loadConfig({
    ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-inference-${process.pid}-${randomBytes(3).toString('hex')}`,
    BLOB_STORE: 'local', BLOB_DIR: blobDir,
  });
  const services = createInferenceServices(config, createLogger({ logLevel: 'silent' }, { name: 'inference-test' }), { modelCacheDir });
  const app = await buildInferenceApp(services);
  await app.ready();
  return {
    app, services, blobDir,
    async close() {
      await app.close();
      await deleteKeysWithPrefix(services.redis, config.queuePrefix);
      await services.close();
      await database.drop();
      await rm(blobDir, { recursive: true, force: true });
      await rm(modelCacheDir, { recursive: true, force: true });
    },
  };
}
