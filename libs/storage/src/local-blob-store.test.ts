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

  test('delete removes the folders it leaves empty, and only those', async () => {
    await store.put('gone/a/b/x.bin', Buffer.from('x'));
    await store.put('gone/a/kept.bin', Buffer.from('k'));
    await store.delete('gone/a/b/x.bin');
    assert.deepEqual(await readdir(join(rootDir, 'gone/a')), ['kept.bin']);
    await store.delete('gone/a/kept.bin');
    assert.ok(!(await readdir(rootDir)).includes('gone'));
    await store.put('gone/a/again.bin', Buffer.from('again')); // the folders come back with the next put
    assert.equal((await store.getBuffer('gone/a/again.bin')).toString(), 'again');
  });

  test('uri is a file URL under the root', () => {
    assert.equal(store.uri('a/b.bin'), `file://${join(rootDir, 'a/b.bin')}`);
  });
});
