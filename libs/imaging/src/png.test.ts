import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { decodeGray8Png, encodeImagePng, percentiles, toGray8 } from './png.ts';

test('a PNG of the image\'s size whose levels are the linear map of [min, max] onto 0…255, clipped', () => {
  const image = { height: 2, width: 3, data: Float32Array.of(-1, 0, 0.5, 1, 2, Number.NaN) };
  const bytes = encodeImagePng(image, { min: 0, max: 1 });
  assert.equal(bytes.readUInt32BE(29), crc32(bytes.subarray(12, 29)) >>> 0, 'the IHDR chunk\'s CRC-32');
  const png = decodeGray8Png(bytes);
  assert.equal(png.width, 3);
  assert.equal(png.height, 2);
  assert.deepEqual([...png.levels], [0, 0, 128, 255, 255, 0]);
});

test('other limits move the levels: [0, 2] halves them', () => {
  const image = { height: 1, width: 4, data: Float32Array.of(0, 0.5, 1, 2) };
  assert.deepEqual([...toGray8(image, { min: 0, max: 2 })], [0, 64, 128, 255]);
  assert.deepEqual([...toGray8(image, { min: 1, max: 1 })], [0, 0, 255, 255], 'flat limits: a threshold at min');
});

test('percentiles are nearest ranks of the finite values', () => {
  const data = Float32Array.from({ length: 101 }, (_, i) => i);
  assert.deepEqual(percentiles(data, [0, 1, 50, 99, 100]), [0, 1, 50, 99, 100]);
  assert.deepEqual(percentiles(Float32Array.of(Number.NaN, 3, Infinity), [0, 100]), [3, 3]);
  assert.throws(() => percentiles(data, [101]), /between 0 and 100/);
});

test('refuses non-finite limits', () => {
  assert.throws(() => toGray8({ height: 1, width: 1, data: Float32Array.of(1) }, { min: 0, max: Number.NaN }), /finite/);
});

test('the reader refuses what is not an 8-bit gray PNG with valid CRCs', () => {
  const bytes = encodeImagePng({ height: 1, width: 2, data: Float32Array.of(0, 1) }, { min: 0, max: 1 });
  const broken = Buffer.from(bytes);
  broken[20] ^= 1;
  assert.throws(() => decodeGray8Png(broken), /CRC/);
  assert.throws(() => decodeGray8Png(Buffer.from('GIF89a')), /PNG/);
});
