import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTiff, readTiffPixelSize } from '@divblur/imaging';
import { LocalBlobStore } from '@divblur/storage';
import { outputDtypeOf, outputStackKeys, writeOutputStacks } from './output-stack.ts';
import { pageResultKey, readPageStats, writePageResult } from './page-result.ts';
import type { PageTaskResult } from './page-task.ts';
import type { Rect } from './page-tiles.ts';

let dir: string;
let blobs: LocalBlobStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'divblur-batch-out-'));
  blobs = new LocalBlobStore(dir);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** A result whose MMSE at page pixel (r, c) of page p is 1000·p + 10·r + c − 5, its std half that. */
function result(page: number, core: Rect): PageTaskResult {
  const mmse = new Float32Array(core.height * core.width);
  for (let r = 0; r < core.height; r++) for (let c = 0; c < core.width; c++) mmse[r * core.width + c] = 1000 * page + 10 * (core.top + r) + core.left + c - 5;
  return {
    core, mmse, std: mmse.map((v) => v / 2), samplesUsed: 40, stoppedEarly: true, standardError: 0.1, discrepancy: 1.02, discrepancyPixels: 9,
    meanStd: 3, durationMs: 12,
  };
}

test('pages and tiles are assembled in page order into a stack with the input\'s pixel size, in the input\'s dtype when asked', async () => {
  const prefix = 'deconvolutions/t/';
  const [height, width] = [6, 8];
  const tasks = [];
  // page 0 whole; page 1 in two tiles (top and bottom halves); page 2 whole
  const layout: [number, Rect][] = [
    [0, { top: 0, left: 0, height, width }],
    [1, { top: 0, left: 0, height: 3, width }], [1, { top: 3, left: 0, height: 3, width }],
    [2, { top: 0, left: 0, height, width }],
  ];
  for (const [i, [page, core]] of layout.entries()) {
    const tileCount = page === 1 ? 2 : 1;
    const key = pageResultKey(prefix, 'stack-a', page, page === 1 ? i - 1 : 0, tileCount);
    await writePageResult(blobs, key, result(page, core));
    tasks.push({ page, core, resultKey: key });
  }
  assert.equal((await readPageStats(blobs, tasks[1].resultKey))?.samplesUsed, 40);
  assert.equal(await readPageStats(blobs, `${prefix}pages/stack-a/p0009`), null);
  const keys = outputStackKeys(prefix, 'stack-a');
  const input = { pageCount: 3, height, width, dtype: 'uint16', pixelSizeNm: 65, spacingNm: 250 };
  await writeOutputStacks(blobs, keys, input, tasks, outputDtypeOf('input', 'uint16'));
  const mmseBytes = await blobs.getBuffer(keys.mmse);
  const mmse = decodeTiff(mmseBytes);
  assert.equal(mmse.sourceDtype, 'uint16');
  assert.deepEqual([mmse.stack.count, mmse.stack.height, mmse.stack.width], [3, height, width]);
  for (const [p, r, c] of [[0, 0, 0], [1, 2, 7], [1, 3, 0], [2, 5, 7]]) {
    const expected = Math.max(0, 1000 * p + 10 * r + c - 5); // rounded and clipped at 0
    assert.equal(mmse.stack.data[p * height * width + r * width + c], expected, `page ${p} (${r}, ${c})`);
  }
  const size = readTiffPixelSize(mmseBytes);
  assert.equal(size.source, 'imagej');
  assert.ok(Math.abs(size.pixelSizeNm! - 65) < 1e-6 && Math.abs(size.spacingNm! - 250) < 1e-6);
  const std = decodeTiff(await blobs.getBuffer(keys.std));
  assert.equal(std.sourceDtype, 'float32');
  assert.equal(std.stack.data[height * width + 3 * width + 1], (1000 + 30 + 1 - 5) / 2);
  assert.equal(outputDtypeOf('input', 'float32'), 'float32');
  assert.equal(outputDtypeOf('float32', 'uint16'), 'float32');
  await assert.rejects(writeOutputStacks(blobs, keys, input, tasks.slice(0, 2), 'float32'), /page 1 has results for 24 of its 48 pixels/);
});
