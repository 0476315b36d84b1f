/**
 * The API wired as in production (`wireDeps(loadConfig(env))`) with BLOB_STORE=s3 and static keys from the
 * environment, against s3rver (issue 15): /readyz is ready and uploads land in the service's bucket through the
 * frozen configuration; s3:// imports read only inside S3_IMPORT_ALLOW: outside it, the answer is the same 403
 * whether the object exists or not, also for the service's own bucket, and batch prefixes are held to it too; an
 * allowed object that is not an image is refused without its bytes in the answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import S3rver from 's3rver';
import { buildApp, wireDeps, type ApiApp, type WiredDeps } from '@divblur/api';
import { createLogger, loadConfig } from '@divblur/config';
import { createTestDatabase, type TestDatabase } from '@divblur/db/testing';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { createRedis, deleteKeysWithPrefix } from '@divblur/queue';
import { S3BlobStore } from '@divblur/storage';
import { multipart } from './api-harness.ts';
import { sendKeyByDefault, TEST_RATE_LIMIT_ENV } from './test-keys.ts';

const stack = (count: number, size: number): Stack =>
  ({ data: Float32Array.from({ length: count * size * size }, (_, i) => (i % 5) / 5), count, height: size, width: size });
const SECRET_TEXT = 'SECRET-LAB-NOTES-4711';

describe('BLOB_STORE=s3 with keys from the environment, and the s3:// import allowlist, through wireDeps', () => {
  let directory = '';
  let server: S3rver;
  let database: TestDatabase;
  let wired: WiredDeps;
  let api: ApiApp;
  let own: S3BlobStore;
  let lab: S3BlobStore;
  const prefix = `divblur-test-s3-${randomBytes(3).toString('hex')}`;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'divblur-s3-access-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const { port } = await server.run();
    const connection = { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    own = new S3BlobStore({ ...connection, bucket: 'divblur-blobs' });
    lab = new S3BlobStore({ ...connection, bucket: 'lab-data' });
    await own.ensureBucket();
    await lab.ensureBucket();
    await lab.put('acq/noisy.tif', encodeTiff(stack(2, 32)));
    await lab.put('acq/notes.tif', Buffer.from(SECRET_TEXT));
    await lab.put('private/secret.tif', encodeTiff(stack(2, 32)));
    database = await createTestDatabase();
    const config = loadConfig({
      ...process.env, ...TEST_RATE_LIMIT_ENV, DATABASE_URL: database.url, QUEUE_PREFIX: prefix,
      BLOB_STORE: 's3', S3_BUCKET: 'divblur-blobs', S3_ENDPOINT: connection.endpoint, S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_IMPORT_ALLOW: 's3://lab-data/acq',
    });
    wired = wireDeps(config, createLogger({ logLevel: 'silent' }, { name: 's3-access-test' }));
    api = await buildApp(wired.deps);
    await sendKeyByDefault(api, wired.deps.db);
  });
  after(async () => {
    await api?.close();
    await wired?.close();
    await database?.drop();
    const redis = createRedis(loadConfig().redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, `${prefix}-rate-limit`);
    redis.disconnect();
    await own?.close();
    await lab?.close();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('/readyz is ready and an upload is stored in the S3 bucket (the frozen credentials reach the SDK as a copy)', async () => {
    const ready = await api.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.equal(ready.json().checks.blobStore.ok, true);
    const form = await multipart({ noisy: encodeTiff(stack(2, 32)) });
    const upload = await api.inject({ method: 'POST', url: '/v1/datasets', ...form });
    assert.equal(upload.statusCode, 201, upload.body);
    assert.equal(await own.exists(upload.json().noisyKey), true);
  });

  test('an import inside the allowlist works; outside it, an object that exists and one that does not get the same 403', async () => {
    const imported = await api.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'allowed', s3: 's3://lab-data/acq/noisy.tif' } });
    assert.equal(imported.statusCode, 201, imported.body);
    const ownKey = imported.json().noisyKey as string;
    assert.equal(await own.exists(ownKey), true);
    const refusals = [];
    for (const uri of ['s3://lab-data/private/secret.tif', 's3://lab-data/private/absent.tif', `s3://divblur-blobs/${ownKey}`, 's3://other-bucket/x.tif', 's3://lab-data/acq-private/x.tif']) {
      const res = await api.inject({ method: 'POST', url: '/v1/datasets', payload: { s3: uri } });
      assert.equal(res.statusCode, 403, `${uri}: ${res.body}`);
      const { requestId: _id, ...body } = res.json();
      refusals.push(JSON.stringify(body).replace(uri, '<uri>'));
    }
    assert.equal(new Set(refusals).size, 1, refusals.join('\n'));
    assert.match(refusals[0], /S3_LOCATION_NOT_ALLOWED/);
    // A batch's s3:// prefix is held to the same list (before any listing).
    await assert.rejects(wired.deps.batches!.listS3('s3://lab-data/private/'), /S3_IMPORT_ALLOW/);
    assert.equal((await wired.deps.batches!.listS3('s3://lab-data/acq/')).length, 2);
  });

  test("an allowed object that is not an image is a 400 that does not echo its bytes", async () => {
    const res = await api.inject({ method: 'POST', url: '/v1/datasets', payload: { s3: 's3://lab-data/acq/notes.tif' } });
    assert.equal(res.statusCode, 400, res.body);
    const hex = Array.from(Buffer.from(SECRET_TEXT).subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    assert.ok(!res.body.includes(hex) && !res.body.includes('SECRET'), res.body);
  });
});
