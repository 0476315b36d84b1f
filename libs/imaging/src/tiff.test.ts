import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodeWithTiffPackage } from 'tiff';
import { decodeTiff, encodeTiff, readTiff, writeTiff } from './tiff.ts';
import { ImageFormatError, ImageValueError } from './errors.ts';
import { assertImagingError } from './io-test-support.ts';
import type { Stack } from './image.ts';

const fixtures = new URL('../fixtures/io/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, fixtures)));

/** Expected float32 values of a fixture: `formula(i)` for flat index i, as make_io_fixtures.py writes them. */
function expected(length: number, formula: (i: number) => number): Float32Array {
  return Float32Array.from({ length }, (_, i) => formula(i));
}

function ramp(count: number, height: number, width: number): Stack {
  const data = Float32Array.from({ length: count * height * width }, (_, i) => Math.sin(i) * 1e3 - 1e-3 * i);
  return { data, count, height, width };
}

/** Overwrites the inline value of `tag` in the first IFD of a little-endian TIFF (test helper). */
function patchTag(bytes: Uint8Array, tag: number, value: number): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  const ifd = view.getUint32(4, true);
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    const at = ifd + 2 + 12 * i;
    if (view.getUint16(at, true) !== tag) continue;
    if (view.getUint16(at + 2, true) === 3) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
    return copy;
  }
  throw new Error(`tag ${tag} not found`);
}

test('round-trips a float32 stack bit-exactly through its own writer and reader', () => {
  const stack = ramp(4, 9, 7);
  stack.data[3] = -0;
  stack.data[5] = 3.4028234663852886e38;
  stack.data[6] = 1.4e-45; // smallest subnormal
  const decoded = decodeTiff(encodeTiff(stack));
  assert.equal(decoded.rank, 3);
  assert.equal(decoded.sourceDtype, 'float32');
  assert.deepEqual([decoded.stack.count, decoded.stack.height, decoded.stack.width], [4, 9, 7]);
  assert.ok(decoded.stack.data.every((value, i) => Object.is(value, stack.data[i])));
});

test('the tiff package reads the written file to the same bits, one IFD per page', () => {
  const stack = ramp(3, 5, 6);
  const pages = decodeWithTiffPackage(encodeTiff(stack));
  assert.equal(pages.length, 3);
  pages.forEach((page, p) => {
    assert.equal(page.sampleFormat, 3);
    assert.equal(page.bitsPerSample, 32);
    assert.deepEqual([...page.data], [...stack.data.subarray(p * 30, (p + 1) * 30)]);
  });
  assert.equal(pages[0].imageDescription?.replace(/\0$/, ''), '{"shape":[3,5,6]}');
});

test('one image is rank 2 by default and rank 3 when written as a (1, H, W) stack', () => {
  const single = ramp(1, 4, 3);
  assert.equal(decodeTiff(encodeTiff(single)).rank, 2);
  assert.equal(decodeTiff(encodeTiff(single, { rank: 3 })).rank, 3);
});

test('readTiff and writeTiff round-trip through a file and leave no temporary file', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'divblur-tiff-'));
  try {
    const stack = ramp(2, 8, 8);
    const path = join(directory, 'stack.tif');
    await writeTiff(path, stack);
    const decoded = await readTiff(path);
    assert.deepEqual(decoded.stack.data, stack.data);
    assert.deepEqual(await readdir(directory), ['stack.tif']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('writeTiff of a stack whose data does not fit its shape writes nothing', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'divblur-tiff-'));
  try {
    const wrong: Stack = { data: new Float32Array(10), count: 2, height: 2, width: 3 };
    await assert.rejects(writeTiff(join(directory, 'bad.tif'), wrong), (error: unknown) => error instanceof ImageValueError && error.code === 'SHAPE_MISMATCH');
    assert.deepEqual(await readdir(directory), []);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('reads a zlib-compressed uint16 stack written by tifffile', () => {
  const { stack, rank, sourceDtype } = decodeTiff(fixture('uint16-stack-zlib.tif'));
  assert.deepEqual([rank, sourceDtype, stack.count, stack.height, stack.width], [3, 'uint16', 3, 20, 13]);
  assert.deepEqual(stack.data, expected(3 * 20 * 13, (i) => (i * 2011 + 7) % 65536));
});

test('reads tiled, predictor and LZW pages (libtiff and tifffile) to the same values', () => {
  const values = expected(2 * 40 * 36, (i) => (i * 37) % 65536);
  for (const name of ['uint16-stack-tiled-zlib.tif', 'uint16-stack-zlib-predictor.tif', 'uint16-stack-lzw-predictor.tif']) {
    const { stack, rank } = decodeTiff(fixture(name));
    assert.deepEqual([rank, stack.count, stack.height, stack.width], [3, 2, 40, 36], name);
    assert.deepEqual(stack.data, values, name);
  }
});

test('reads a float64 image written by tifffile as rank 2, rounded to float32', () => {
  const { stack, rank, sourceDtype } = decodeTiff(fixture('float64-image.tif'));
  assert.deepEqual([rank, sourceDtype, stack.count, stack.height, stack.width], [2, 'float64', 1, 17, 11]);
  assert.deepEqual(stack.data, expected(17 * 11, (i) => (i - 100) * 0.375 + i * 2 ** -30 + 1e7));
});

test('reads big-endian int16 with negative values', () => {
  const { stack, sourceDtype } = decodeTiff(fixture('int16-stack-bigendian.tif'));
  assert.equal(sourceDtype, 'int16');
  assert.deepEqual(stack.data, expected(2 * 9 * 6, (i) => ((i * 523) % 65536) - 32768));
});

test('reads int32 (zlib) and uint32 stacks, which the tiff package cannot', () => {
  const int32 = decodeTiff(fixture('int32-stack-zlib.tif'));
  assert.equal(int32.sourceDtype, 'int32');
  assert.deepEqual(int32.stack.data, expected(40, (i) => (i - 20) * 100_000_007));
  const uint32 = decodeTiff(fixture('uint32-stack.tif'));
  assert.equal(uint32.sourceDtype, 'uint32');
  assert.deepEqual(uint32.stack.data, expected(40, (i) => i * 100_000_007 + 7));
});

test('reads int8 saved as a (1, H, W) stack as rank 3', () => {
  const { stack, rank, sourceDtype } = decodeTiff(fixture('int8-one-image-stack.tif'));
  assert.deepEqual([rank, sourceDtype, stack.count, stack.height, stack.width], [3, 'int8', 1, 6, 5]);
  assert.deepEqual(stack.data, expected(30, (i) => i * 8 - 120));
});

test('reads float32 and float16 written by tifffile', () => {
  const float32 = decodeTiff(fixture('float32-stack.tif'));
  assert.deepEqual([float32.rank, float32.sourceDtype, float32.stack.count], [3, 'float32', 2]);
  assert.deepEqual(float32.stack.data, expected(42, (i) => (i - 20) * 0.25));
  const float16 = decodeTiff(fixture('float16-image.tif'));
  assert.equal(float16.sourceDtype, 'float16');
  assert.deepEqual(float16.stack.data, expected(20, (i) => (i - 10) * 0.5));
});

test('reads from a Node Buffer that views a larger buffer at an odd offset', () => {
  for (const name of ['uint16-stack-zlib.tif', 'int32-stack-zlib.tif', 'uint16-stack-tiled-zlib.tif']) {
    const bytes = fixture(name);
    const shifted = Buffer.concat([Buffer.from([1, 2, 3]), bytes]).subarray(3);
    assert.notEqual(shifted.byteOffset % 4, 0);
    assert.deepEqual(decodeTiff(shifted).stack.data, decodeTiff(bytes).stack.data, name);
  }
});

test('rejects an empty file', () => {
  assertImagingError(() => decodeTiff(new Uint8Array(0)), ImageFormatError, 'TIFF_EMPTY', /empty \(0 bytes\)/);
});

test('rejects a file that is not a TIFF, naming what it looks like', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
  assertImagingError(() => decodeTiff(png), ImageFormatError, 'TIFF_BAD_MAGIC', /not a TIFF: the file starts with bytes 89 50 4e 47 \(a PNG image\).*49 49 2a 00/);
});

test('rejects a truncated TIFF whose strip runs past the end of the file', () => {
  const bytes = encodeTiff(ramp(2, 16, 16));
  assertImagingError(() => decodeTiff(bytes.subarray(0, bytes.length - 100)), ImageFormatError, 'TIFF_TRUNCATED', /strip\/tile 0 ends at byte \d+ but the file has only \d+ bytes/);
});

test('rejects a compressed TIFF cut short or with a damaged strip', () => {
  for (const name of ['uint16-stack-zlib.tif', 'int32-stack-zlib.tif']) {
    const bytes = fixture(name);
    const [firstPage] = decodeWithTiffPackage(bytes, { ignoreImageData: true });
    const lastPage = decodeWithTiffPackage(bytes, { ignoreImageData: true }).at(-1)!;
    const lastStripEnd = lastPage.stripOffsets.at(-1)! + lastPage.stripByteCounts.at(-1)!; // cut inside the last strip
    assertImagingError(() => decodeTiff(bytes.subarray(0, lastStripEnd - 3)), ImageFormatError, 'TIFF_TRUNCATED', /truncated/);
    const damaged = bytes.slice();
    damaged.fill(0xff, firstPage.stripOffsets[0], firstPage.stripOffsets[0] + 6);
    assertImagingError(() => decodeTiff(damaged), ImageFormatError, 'TIFF_CORRUPT', /corrupt/);
  }
});

test('rejects a TIFF cut inside its header or its IFD chain', () => {
  const bytes = encodeTiff(ramp(2, 4, 4));
  assertImagingError(() => decodeTiff(bytes.subarray(0, 5)), ImageFormatError, 'TIFF_TRUNCATED', /only 5 bytes/);
  assertImagingError(() => decodeTiff(bytes.subarray(0, 30)), ImageFormatError, 'TIFF_TRUNCATED', /IFD 0 .* ends at byte/);
});

test('rejects an IFD chain that loops instead of hanging', () => {
  const bytes = encodeTiff(ramp(1, 4, 4)).slice();
  const view = new DataView(bytes.buffer);
  const entries = view.getUint16(8, true);
  view.setUint32(8 + 2 + 12 * entries, 8, true); // next IFD → the first one again
  assertImagingError(() => decodeTiff(bytes), ImageFormatError, 'TIFF_CORRUPT', /loops back to byte 8/);
});

test('rejects pages of different sizes', () => {
  assertImagingError(() => decodeTiff(fixture('pages-of-different-sizes.tif')), ImageValueError, 'PAGE_SIZE_MISMATCH', /page 1 is 7×6 .* page 0 is 8×6/);
});

test('rejects NaN and Infinity with the position of the first one, unless allowed', () => {
  const stack = ramp(2, 3, 4);
  stack.data[12 + 4 + 2] = Number.NaN;
  const bytes = encodeTiff(stack);
  assertImagingError(() => decodeTiff(bytes), ImageValueError, 'NON_FINITE', /NaN at image 1, row 1, column 2/);
  assert.ok(Number.isNaN(decodeTiff(bytes, { allowNonFinite: true }).stack.data[18]));
});

test('rejects unsupported sample formats and compressions', () => {
  const bytes = encodeTiff(ramp(1, 4, 4));
  const int64 = patchTag(patchTag(bytes, 258, 64), 339, 2);
  assertImagingError(() => decodeTiff(int64), ImageFormatError, 'TIFF_UNSUPPORTED_SAMPLE_FORMAT', /64-bit signed integer samples/);
  const packBits = patchTag(bytes, 259, 32773);
  assertImagingError(() => decodeTiff(packBits), ImageFormatError, 'TIFF_UNSUPPORTED', /PackBits/);
  const rgb = patchTag(bytes, 277, 3);
  assertImagingError(() => decodeTiff(rgb), ImageFormatError, 'TIFF_UNSUPPORTED', /3 samples per pixel/);
});

test('refuses files above the pixel limit before allocating them', () => {
  assertImagingError(() => decodeTiff(encodeTiff(ramp(2, 8, 8)), { maxPixels: 100 }), ImageValueError, 'IMAGE_TOO_LARGE', /2 × 8 × 8 = 128 pixels/);
});
