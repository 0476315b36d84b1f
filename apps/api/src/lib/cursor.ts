/**
 * Keyset-pagination cursors: the sort key and id of the last row of a page, as opaque base64url
 * JSON. The next page is `WHERE (key, id) > (lastKey, lastId)` in the sort's direction: stable
 * under inserts and O(page) however deep, unlike OFFSET.
 */
import { BadRequestError } from './errors.ts';

export interface RunsCursor { sort: string; key: number | string | null; id: string }

export function encodeCursor(cursor: RunsCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string, sort: string): RunsCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError('BAD_CURSOR', 'cursor is not one this API returned');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[0] !== 'string' || typeof parsed[2] !== 'string'
    || !(parsed[1] === null || typeof parsed[1] === 'number' || typeof parsed[1] === 'string')) {
    throw new BadRequestError('BAD_CURSOR', 'cursor is not one this API returned');
  }
  if (parsed[0] !== sort) {
    throw new BadRequestError('CURSOR_SORT_MISMATCH', `cursor was made for sort=${parsed[0]}, not sort=${sort}; start again without cursor`);
  }
  return { sort: parsed[0], key: parsed[1], id: parsed[2] };
}
