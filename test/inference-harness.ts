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
import type { InjectOptions } from 'fastify';

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
  /** Access control on (rate limits and CORS from these environment variables, high limits by default); false: off. */
  access?: Record<string, string> | false;
}

export async function createInferenceHarness(options: InferenceHarnessOptions = {}): Promise<InferenceHarness> {
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'divblur-inference-blobs-'));
  const modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-inference-models-'));
  const config = loadConfig({
    ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-test-inference-${process.pid}-${randomBytes(3).toString('hex')}`,
    BLOB_STORE: 'local', BLOB_DIR: blobDir, RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '1000000',
    ...(options.access || {}),
  });
  const services = createInferenceServices(config, createLogger({ logLevel: 'silent' }, { name: 'inference-test' }), { modelCacheDir });
  const app = await buildInferenceApp(services, { access: options.access !== undefined && options.access !== false });
  await app.ready();
  const issueKey = async (request: IssueApiKey) => (await issueApiKey(services.db, request)).key;
  const key = await issueKey({ name: 'inference test harness', scopes: ['admin'] });
  const injectWithoutKey = app.inject.bind(app) as InferenceApp['inject'];
  app.inject = ((request: InjectOptions) => injectWithoutKey({
    ...request, headers: { ...(request.headers !== undefined && 'authorization' in request.headers ? {} : { authorization: `Bearer ${key}` }), ...request.headers },
  })) as InferenceApp['inject'];
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
