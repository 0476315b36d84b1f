/**
 * Keyset-pagination cursors: the sort key and id of the last row of a page, as opaque base64url
 * JSON. The next page is `WHERE (key, id) > (lastKey, lastId)` in the sort's direction: stable
 * under inserts and O(page) however deep, unlike OFFSET. A cursor is checked whole before it
 * reaches SQL — its sort, the type of its key (an ISO time or a number) and a UUID id — so a
 * forged or garbled one is a 400, never a database error.
 */
import { BadRequestError } from './errors.ts';

export interface PageCursor { sort: string; key: number | string | null; id: string }

/** What a sort's key is: an ISO time (`created`) or a finite number; `nullable` for metrics not yet computed. */
export interface CursorKeySpec { type: 'time' | 'number'; nullable: boolean }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.key, cursor.id])).toString('base64url');
}

function keyIsValid(key: unknown, spec: CursorKeySpec): boolean {
  if (key === null) return spec.nullable;
  if (spec.type === 'number') return typeof key === 'number' && Number.isFinite(key);
  if (typeof key !== 'string') return false;
  const time = new Date(key);
  return !Number.isNaN(time.getTime()) && time.toISOString() === key;
}

export function decodeCursor(text: string, sort: string, spec: CursorKeySpec): PageCursor {
  const refused = () => new BadRequestError('BAD_CURSOR', 'cursor is not one this API returned; start again without cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[0] !== 'string' || typeof parsed[2] !== 'string' || !UUID.test(parsed[2])) {
    throw refused();
  }
  if (parsed[0] !== sort) {
    throw new BadRequestError('CURSOR_SORT_MISMATCH', `cursor was made for sort=${parsed[0].slice(0, 40)}, not sort=${sort}; start again without cursor`);
  }
  if (!keyIsValid(parsed[1], spec)) throw refused();
  return { sort: parsed[0], key: parsed[1], id: parsed[2] };
}

/**
 * A page of `limit` items from `limit + 1` fetched rows: the extra row only says that there is a
 * next page, so the last page has no cursor (a client never follows one to an empty page).
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => PageCursor): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(cursorOf(items[items.length - 1])) : null };
}
