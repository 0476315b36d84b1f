import { PrismaPg } from '@prisma/adapter-pg';
import type { Config } from '@divblur/config';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Pool size per process; the pg default is 10. */
  maxConnections?: number;
}

/**
 * The Prisma client on the JS engine with the pg driver adapter (no Rust engine, works offline).
 * Call `$disconnect()` on shutdown.
 */
export function createDb(config: Pick<Config, 'databaseUrl'>, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({ connectionString: config.databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
