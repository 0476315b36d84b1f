import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from './blob-store.ts';
import { BlobNotFoundError, BlobRangeError, InvalidBlobKeyError } from './errors.ts';

/** Yields `chunks` buffers, then fails: an upload that breaks half-way. */
function failingStream(chunks: Buffer[]): Readable {
  return Readable.from((async function* () {
    for (const chunk of chunks) yield chunk;
    throw new Error('client went away');
  })());
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function keysOf(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list(prefix)) keys.push(blob.key);
  return keys;
}

/**
 * The behaviour every `BlobStore` must have. Each store's test file runs it on a fresh store;
 * `bigBodyBytes` is large enough to need a multipart upload in the S3 store.
 */
export function blobStoreContract(store: () => BlobStore, options: { bigBodyBytes: number }): void {
  test('put a buffer, then get it back as a buffer and as a stream, with size and sha256', async () => {
    const bytes = randomBytes(1000);
    const result = await store().put('datasets/d1/noisy.tif', bytes);
    assert.deepEqual(result, { key: 'datasets/d1/noisy.tif', sizeBytes: 1000, sha256: sha256Hex(bytes) });
    assert.deepEqual(await store().getBuffer('datasets/d1/noisy.tif'), bytes);
    const chunks: Buffer[] = [];
    for await (const chunk of await store().get('datasets/d1/noisy.tif')) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), bytes);
  });

  test('put a stream of many chunks (a multipart upload for S3) and read it back intact', async () => {
    const chunk = randomBytes(256 * 1024);
    const count = Math.ceil(options.bigBodyBytes / chunk.length);
    const result = await store().put('big/stack.tif', Readable.from(Array.from({ length: count }, () => chunk)));
    const expected = Buffer.concat(Array.from({ length: count }, () => chunk));
    assert.equal(result.sizeBytes, expected.length);
    assert.equal(result.sha256, sha256Hex(expected));
    assert.equal((await store().head('big/stack.tif')).sizeBytes, expected.length);
    assert.ok((await store().getBuffer('big/stack.tif')).equals(expected));
  });

  test('an empty blob is a blob', async () => {
    await store().put('empty/zero.bin', Buffer.alloc(0));
    assert.equal((await store().head('empty/zero.bin')).sizeBytes, 0);
    assert.equal((await store().getBuffer('empty/zero.bin')).length, 0);
  });

  test('a put overwrites the whole previous blob', async () => {
    await store().put('over/x.bin', Buffer.from('a much longer first version'));
    await store().put('over/x.bin', Buffer.from('short'));
    assert.equal((await store().getBuffer('over/x.bin')).toString(), 'short');
  });

  test('a failed streamed upload leaves nothing under the key, small or multipart', async () => {
    await assert.rejects(store().put('failed/small.bin', failingStream([randomBytes(1000)])), /client went away/);
    assert.equal(await store().exists('failed/small.bin'), false);
    const part = randomBytes(1024 * 1024);
    const parts = Array.from({ length: Math.ceil(options.bigBodyBytes / part.length) }, () => part);
    await assert.rejects(store().put('failed/big.bin', failingStream(parts)), /client went away/);
    assert.equal(await store().exists('failed/big.bin'), false);
    assert.deepEqual(await keysOf(store(), 'failed/'), []);
  });

  test('a failed overwrite keeps the old blob', async () => {
    await store().put('keep/model.onnx', Buffer.from('version 1'));
    await assert.rejects(store().put('keep/model.onnx', failingStream([Buffer.from('vers')])));
    assert.equal((await store().getBuffer('keep/model.onnx')).toString(), 'version 1');
  });

  test('ranged reads return exactly the window, clipped at the end', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    await store().put('range/bytes.bin', bytes);
    assert.deepEqual(await store().getBuffer('range/bytes.bin', { offsetBytes: 10, lengthBytes: 5 }), bytes.subarray(10, 15));
    assert.deepEqual(await store().getBuffer('range/bytes.bin', { offsetBytes: 250 }), bytes.subarray(250));
    assert.deepEqual(await store().getBuffer('range/bytes.bin', { offsetBytes: 250, lengthBytes: 100 }), bytes.subarray(250));
    assert.equal((await store().getBuffer('range/bytes.bin', { offsetBytes: 256 })).length, 0);
    assert.equal((await store().getBuffer('range/bytes.bin', { offsetBytes: 3, lengthBytes: 0 })).length, 0);
    await assert.rejects(store().getBuffer('range/bytes.bin', { offsetBytes: 257 }), BlobRangeError);
    await assert.rejects(store().getBuffer('range/bytes.bin', { offsetBytes: -1 }), BlobRangeError);
  });

  test('a missing key is a typed NotFound for get, head and ranged get; exists says false; delete is idempotent', async () => {
    await assert.rejects(store().get('absent/key.bin'), BlobNotFoundError);
    await assert.rejects(store().getBuffer('absent/key.bin', { offsetBytes: 0, lengthBytes: 1 }), BlobNotFoundError);
    await assert.rejects(store().head('absent/key.bin'), (error: unknown) =>
      error instanceof BlobNotFoundError && error.key === 'absent/key.bin' && error.code === 'BLOB_NOT_FOUND');
    assert.equal(await store().exists('absent/key.bin'), false);
    await store().delete('absent/key.bin');
    await store().put('absent/key.bin', Buffer.from('x'));
    assert.equal(await store().exists('absent/key.bin'), true);
    await store().delete('absent/key.bin');
    assert.equal(await store().exists('absent/key.bin'), false);
  });

  test('list by prefix is sorted and matches partial segments; deletePrefix removes exactly those', async () => {
    for (const key of ['runs/r2/ckpt-2', 'runs/r1/ckpt-10', 'runs/r1/ckpt-2', 'runs/r10/ckpt-1', 'other/r1']) {
      await store().put(key, Buffer.from(key));
    }
    assert.deepEqual(await keysOf(store(), 'runs/r1/'), ['runs/r1/ckpt-10', 'runs/r1/ckpt-2']);
    assert.deepEqual(await keysOf(store(), 'runs/r1'), ['runs/r1/ckpt-10', 'runs/r1/ckpt-2', 'runs/r10/ckpt-1']);
    assert.deepEqual(await keysOf(store(), 'nothing/'), []);
    const listed = [];
    for await (const blob of store().list('runs/r2/')) listed.push(blob);
    assert.equal(listed[0].sizeBytes, 'runs/r2/ckpt-2'.length);
    assert.equal(await store().deletePrefix('runs/'), 4);
    assert.deepEqual(await keysOf(store(), 'runs/'), []);
    assert.deepEqual(await keysOf(store(), 'other/'), ['other/r1']);
  });

  test('rejects keys that could escape the store or are not portable', async () => {
    for (const key of ['', '/etc/passwd', '../outside', 'a/../../b', 'a//b', 'a/', './a', 'a/.hidden', 'a\\b', 'a\nb', 'a\0b']) {
      await assert.rejects(store().put(key, Buffer.from('x')), InvalidBlobKeyError, `key ${JSON.stringify(key)}`);
      await assert.rejects(store().get(key), InvalidBlobKeyError);
    }
    await assert.rejects(store().put('x'.repeat(1025), Buffer.from('x')), InvalidBlobKeyError);
    await assert.rejects(async () => { for await (const _ of store().list('../')) void _; }, InvalidBlobKeyError);
  });

  test('uri names the store and the key', () => {
    assert.match(store().uri('models/m1/model.onnx'), /^(file|s3):\/\/.*models\/m1\/model\.onnx$/);
  });
}
