import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleMean } from './downsample.ts';

const rows = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, total: i % 2 === 0 ? 1 : 3, kl: i }));

test('keeps rows as they are when there are fewer than asked', () => {
  assert.deepEqual(downsampleMean(rows.slice(0, 5), 10, ['total']), rows.slice(0, 5));
});

test('averages buckets: an alternating 1/3 curve becomes a flat 2, ending at the last step', () => {
  const out = downsampleMean(rows, 100, ['total', 'kl']);
  assert.equal(out.length, 100);
  for (const row of out) assert.equal(row.total, 2);
  assert.equal(out[out.length - 1].step, 1000);
  assert.equal(out[0].kl, 4.5); // mean of 0…9
});

test('rejects a non-positive point count', () => {
  assert.throws(() => downsampleMean(rows, 0, ['total']), RangeError);
});
