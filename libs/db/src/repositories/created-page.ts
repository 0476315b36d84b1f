/**
 * Lists by creation time (datasets, experiments): keyset pagination on `(created_at, id)`, the
 * order of their `(created_at DESC, id DESC)` indexes, so a page is an index range scan however
 * deep, and rows created in the same millisecond are ordered by id.
 */
export interface CreatedPage {
  /** The previous page's last row. */
  after?: { createdAt: string; id: string };
  /** Newest first (the default). */
  descending?: boolean;
}

/** `(created_at, id) < (after)` (or `>` ascending), in Prisma's terms: no row comparison there. */
export function afterCreated({ after, descending = true }: CreatedPage) {
  if (after === undefined) return {};
  const at = new Date(after.createdAt);
  const beyond = descending ? 'lt' : 'gt';
  return { OR: [{ createdAt: { [beyond]: at } }, { createdAt: at, id: { [beyond]: after.id } }] };
}

export function createdOrder({ descending = true }: CreatedPage) {
  const direction = descending ? 'desc' as const : 'asc' as const;
  return [{ createdAt: direction }, { id: direction }];
}
