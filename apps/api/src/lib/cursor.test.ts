import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { BadRequestError } from './errors.ts';

test('round-trips the sort, key and id', () => {
  const cursor = { sort: '-psnr_mmse', key: 31.25, id: 'r_1' };
  assert.deepEqual(decodeCursor(encodeCursor(cursor), '-psnr_mmse'), cursor);
  assert.deepEqual(decodeCursor(encodeCursor({ ...cursor, key: null }), '-psnr_mmse').key, null);
});

test('rejects garbage and a cursor made for another sort', () => {
  assert.throws(() => decodeCursor('not-base64-json', 'lambda'), BadRequestError);
  const other = encodeCursor({ sort: 'lambda', key: 1, id: 'x' });
  assert.throws(() => decodeCursor(other, '-lambda'), (e: unknown) => e instanceof BadRequestError && e.code === 'CURSOR_SORT_MISMATCH');
});
