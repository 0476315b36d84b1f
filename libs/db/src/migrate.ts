import pg from 'pg';
import { MigrationError } from './errors.ts';
import { loadMigrations, type Migration } from './migrations.ts';

/** One key for `pg_advisory_lock`: any constant that no other code of this database uses. */
const MIGRATION_LOCK_KEY = 0x6469_7662; // "divb"

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS _divblur_migrations (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
  )`;

export interface MigrateOptions {
  /** Defaults to the repository's prisma/migrations. */
  migrations?: readonly Migration[];
  /** Called once per applied migration (the CLI logs it). */
  onApplied?: (migration: { name: string; durationMs: number }) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies the pending migrations in order, each in its own transaction together with its ledger
 * row, under a session advisory lock so that two processes starting at once migrate one after
 * the other (the second finds nothing to do). Verifies first that every applied migration still
 * exists with the same checksum and that no new migration sorts before an applied one.
 */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? (await loadMigrations());
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_LEDGER);
      const { rows } = await client.query<{ name: string; checksum: string }>(
        'SELECT name, checksum FROM _divblur_migrations ORDER BY name',
      );
      const pending = pendingMigrations(migrations, rows);
      const applied: string[] = [];
      for (const migration of pending) {
        const durationMs = await applyOne(client, migration);
        applied.push(migration.name);
        options.onApplied?.({ name: migration.name, durationMs });
      }
      return { applied, alreadyApplied: rows.map((row) => row.name) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** The migrations still to apply, after checking the ledger against the files. */
export function pendingMigrations(
  migrations: readonly Migration[],
  ledger: readonly { name: string; checksum: string }[],
): Migration[] {
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  for (const row of ledger) {
    const migration = byName.get(row.name);
    if (migration === undefined) {
      throw new MigrationError('MIGRATION_UNKNOWN',
        `the database has migration "${row.name}", which this code does not know: it is newer than the code`);
    }
    if (migration.checksum !== row.checksum) {
      throw new MigrationError('MIGRATION_CHECKSUM_MISMATCH',
        `migration "${row.name}" was edited after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
        `${migration.checksum.slice(0, 12)}… on disk); add a new migration instead`);
    }
  }
  const appliedNames = new Set(ledger.map((row) => row.name));
  const lastApplied = ledger.reduce((last, row) => (row.name > last ? row.name : last), '');
  const pending = migrations.filter((migration) => !appliedNames.has(migration.name));
  const early = pending.find((migration) => migration.name < lastApplied);
  if (early !== undefined) {
    throw new MigrationError('MIGRATION_OUT_OF_ORDER',
      `migration "${early.name}" sorts before the applied "${lastApplied}"; renumber it after the last applied one`);
  }
  return pending;
}

async function applyOne(client: pg.Client, migration: Migration): Promise<number> {
  const startedMs = performance.now();
  await client.query('BEGIN');
  try {
    await client.query(migration.sql); // simple-query protocol: many statements in one call
    const durationMs = Math.round(performance.now() - startedMs);
    await client.query('INSERT INTO _divblur_migrations (name, checksum, duration_ms) VALUES ($1, $2, $3)',
      [migration.name, migration.checksum, durationMs]);
    await client.query('COMMIT');
    return durationMs;
  } catch (error) {
    await client.query('ROLLBACK');
    throw new MigrationError('MIGRATION_FAILED', `migration "${migration.name}" failed and was rolled back: ${(error as Error).message}`,
      { cause: error });
  }
}
