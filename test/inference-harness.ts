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
import { issueApiKey, type IssueApiKey } from '@divblur/http/api-key';
import { sendKeyByDefault, TEST_RATE_LIMIT_ENV } from './test-keys.ts';

export interface InferenceHarness {
  /** The inference server; its `inject` sends the harness's admin key unless the request sets `authorization` itself. */
  app: InferenceApp;
  /** A lab-wide admin key in the harness's database, made as `divblur keys create` makes one. */
  key: string;
  injectWithoutKey: InferenceApp['inject'];
  issueKey(request: IssueApiKey): Promise<string>;
  services: InferenceServices;
  blobDir: string;
  close(): Promise<void>;
}

export interface InferenceHarnessOptions {
  /** Access configuration as environment variables (rate limits, CORS) over the harness's (limits no test reaches). */
  access?: Record<string, string>;
}

export async function createInferenceHarness(options: InferenceHarnessOptions = {}): Promise<InferenceHarness> {
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-inference-blobs-'));
  const modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-inference-models-'));
  const config = loadConfig({
    ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-inference-${process.pid}-${randomBytes(3).toString('hex')}`,
    BLOB_STORE: 'local', BLOB_DIR: blobDir, ...TEST_RATE_LIMIT_ENV, ...options.access,
  });
  const services = createInferenceServices(config, createLogger({ logLevel: 'silent' }, { name: 'inference-test' }), { modelCacheDir });
  const app = await buildInferenceApp(services);
  await app.ready();
  const issueKey = async (request: IssueApiKey) => (await issueApiKey(services.db, request)).key;
  const { key, injectWithoutKey } = await sendKeyByDefault(app, services.db);
  return {
    app, key, injectWithoutKey, issueKey, services, blobDir,
    async close() {
      await app.close();
      await deleteKeysWithPrefix(services.redis, config.queuePrefix);
      await deleteKeysWithPrefix(services.redis, `${config.queuePrefix}-rate-limit`);
      await services.close();
      await database.drop();
      await rm(blobDir, { recursive: true, force: true });
      await rm(modelCacheDir, { recursive: true, force: true });
    },
  };
}
