/**
 * GET /v1/runs as SQL: filters, a sort on a plain column (so a btree index serves it), keyset
 * pagination on (sort column, id). Typed raw SQL (`Prisma.sql`, parameters bound): Prisma's
 * `findMany` has no row comparison for the keyset, and cannot say "the non-NULL rest, then the NULLs".
 *
 * Metrics (psnr_mmse, psnr_samples, ssim) are NULL until a run is evaluated and sort last in
 * either direction (`NULLS LAST`). A row comparison `(col, id) < (k, i)` is never true for a NULL
 * col, so a page that starts among the non-NULL values is the union of two index range scans:
 * the rest of the non-NULL values, then the NULL ones by id. A cursor whose key is null is
 * already among the NULLs. Migration 0002 has the matching `(col DESC NULLS LAST, id DESC)` indexes
 * (descending, the comparison queries' order); ascending metric sorts are served by a sort.
 */
import { Prisma, RunStatus } from '../../generated/prisma/client.ts';

export const RUN_SORTS = ['created', 'lambda', 'kappa', 'psnr_mmse', 'psnr_samples', 'ssim'] as const;
export type RunSortField = typeof RUN_SORTS[number];
/** A run's lifecycle (schema.prisma's RunStatus; runs.ts moves it): queued → training → evaluating → succeeded | failed | cancelled. */
export const RUN_STATUSES: readonly RunStatus[] = Object.values(RunStatus);
export { RunStatus };

export interface RunFilter {
  experimentId?: string; penalty?: string; method?: string; status?: RunStatus; lambdaMin?: number; lambdaMax?: number;
  /** Only the runs of this project's datasets (resource-projects.ts). */
  projectId?: string;
}
export interface RunPageQuery { filter: RunFilter; sort: RunSortField; descending: boolean; limit: number; after?: { key: number | string | null; id: string } }

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

/** The runs table's columns under the names of Prisma's `Run` model, so one mapping reads both kinds of row. */
const RUN_FIELDS = Prisma.raw([
  'id', 'experiment_id AS "experimentId"', 'ordinal', 'method', 'penalty', 'lambda', 'kappa', 'seed', 'noise_sigma AS "noiseSigma"',
  'network', 'training', 'status', 'progress', 'steps_done AS "stepsDone"', 'attempts', 'error', 'created_at AS "createdAt"',
  'started_at AS "startedAt"', 'finished_at AS "finishedAt"', 'train_ms AS "trainMs"', 'eval_ms AS "evalMs"',
  'psnr_mmse AS "psnrMmse"', 'psnr_samples AS "psnrSamples"', 'ssim',
].map((field) => `r.${field}`).join(', '));

export function runPageSql(query: RunPageQuery): Prisma.Sql {
  const filters: Prisma.Sql[] = [];
  const { filter } = query;
  if (filter.experimentId !== undefined) filters.push(Prisma.sql`experiment_id = ${filter.experimentId}::uuid`);
  if (filter.penalty !== undefined) filters.push(Prisma.sql`penalty = ${filter.penalty}::penalty`);
  if (filter.method !== undefined) filters.push(Prisma.sql`method = ${filter.method}::method`);
  if (filter.status !== undefined) filters.push(Prisma.sql`status = ${filter.status}::run_status`);
  if (filter.lambdaMin !== undefined) filters.push(Prisma.sql`lambda >= ${filter.lambdaMin}::float8`);
  if (filter.lambdaMax !== undefined) filters.push(Prisma.sql`lambda <= ${filter.lambdaMax}::float8`);
  if (filter.projectId !== undefined) {
    filters.push(Prisma.sql`experiment_id IN (SELECT e.id FROM experiments e JOIN datasets d ON d.id = e.dataset_id WHERE d.project_id = ${filter.projectId}::uuid)`);
  }

  const { column, nullable, cast } = SORT_COLUMNS[query.sort];
  const direction = query.descending ? 'DESC' : 'ASC';
  const beyond = Prisma.raw(query.descending ? '<' : '>');
  const sortColumn = Prisma.raw(column);
  // NOT NULL columns keep the default null order, which is what their indexes have.
  const order = (table: string) => Prisma.raw(`${table}${column} ${direction}${nullable ? ' NULLS LAST' : ''}, ${table}id ${direction}`);
  const page = (conditions: Prisma.Sql[]) => Prisma.sql`SELECT * FROM runs ${conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty} ORDER BY ${order('')} LIMIT ${query.limit}`;

  let pages: Prisma.Sql;
  const after = query.after;
  if (after === undefined) {
    pages = page(filters);
  } else if (after.key === null) {
    pages = page([...filters, Prisma.sql`${sortColumn} IS NULL`, Prisma.sql`id ${beyond} ${after.id}::uuid`]);
  } else {
    const rest = page([...filters, Prisma.sql`(${sortColumn}, id) ${beyond} (${after.key}::${Prisma.raw(cast)}, ${after.id}::uuid)`]);
    pages = nullable ? Prisma.sql`(${rest}) UNION ALL (${page([...filters, Prisma.sql`${sortColumn} IS NULL`])})` : rest;
  }
  // models.run_id is unique: the join adds at most one row per run.
  return Prisma.sql`SELECT ${RUN_FIELDS}, r.${sortColumn} AS "sortKey", m.id AS "modelId"
    FROM (${pages}) r LEFT JOIN models m ON m.run_id = r.id
    ORDER BY ${order('r.')} LIMIT ${query.limit}`;
}
