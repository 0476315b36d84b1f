import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from './npy.ts';
import { ImageFormatError, ImageValueError } from './errors.ts';
import { assertImagingError } from './io-test-support.ts';
import type { Stack } from './image.ts';

const fixtures = new URL('../fixtures/io/', import.meta.url);

function ramp(count: number, height: number, width: number): Stack {
  const data = Float32Array.from({ length: count * height * width }, (_, i) => Math.cos(i) * 77 - i);
  return { data, count, height, width };
}

/** A .npy file with the given header dict and raw data bytes (version 1.0). */
function npyFile(dict: string, data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(dict + '\n');
  const bytes = new Uint8Array(10 + header.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(header, 10);
  bytes.set(data, 10 + header.length);
  return bytes;
}

test('round-trips a float32 stack bit-exactly with a 64-byte aligned header', () => {
  const stack = ramp(3, 4, 5);
  const bytes = encodeNpy(stack);
  const headerLength = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + headerLength) % 64, 0);
  assert.equal(bytes.length, 10 + headerLength + 3 * 4 * 5 * 4);
  assert.match(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength)), /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 4, 5\), \} *\n$/);
  const decoded = decodeNpy(bytes);
  assert.deepEqual([decoded.rank, decoded.sourceDtype, decoded.stack.count, decoded.stack.height, decoded.stack.width], [3, 'float32', 3, 4, 5]);
  assert.deepEqual(decoded.stack.data, stack.data);
});

test('writes a model tensor shape such as (1, 1, H, W) or (1, C, H, W), and refuses one that does not hold the values', () => {
  const bytes = encodeNpy(ramp(3, 4, 5), { shape: [1, 3, 4, 5] });
  const headerLength = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + headerLength) % 64, 0);
  assert.match(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength)), /'shape': \(1, 3, 4, 5\), \}/);
  assert.deepEqual(new Float32Array(bytes.slice(10 + headerLength).buffer), ramp(3, 4, 5).data);
  assert.match(new TextDecoder().decode(encodeNpy(ramp(1, 1, 5), { shape: [5] }).subarray(10, 64)), /'shape': \(5,\)/);
  assertImagingError(() => encodeNpy(ramp(3, 4, 5), { shape: [1, 1, 4, 5] }), ImageValueError, 'SHAPE_MISMATCH', /does not hold/);
});

test('one image is written as (H, W) by default and as (1, H, W) with rank 3', () => {
  const single = ramp(1, 2, 3);
  assert.equal(decodeNpy(encodeNpy(single)).rank, 2);
  assert.equal(decodeNpy(encodeNpy(single, { rank: 3 })).rank, 3);
  assert.throws(() => encodeNpy(ramp(2, 2, 2), { rank: 2 }), ImageValueError);
});

test('reads a float64 (N, H, W) array written by NumPy, rounded to float32', async () => {
  const { stack, rank, sourceDtype } = await readNpy(new URL('float64-stack.npy', fixtures).pathname);
  assert.deepEqual([rank, sourceDtype, stack.count, stack.height, stack.width], [3, 'float64', 2, 3, 4]);
  assert.deepEqual(stack.data, Float32Array.from({ length: 24 }, (_, i) => (i - 5) * 0.125 + 1e7));
});

test('reads a uint16 (H, W) array from a Node Buffer at an odd offset', () => {
  const file = readFileSync(new URL('uint16-image.npy', fixtures));
  const shifted = Buffer.concat([Buffer.from([0]), file]).subarray(1); // data no longer 2-byte aligned in memory
  const { stack, rank, sourceDtype } = decodeNpy(shifted);
  assert.deepEqual([rank, sourceDtype, stack.count, stack.height, stack.width], [2, 'uint16', 1, 5, 3]);
  assert.deepEqual(stack.data, Float32Array.from({ length: 15 }, (_, i) => (i * 4099) % 65536));
});

test('converts int8, int16, int32, uint32 and float16 samples', () => {
  const cases: Array<[string, Uint8Array, number[]]> = [
    ['|i1', new Uint8Array(new Int8Array([-128, 127, 0, -1]).buffer), [-128, 127, 0, -1]],
    ['<i2', new Uint8Array(new Int16Array([-32768, 32767, 5, -5]).buffer), [-32768, 32767, 5, -5]],
    ['<i4', new Uint8Array(new Int32Array([-2e9, 2e9, 1, -1]).buffer), [-2e9, 2e9, 1, -1]],
    ['<u4', new Uint8Array(new Uint32Array([4e9, 0, 1, 2]).buffer), [Math.fround(4e9), 0, 1, 2]],
    ['<f2', new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer), [1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24)]],
  ];
  for (const [descr, data, values] of cases) {
    const decoded = decodeNpy(npyFile(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 2), }`, data));
    assert.deepEqual([...decoded.stack.data], values, descr);
  }
});

test('rejects Fortran order and big-endian data written by NumPy', () => {
  assertImagingError(() => decodeNpy(readFileSync(new URL('fortran-order.npy', fixtures))), ImageFormatError, 'NPY_UNSUPPORTED', /Fortran \(column-major\) order.*C order/);
  assertImagingError(() => decodeNpy(readFileSync(new URL('big-endian.npy', fixtures))), ImageFormatError, 'NPY_UNSUPPORTED', /big-endian \('>f4'\).*astype\('<f4'\)/);
});

test('rejects empty, foreign, truncated and over-long files', () => {
  assertImagingError(() => decodeNpy(new Uint8Array(0)), ImageFormatError, 'NPY_EMPTY', /empty/);
  assertImagingError(() => decodeNpy(new TextEncoder().encode('II*\0 not numpy')), ImageFormatError, 'NPY_BAD_MAGIC', /not a \.npy file/);
  const bytes = encodeNpy(ramp(2, 3, 3));
  assertImagingError(() => decodeNpy(bytes.subarray(0, bytes.length - 4)), ImageFormatError, 'NPY_TRUNCATED', /promises 72 bytes .* has 68: the file is truncated/);
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  assertImagingError(() => decodeNpy(longer), ImageFormatError, 'NPY_CORRUPT', /shape does not match the data/);
  assertImagingError(() => decodeNpy(bytes.subarray(0, 40)), ImageFormatError, 'NPY_TRUNCATED', /header needs 128 bytes/);
});

test('rejects unsupported dtypes and ranks other than 2 and 3', () => {
  const eight = new Uint8Array(32);
  assertImagingError(() => decodeNpy(npyFile(`{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }`, eight)), ImageFormatError, 'NPY_UNSUPPORTED', /dtype '<i8' is not supported/);
  assertImagingError(() => decodeNpy(npyFile(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }`, eight)), ImageFormatError, 'NPY_UNSUPPORTED', /structured/);
  assertImagingError(() => decodeNpy(npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }`, eight)), ImageValueError, 'BAD_RANK', /shape \(8\): expected \(H, W\) or \(N, H, W\)/);
  assertImagingError(() => decodeNpy(npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }`, new Uint8Array(0))), ImageValueError, 'EMPTY_IMAGE', /at least 1/);
});

test('rejects NaN unless allowed', () => {
  const stack = ramp(1, 2, 2);
  stack.data[3] = Number.NaN;
  assertImagingError(() => decodeNpy(encodeNpy(stack)), ImageValueError, 'NON_FINITE', /NaN at image 0, row 1, column 1/);
  assert.ok(Number.isNaN(decodeNpy(encodeNpy(stack), { allowNonFinite: true }).stack.data[3]));
});

test('writeNpy writes atomically and NumPy-shaped bytes come back', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'divblur-npy-'));
  try {
    const stack = ramp(2, 3, 2);
    await writeNpy(join(directory, 'a.npy'), stack);
    assert.deepEqual((await readNpy(join(directory, 'a.npy'))).stack.data, stack.data);
    assert.deepEqual(await readdir(directory), ['a.npy']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
