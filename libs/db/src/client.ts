import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import type { Config, Logger } from '@divblur/config';
import { PrismaClient } from '../generated/prisma/client.ts';
import { createPgPool } from './pg-pool.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Pool size per process; the pg default is 10. */
  maxConnections?: number;
  /** Where an idle connection closed by the server is reported (pg-pool.ts). */
  logger?: Pick<Logger, 'warn'>;
  /** Connect and statement timeouts (pg-pool.ts has the defaults). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/**
 * The Prisma client on the JS engine with the pg driver adapter (no Rust engine, works offline),
 * over a pool of `createPgPool` (a server closing idle connections is logged, not a crash), which
 * `$disconnect()` closes. `pool` is that pool.
 */
export function createDbWithPool(config: Pick<Config, 'databaseUrl'>, options: DbOptions = {}): { db: Db; pool: pg.Pool } {
  const pool = createPgPool(config.databaseUrl, {
    max: options.maxConnections ?? 10, logger: options.logger, connectTimeoutMs: options.connectTimeoutMs, statementTimeoutMs: options.statementTimeoutMs,
  });
  return { db: new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }), pool };
}

/** The Prisma client alone (see `createDbWithPool`). Call `$disconnect()` on shutdown. */
export function createDb(config: Pick<Config, 'databaseUrl'>, options: DbOptions = {}): Db {
  return createDbWithPool(config, options).db;
}
