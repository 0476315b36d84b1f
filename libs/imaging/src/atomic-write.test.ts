import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';

async function withDirectory(body: (directory: string) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'divblur-atomic-'));
  try {
    await body(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

test('writes the bytes and leaves only the target file', () =>
  withDirectory(async (directory) => {
    const path = join(directory, 'out.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3, 250]));
    assert.deepEqual([...(await readFile(path))], [1, 2, 3, 250]);
    assert.deepEqual(await readdir(directory), ['out.bin']);
  }));

test('writes chunks from a generator in order', () =>
  withDirectory(async (directory) => {
    const path = join(directory, 'out.bin');
    async function* chunks() {
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    }
    await writeFileAtomic(path, chunks());
    assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  }));

test('a failing encode leaves no file and no temporary file', () =>
  withDirectory(async (directory) => {
    const path = join(directory, 'out.tif');
    function* failingEncode(): Iterable<Uint8Array> {
      yield new Uint8Array(1024).fill(7);
      throw new Error('encoder failed half-way');
    }
    await assert.rejects(writeFileAtomic(path, failingEncode()), /encoder failed half-way/);
    assert.deepEqual(await readdir(directory), []);
  }));

test('a failing write keeps the previous file intact', () =>
  withDirectory(async (directory) => {
    const path = join(directory, 'out.tif');
    await writeFile(path, 'old contents');
    async function* failingEncode(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('new contents, part 1');
      throw new Error('disk went away');
    }
    await assert.rejects(writeFileAtomic(path, failingEncode()), /disk went away/);
    assert.equal(await readFile(path, 'utf8'), 'old contents');
    assert.deepEqual(await readdir(directory), ['out.tif']);
  }));

test('replaces an existing file atomically', () =>
  withDirectory(async (directory) => {
    const path = join(directory, 'out.bin');
    await writeFile(path, 'old');
    await writeFileAtomic(path, new TextEncoder().encode('new'));
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.deepEqual(await readdir(directory), ['out.bin']);
  }));

test('rejects when the directory does not exist, creating nothing', () =>
  withDirectory(async (directory) => {
    await assert.rejects(writeFileAtomic(join(directory, 'missing', 'out.bin'), new Uint8Array(1)), { code: 'ENOENT' });
    assert.deepEqual(await readdir(directory), []);
  }));
