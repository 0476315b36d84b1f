import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manifestCsv, manifestOf, type ManifestTaskRecord } from './manifest.ts';
import { batchProgress } from './batch-progress.ts';

const task = (page: number, tile: number, height: number, fields: Partial<ManifestTaskRecord> = {}): ManifestTaskRecord => ({
  inputOrdinal: 0, page, tile, core: { height, width: 10 }, status: 'succeeded', error: null, resultKey: `out/pages/a/p${page}-t${tile}`,
  samplesUsed: 20, standardError: 0.1, discrepancy: 1, discrepancyPixels: height * 10, meanStd: 0.5, durationMs: 1000, ...fields,
});

test('a tiled page combines its tiles exactly; failed pages and inputs say why, in JSON and CSV', () => {
  const inputs = [
    { ordinal: 0, name: 'a', status: 'failed' as const, error: '1 of 2 pages failed', pageCount: 2, outputKey: null, stdKey: null },
    { ordinal: 1, name: 'corrupt, "really"', status: 'failed' as const, error: 'TIFF_CORRUPT: truncated', pageCount: null, outputKey: null, stdKey: null },
  ];
  const tasks = [
    task(0, 0, 10, { samplesUsed: 20, standardError: 0.1, discrepancy: 1.0, meanStd: 0.4 }),
    task(0, 1, 30, { samplesUsed: 40, standardError: 0.2, discrepancy: 2.0, discrepancyPixels: 100, meanStd: 0.8, durationMs: 3000 }),
    task(1, 0, 40, { status: 'failed', error: 'NON_FINITE: NaN at row 3', samplesUsed: null }),
  ];
  const { pages } = manifestOf(inputs, tasks);
  assert.equal(pages.length, 2);
  const [tiled, failed] = pages;
  assert.equal(tiled.status, 'succeeded');
  assert.equal(tiled.tiles, 2);
  assert.equal(tiled.samplesUsed, (20 * 100 + 40 * 300) / 400);
  assert.ok(Math.abs(tiled.standardError! - Math.sqrt((100 * 0.01 + 300 * 0.04) / 400)) < 1e-12);
  assert.equal(tiled.discrepancy, (1.0 * 100 + 2.0 * 100) / 200);
  assert.equal(tiled.meanStd, (0.4 * 100 + 0.8 * 300) / 400);
  assert.equal(tiled.seconds, 4);
  assert.deepEqual(tiled.resultKeys, ['out/pages/a/p0-t0.tif', 'out/pages/a/p0-t1.tif']);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'NON_FINITE: NaN at row 3');
  assert.equal(failed.samplesUsed, null);
  const csv = manifestCsv(manifestOf(inputs, tasks)).split('\r\n');
  assert.equal(csv[0], 'input,page,status,output_key,tiles,samples_used,standard_error,discrepancy,mean_std,seconds,error');
  assert.equal(csv.length, 5); // header, 2 pages, the corrupt input, trailing empty
  assert.equal(csv[3], '"corrupt, ""really""",,failed,,0,,,,,,TIFF_CORRUPT: truncated');
});

test('progress counts pages, not tiles, and pages per hour from the first start to the last finish', () => {
  const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 0, minutes)).toISOString();
  const inputs = [{ id: 'i1', name: 'a', status: 'running' as const, error: null, pageCount: 3, outputKey: null }];
  const tasks = [
    { inputId: 'i1', page: 0, status: 'succeeded' as const, startedAt: at(0), finishedAt: at(10) },
    { inputId: 'i1', page: 1, status: 'succeeded' as const, startedAt: at(10), finishedAt: at(25) },
    { inputId: 'i1', page: 1, status: 'succeeded' as const, startedAt: at(10), finishedAt: at(30) },
    { inputId: 'i1', page: 2, status: 'queued' as const, startedAt: null, finishedAt: null },
  ];
  const progress = batchProgress(inputs, tasks);
  assert.deepEqual(progress.pages, { done: 2, failed: 0, total: 3 });
  assert.equal(progress.pagesPerHour, 4);
  assert.equal(progress.etaSeconds, 900);
  assert.deepEqual(progress.inputs[0].pages, { done: 2, failed: 0, total: 3 });
});
