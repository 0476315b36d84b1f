import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, imageFormatOf, readImageFile, writeImageFile } from './image-file.ts';
import { encodeNpy } from './npy.ts';
import { encodeTiff } from './tiff.ts';
import { ImageFormatError, ImageValueError } from './errors.ts';
import { writableDtype } from './image-codec.ts';
import { simulateCamera } from './simulate-camera.ts';
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

test('a uint16 camera stack round-trips through TIFF and NPY as uint16, in its own units (ADU, offset kept)', async () => {
  const camera = simulateCamera({ count: 2, size: 32, seed: 1 });
  const directory = await mkdtemp(join(tmpdir(), 'divblur-image-file-'));
  try {
    for (const name of ['acq.tif', 'acq.npy']) {
      await writeImageFile(join(directory, name), camera.noisy, { dtype: 'uint16' });
      const decoded = await readImageFile(join(directory, name));
      assert.equal(decoded.sourceDtype, 'uint16', name);
      assert.deepEqual(decoded.stack.data, camera.noisy.data, name);
      assert.equal(writableDtype(decoded.sourceDtype), 'uint16');
    }
    // 2 bytes a sample: the TIFF holds the pixels in half the bytes float32 would need
    assert.ok((await readFile(join(directory, 'acq.tif'))).length < 2 * 32 * 32 * 2 + 1024);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('an estimate written in an integer dtype is rounded and clamped to its range; other dtypes are refused', () => {
  const estimate: Stack = { data: Float32Array.from([-3, 0.4, 0.6, 101.5, 70000, 254.7]), count: 1, height: 2, width: 3 };
  assert.deepEqual(Array.from(decodeImage(encodeTiff(estimate, { dtype: 'uint16' })).stack.data), [0, 0, 1, 102, 65535, 255]);
  assert.deepEqual(Array.from(decodeImage(encodeNpy(estimate, { dtype: 'uint8' })).stack.data), [0, 0, 1, 102, 255, 255]);
  assert.equal(decodeImage(encodeTiff(estimate, { dtype: 'uint8' })).sourceDtype, 'uint8');
  assert.throws(() => writableDtype('int16'), (e: unknown) => e instanceof ImageValueError && e.code === 'DTYPE_NOT_WRITABLE' && /float32, uint16, uint8/.test(e.message));
});
