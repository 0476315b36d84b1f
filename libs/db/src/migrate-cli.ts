/**
 * `npm run db:migrate`: creates the database named by DATABASE_URL if it is missing, then applies
 * the pending migrations of prisma/migrations. Exit code 0 on success, 1 on any failure.
 */
import { createLogger, loadConfig } from '@divblur/config';
import { ensureDatabase } from './database-admin.ts';
import { migrate } from './migrate.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'db-migrate' });
try {
  if (await ensureDatabase(config.databaseUrl)) logger.info({ databaseUrl: config.databaseUrl }, 'created the database');
  const result = await migrate(config.databaseUrl, {
    onApplied: ({ name, durationMs }) => logger.info({ migration: name, durationMs }, 'applied migration'),
  });
  logger.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, 'database is up to date');
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  process.exitCode = 1;
}
