import pg from 'pg';
import type { Logger } from '@divblur/config';

/** A connection that is not established within this is refused: Postgres down or unreachable answers in ~1 s, not never. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
/** Postgres cancels a statement running longer than this (SQLSTATE 57014); no query of the apps comes near it. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export interface PgPoolOptions {
  /** Connections at most; the pg default is 10. */
  max?: number;
  logger?: Pick<Logger, 'warn'>;
  /** Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Default DEFAULT_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number;
}

/**
 * A pg pool that survives the server closing its idle connections. pg-pool re-emits an idle
 * client's error on the pool, and an EventEmitter with no 'error' listener throws: without this
 * listener a Postgres restart, a failover or `pg_terminate_backend` kills the whole process.
 * The pool drops the broken client itself and opens a new one on the next query, so logging is
 * all that is left to do (the message only: the error carries no connection string).
 *
 * Every call is bounded: connecting by `connectTimeoutMs` (pg waits forever by default, so a host
 * that accepts TCP and never answers hung every request), a statement by the server's
 * `statement_timeout` (server-side, so the connection stays usable; pg's client-side
 * `query_timeout` would leave a sent query occupying it), and TCP keep-alive notices a peer that
 * vanished.
 */
export function createPgPool(databaseUrl: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl, max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    keepAlive: true, keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('error', (error: Error & { code?: string }) => {
    options.logger?.warn({ code: error.code, message: error.message }, 'postgres closed an idle connection; the pool opens a new one');
  });
  return pool;
}
