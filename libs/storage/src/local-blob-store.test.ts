import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalBlobStore } from './local-blob-store.ts';
import { blobStoreContract } from './blob-store.contract.ts';

describe('LocalBlobStore', () => {
  let rootDir = '';
  let store: LocalBlobStore;
  before(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'divblur-blobs-'));
    store = new LocalBlobStore(rootDir);
  });
  after(async () => rm(rootDir, { recursive: true, force: true }));

  blobStoreContract(() => store, { bigBodyBytes: 12 * 1024 * 1024 });

  test('a failed put leaves no temp file behind', async () => {
    const failing = Readable.from((async function* () { yield Buffer.alloc(10); throw new Error('boom'); })());
    await assert.rejects(store.put('t/x', failing), /boom/);
    assert.deepEqual(await readdir(join(rootDir, '.tmp')), []);
  });

  test('the temp folder is never listed', async () => {
    const keys = [];
    for await (const blob of store.list('')) keys.push(blob.key);
    assert.ok(keys.every((key) => !key.startsWith('.tmp')));
  });

  test('uri is a file URL under the root', () => {
    assert.equal(store.uri('a/b.bin'), `file://${join(rootDir, 'a/b.bin')}`);
  });
});
