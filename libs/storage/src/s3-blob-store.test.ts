import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { loadConfig } from '@divblur/config';
import { S3BlobStore } from './s3-blob-store.ts';
import { createBlobStore } from './create-blob-store.ts';
import { BlobNotFoundError } from './errors.ts';
import { blobStoreContract } from './blob-store.contract.ts';

const BUCKET = 'divblur-test';
const PART_BYTES = 5 * 1024 * 1024; // S3's minimum part size

describe('S3BlobStore against s3rver', () => {
  let directory = '';
  let server: S3rver;
  let endpoint = '';
  let store: S3BlobStore;
  const options = () => ({
    region: 'us-east-1', endpoint, forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, partSizeBytes: PART_BYTES,
  });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'divblur-s3rver-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    store = new S3BlobStore({ ...options(), bucket: BUCKET });
    await store.ensureBucket();
    await store.ensureBucket(); // idempotent
  });
  after(async () => {
    await store?.close();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  blobStoreContract(() => store, { bigBodyBytes: 2 * PART_BYTES + 1024 });

  // s3rver implements neither AbortMultipartUpload nor ListMultipartUploads, so the abort is
  // checked on the wire: the commands the client sends for a multipart upload that breaks.
  test('a failed multipart upload is aborted, never completed', async () => {
    const commands: string[] = [];
    store.client.middlewareStack.add((next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize', name: 'recordCommands' });
    try {
      const part = Buffer.alloc(1024 * 1024, 7);
      const body = Readable.from((async function* () {
        for (let index = 0; index < 11; index += 1) yield part;
        throw new Error('client went away');
      })());
      await assert.rejects(store.put('aborted/big.bin', body), /client went away/);
    } finally {
      store.client.middlewareStack.remove('recordCommands');
    }
    assert.ok(commands.includes('CreateMultipartUploadCommand'), commands.join());
    assert.ok(commands.includes('AbortMultipartUploadCommand'), commands.join());
    assert.ok(!commands.includes('CompleteMultipartUploadCommand'), commands.join());
    assert.equal(await store.exists('aborted/big.bin'), false);
  });

  test('a missing bucket reads as NotFound', async () => {
    const other = new S3BlobStore({ ...options(), bucket: 'no-such-bucket' });
    try {
      await assert.rejects(other.head('a/b'), BlobNotFoundError);
      await assert.rejects(other.get('a/b'), BlobNotFoundError);
    } finally {
      await other.close();
    }
  });

  test('works with the frozen configuration of BLOB_STORE=s3 (libs/config), as every process builds it', async () => {
    const config = loadConfig({
      BLOB_STORE: 's3', S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const configured = createBlobStore(config.blobStore);
    try {
      await configured.put('configured/a.bin', Buffer.from('from the config'));
      assert.equal((await configured.getBuffer('configured/a.bin')).toString(), 'from the config');
    } finally {
      await configured.close();
    }
  });

  test('uri is s3://bucket/key', () => {
    assert.equal(store.uri('models/m1/model.onnx'), `s3://${BUCKET}/models/m1/model.onnx`);
  });
});

/**
 * BLOB_STORE=s3 as every process builds it: libs/config's frozen configuration from the environment, with static keys
 * (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, as docker-compose's MinIO) and with the AWS SDK's default chain (no
 * S3_* keys: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY read by the SDK), each through the whole blob-store suite.
 */
for (const credentials of ['static keys from the environment', "the SDK's default chain"] as const) {
  describe(`BLOB_STORE=s3 from loadConfig, ${credentials}, against s3rver`, () => {
    let directory = '';
    let server: S3rver;
    let store: ReturnType<typeof createBlobStore>;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

    before(async () => {
      directory = await mkdtemp(join(tmpdir(), 'divblur-s3rver-config-'));
      server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
      const { port } = await server.run();
      const env: Record<string, string> = { BLOB_STORE: 's3', S3_BUCKET: 'divblur-configured', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_FORCE_PATH_STYLE: 'true' };
      if (credentials === 'static keys from the environment') Object.assign(env, { S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' });
      else Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
      const config = loadConfig(env);
      assert.ok(Object.isFrozen(config.blobStore));
      assert.equal(config.blobStore.kind === 's3' && config.blobStore.credentials === undefined, credentials !== 'static keys from the environment');
      store = createBlobStore(config.blobStore);
      await (store as S3BlobStore).ensureBucket();
    });
    after(async () => {
      await store?.close();
      await server?.close();
      await rm(directory, { recursive: true, force: true });
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    // The configured part size (8 MiB): a body of two parts and a bit is a multipart upload.
    blobStoreContract(() => store, { bigBodyBytes: 2 * 8 * 1024 * 1024 + 1024 });
  });
}
