import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor, pageOf } from './cursor.ts';
import { BadRequestError } from './errors.ts';

const id = '0b7c6f2e-8d1a-4c3b-9e5f-123456789abc';
const metric = { type: 'number', nullable: true } as const;
const time = { type: 'time', nullable: false } as const;

test('round-trips the sort, key and id', () => {
  const cursor = { sort: '-psnr_mmse', key: 31.25, id };
  assert.deepEqual(decodeCursor(encodeCursor(cursor), '-psnr_mmse', metric), cursor);
  assert.deepEqual(decodeCursor(encodeCursor({ ...cursor, key: null }), '-psnr_mmse', metric).key, null);
  const created = { sort: '-created', key: '2026-12-02T06:15:00.123Z', id };
  assert.deepEqual(decodeCursor(encodeCursor(created), '-created', time), created);
});

test('rejects garbage, a cursor made for another sort, and keys or ids SQL would choke on', () => {
  const refused = (code: string) => (e: unknown) => e instanceof BadRequestError && e.code === code;
  assert.throws(() => decodeCursor('not-base64-json', 'lambda', metric), refused('BAD_CURSOR'));
  assert.throws(() => decodeCursor(encodeCursor({ sort: 'lambda', key: 1, id }), '-lambda', metric), refused('CURSOR_SORT_MISMATCH'));
  for (const [key, cursorId, spec] of [
    [1, 'not-a-uuid', metric], ['garbage', id, time], [12, id, time], ['2026-13-45T00:00:00.000Z', id, time],
    [null, id, time], ['1', id, metric], [null, id, { type: 'number', nullable: false }],
  ] as const) {
    const forged = Buffer.from(JSON.stringify(['s', key, cursorId])).toString('base64url');
    assert.throws(() => decodeCursor(forged, 's', spec), refused('BAD_CURSOR'), `${key} ${cursorId}`);
  }
});

test('a page has a cursor only when a row beyond it exists', () => {
  const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  const cursorOf = (row: { id: string }) => ({ sort: 'x', key: 1, id: row.id });
  assert.equal(pageOf(rows, 3, cursorOf).nextCursor, null);
  const page = pageOf(rows, 2, cursorOf);
  assert.deepEqual(page.items.map((r) => r.id), ['a', 'b']);
  assert.deepEqual(JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString()), ['x', 1, 'b']);
});
