/** Schemas every resource uses: ids, text Postgres accepts, list pages and their query, the error shape. */
import { Type, type TSchema } from '@sinclair/typebox';
export { ErrorResponse, errorResponses } from '@divblur/http';

/** Ids are UUIDs: anything else is refused (400) before it reaches a `::uuid` cast. */
export const Uuid = Type.String({ format: 'uuid', description: 'a UUID' });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/**
 * Free text that Postgres stores as given: no NUL (text columns refuse it), no other control
 * characters, no lone UTF-16 surrogate (a JSON column refuses its escape).
 */
export const TEXT_PATTERN = '^(?:[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])*$';
export const Text = (options: { minLength?: number; maxLength: number; description?: string }) =>
  Type.String({ ...options, pattern: TEXT_PATTERN });

export const PAGE_LIMIT = { minimum: 1, maximum: 500, default: 50 } as const;
export const Cursor = Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page, as given' });

/** Datasets and experiments: newest first by default (`-created`), or oldest first (`created`). */
export const CreatedSort = Type.Union([Type.Literal('-created'), Type.Literal('created')], {
  default: '-created', description: 'by creation time; -created (newest first, the default) or created (oldest first)',
});

export const PageQuery = Type.Object({
  limit: Type.Integer({ ...PAGE_LIMIT, description: 'items per page' }),
  cursor: Type.Optional(Cursor),
  sort: CreatedSort,
}, { additionalProperties: false });

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
});
