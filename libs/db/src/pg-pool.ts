import pg from 'pg';
import type { Logger } from '@divblur/config';

export interface PgPoolOptions {
  /** Connections at most; the pg default is 10. */
  max?: number;
  logger?: Pick<Logger, 'warn'>;
}

/**
 * A pg pool that survives the server closing its idle connections. pg-pool re-emits an idle
 * client's error on the pool, and an EventEmitter with no 'error' listener throws: without this
 * listener a Postgres restart, a failover or `pg_terminate_backend` kills the whole process.
 * The pool drops the broken client itself and opens a new one on the next query, so logging is
 * all that is left to do (the message only: the error carries no connection string).
 */
export function createPgPool(databaseUrl: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10 });
  pool.on('error', (error: Error & { code?: string }) => {
    options.logger?.warn({ code: error.code, message: error.message }, 'postgres closed an idle connection; the pool opens a new one');
  });
  return pool;
}
