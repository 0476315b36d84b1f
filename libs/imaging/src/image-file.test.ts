import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, imageFormatOf, readImageFile, writeImageFile } from './image-file.ts';
import { encodeNpy } from './npy.ts';
import { encodeTiff } from './tiff.ts';
import { ImageFormatError } from './errors.ts';
import type { Stack } from './image.ts';

const stack: Stack = { data: Float32Array.from({ length: 24 }, (_, i) => i / 3 - 2), count: 2, height: 3, width: 4 };

test('picks the format from the extension, case-insensitively', () => {
  assert.equal(imageFormatOf('/data/a.TIF'), 'tiff');
  assert.equal(imageFormatOf('b.tiff'), 'tiff');
  assert.equal(imageFormatOf('c.npy'), 'npy');
  assert.throws(
    () => imageFormatOf('scan.png'),
    (e: unknown) => e instanceof ImageFormatError && e.code === 'UNKNOWN_EXTENSION' && /"\.png": use \.tif, \.tiff or \.npy/.test(e.message),
  );
});

test('writes and reads back TIFF and NPY by extension, with the bytes of each format', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'divblur-image-file-'));
  try {
    for (const name of ['s.tif', 's.npy']) {
      await writeImageFile(join(directory, name), stack);
      const decoded = await readImageFile(join(directory, name));
      assert.deepEqual(decoded.stack.data, stack.data);
      assert.equal(decoded.rank, 3);
    }
    assert.deepEqual([...(await readFile(join(directory, 's.tif'))).subarray(0, 4)], [0x49, 0x49, 42, 0]);
    assert.deepEqual([...(await readFile(join(directory, 's.npy'))).subarray(0, 6)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    await assert.rejects(writeImageFile(join(directory, 's.png'), stack), ImageFormatError);
    assert.deepEqual((await readdir(directory)).sort(), ['s.npy', 's.tif']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('decodeImage tells TIFF from NPY by their first bytes', () => {
  assert.equal(decodeImage(encodeTiff(stack)).stack.data[23], stack.data[23]);
  assert.equal(decodeImage(encodeNpy(stack)).stack.data[23], stack.data[23]);
  assert.throws(() => decodeImage(new TextEncoder().encode('GIF89a......')), (e: unknown) => e instanceof ImageFormatError && e.code === 'UNKNOWN_FORMAT' && /starting 47 49 46 38/.test(e.message));
  assert.throws(() => decodeImage(new Uint8Array(0)), (e: unknown) => e instanceof ImageFormatError && e.code === 'TIFF_EMPTY');
});
