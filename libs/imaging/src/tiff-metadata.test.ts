import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { decodeTiff, encodeTiff, encodeTiffPages } from './tiff.ts';
import { readTiffPixelSize } from './tiff-metadata.ts';
import { ImageFormatError } from './errors.ts';
import type { Stack } from './image.ts';

const fixture = (name: string) => readFile(new URL(`../fixtures/io/${name}`, import.meta.url));
const near = (actual: number | null, expected: number) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-6 * expected, `${actual} vs ${expected}`);

test('reads the pixel size as Fiji (ImageJ), OME tools and a centimetre resolution write it; 72 dpi is no pixel size', async () => {
  const imagej = readTiffPixelSize(await fixture('imagej-65nm-uint16.tif'));
  assert.equal(imagej.source, 'imagej');
  near(imagej.pixelSizeNm, 65);
  near(imagej.spacingNm, 200);
  const ome = readTiffPixelSize(await fixture('ome-100nm-float32.ome.tif'));
  assert.equal(ome.source, 'ome');
  near(ome.pixelSizeNm, 100);
  near(ome.spacingNm, 500);
  near(readTiffPixelSize(await fixture('resolution-cm-250nm.tif')).pixelSizeNm, 250);
  assert.deepEqual(readTiffPixelSize(await fixture('resolution-72dpi.tif')), { pixelSizeNm: null, spacingNm: null, source: null });
  assert.deepEqual(readTiffPixelSize(encodeTiff({ data: new Float32Array(4), count: 1, height: 2, width: 2 })).pixelSizeNm, null);
  assert.throws(() => readTiffPixelSize(new Uint8Array([0x49, 0x49, 42, 0, 200, 0, 0, 0])), ImageFormatError);
});

test('a stack written page by page with a pixel size reads back bit for bit, as an ImageJ stack of that scale', async () => {
  const stack: Stack = { data: Float32Array.from({ length: 3 * 5 * 7 }, (_, i) => Math.sin(i) * 100), count: 3, height: 5, width: 7 };
  async function* pages() {
    for (let page = 0; page < stack.count; page++) yield stack.data.slice(page * 35, (page + 1) * 35);
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeTiffPages(stack, pages(), { pixelSizeNm: 108.3, spacingNm: 300 })) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const decoded = decodeTiff(bytes);
  assert.deepEqual(decoded.stack, stack);
  assert.equal(decoded.rank, 3);
  const size = readTiffPixelSize(bytes);
  assert.equal(size.source, 'imagej');
  near(size.pixelSizeNm, 108.3);
  near(size.spacingNm, 300);
  // Same bytes as the one-buffer writer with the same options.
  assert.deepEqual(new Uint8Array(bytes), encodeTiff(stack, { pixelSizeNm: 108.3, spacingNm: 300 }));
  await assert.rejects(async () => { for await (const _ of encodeTiffPages(stack, [stack.data.slice(0, 35)])) void _; }, /1 pages arrived; the shape declares 3/);
});
