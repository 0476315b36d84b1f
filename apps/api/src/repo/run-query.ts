/**
 * GET /v1/runs as SQL: filters, a sort on a plain column (so a btree index serves it), keyset
 * pagination on (sort column, id).
 *
 * Metrics (psnr_mmse, psnr_samples, ssim) are NULL until a run is evaluated and sort last in
 * either direction (`NULLS LAST`). A row comparison `(col, id) < (k, i)` is never true for a NULL
 * col, so a page that starts among the non-NULL values is the union of two index range scans:
 * the rest of the non-NULL values, then the NULL ones by id. A cursor whose key is null is
 * already among the NULLs. Migration 0002 has the matching `(col DESC NULLS LAST, id DESC)` indexes
 * (descending, the comparison queries' order); ascending metric sorts are served by a sort.
 */
import type { RunPageQuery, RunSortField } from './types.ts';

const SORT_COLUMNS: Record<RunSortField, { column: string; nullable: boolean; cast: string }> = {
  created: { column: 'created_at', nullable: false, cast: 'timestamptz' },
  lambda: { column: 'lambda', nullable: false, cast: 'float8' },
  kappa: { column: 'kappa', nullable: false, cast: 'float8' },
  psnr_mmse: { column: 'psnr_mmse', nullable: true, cast: 'float8' },
  psnr_samples: { column: 'psnr_samples', nullable: true, cast: 'float8' },
  ssim: { column: 'ssim', nullable: true, cast: 'float8' },
};

export function isNullableSort(sort: RunSortField): boolean {
  return SORT_COLUMNS[sort].nullable;
}

/** The cursor key's JSON type for a sort: an ISO time for `created`, a number otherwise (null among NULL metrics). */
export function cursorKeyType(sort: RunSortField): 'string' | 'number' {
  return sort === 'created' ? 'string' : 'number';
}

export function buildRunPageSql(query: RunPageQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown) => { values.push(value); return `$${values.length}`; };
  const filters: string[] = [];
  const { filter } = query;
  if (filter.experimentId !== undefined) filters.push(`experiment_id = ${param(filter.experimentId)}::uuid`);
  if (filter.penalty !== undefined) filters.push(`penalty = ${param(filter.penalty)}::penalty`);
  if (filter.method !== undefined) filters.push(`method = ${param(filter.method)}::method`);
  if (filter.status !== undefined) filters.push(`status = ${param(filter.status)}::job_status`);
  if (filter.lambdaMin !== undefined) filters.push(`lambda >= ${param(filter.lambdaMin)}::float8`);
  if (filter.lambdaMax !== undefined) filters.push(`lambda <= ${param(filter.lambdaMax)}::float8`);

  const { column, nullable, cast } = SORT_COLUMNS[query.sort];
  const direction = query.descending ? 'DESC' : 'ASC';
  const beyond = query.descending ? '<' : '>';
  // NOT NULL columns keep the default null order, which is what their indexes have.
  const order = `${column} ${direction}${nullable ? ' NULLS LAST' : ''}, id ${direction}`;
  const limit = param(query.limit);
  const page = (conditions: string[]) =>
    `SELECT * FROM runs ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`;

  let pages: string;
  const after = query.after;
  if (after === undefined) {
    pages = page(filters);
  } else if (after.key === null) {
    pages = page([...filters, `${column} IS NULL`, `id ${beyond} ${param(after.id)}::uuid`]);
  } else {
    const rest = page([...filters, `(${column}, id) ${beyond} (${param(after.key)}::${cast}, ${param(after.id)}::uuid)`]);
    pages = nullable ? `(${rest}) UNION ALL (${page([...filters, `${column} IS NULL`])})` : rest;
  }
  // models.run_id is unique: the join adds at most one row per run.
  const text = `SELECT r.*, r.${column} AS sort_key, m.id AS model_id
    FROM (${pages}) r LEFT JOIN models m ON m.run_id = r.id
    ORDER BY r.${order.replace(', id', ', r.id')} LIMIT ${limit}`;
  return { text, values };
}
