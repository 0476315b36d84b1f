/**
 * GET /v1/runs as SQL: filters, a sort on a real column, keyset pagination on (sort key, id).
 * NULL metrics (runs not evaluated yet) sort last in either direction: the key is the column
 * with NULL replaced by ∓Infinity, and the same expression is used in ORDER BY and the cursor.
 */
import type { RunPageQuery, RunSortField } from './types.ts';

const SORT_COLUMNS: Record<RunSortField, string> = {
  created: 'r.created_at', lambda: 'r.lambda', kappa: 'r.kappa',
  psnr_mmse: 'r.psnr_mmse', psnr_samples: 'r.psnr_samples', ssim: 'r.ssim',
};

export function sortKeyExpression(sort: RunSortField, descending: boolean): string {
  // Epoch seconds as float8: the cursor carries a plain number (ties are broken by id).
  if (sort === 'created') return `extract(epoch FROM ${SORT_COLUMNS.created})::float8`;
  return `COALESCE(${SORT_COLUMNS[sort]}, '${descending ? '-Infinity' : 'Infinity'}'::float8)`;
}

export function buildRunPageSql(query: RunPageQuery): { text: string; values: unknown[]; keyExpression: string } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => { values.push(value); return `$${values.length}`; };
  const { filter } = query;
  if (filter.experimentId !== undefined) where.push(`r.experiment_id = ${param(filter.experimentId)}`);
  if (filter.penalty !== undefined) where.push(`r.penalty = ${param(filter.penalty)}`);
  if (filter.method !== undefined) where.push(`r.method = ${param(filter.method)}`);
  if (filter.status !== undefined) where.push(`r.status = ${param(filter.status)}`);
  if (filter.lambdaMin !== undefined) where.push(`r.lambda >= ${param(filter.lambdaMin)}`);
  if (filter.lambdaMax !== undefined) where.push(`r.lambda <= ${param(filter.lambdaMax)}`);
  const key = sortKeyExpression(query.sort, query.descending);
  if (query.after) {
    // A null key in the cursor stands for the ±Infinity sentinel (JSON has no Infinity).
    const sentinel = query.descending ? '-Infinity' : 'Infinity';
    const keyValue = query.after.key === null ? `'${sentinel}'::float8` : `${param(query.after.key)}::float8`;
    where.push(`(${key}, r.id) ${query.descending ? '<' : '>'} (${keyValue}, ${param(query.after.id)}::uuid)`);
  }
  const direction = query.descending ? 'DESC' : 'ASC';
  // models.run_id is unique: the join adds at most one row per run.
  const text = `SELECT r.*, ${key} AS sort_key, m.id AS model_id
    FROM runs r LEFT JOIN models m ON m.run_id = r.id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY ${key} ${direction}, r.id ${direction}
    LIMIT ${param(query.limit)}`;
  return { text, values, keyExpression: key };
}
