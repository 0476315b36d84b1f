import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '@divblur/config';
import { dropDatabase, ensureDatabase, listDatabases, quoteIdentifier, withDatabase } from './database-admin.ts';
import { migrate } from './migrate.ts';
import { loadMigrations } from './migrations.ts';

const TEMPLATE_PREFIX = 'divblur_tpl_';
const TEST_PREFIX = 'divblur_test_';
/** Advisory lock key (on the maintenance database) serialising template builds across processes. */
const TEMPLATE_LOCK_KEY = 0x6469_7674; // "divt"

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, fully migrated database of its own for a test file: cloned (CREATE DATABASE … TEMPLATE,
 * a file copy, ~0.1 s) from a template migrated once per set of migrations. The template's name
 * carries a hash of the migrations, so a new or edited migration builds a new one.
 */
export async function createTestDatabase(serverUrl: string = loadConfig().databaseUrl): Promise<TestDatabase> {
  const template = await ensureTemplate(serverUrl);
  const name = `${TEST_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  await ensureDatabase(url, { template });
  return { url, name, drop: () => dropDatabase(url) };
}

async function ensureTemplate(serverUrl: string): Promise<string> {
  const migrations = await loadMigrations();
  const hash = createHash('sha256').update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n')).digest('hex');
  const template = `${TEMPLATE_PREFIX}${hash.slice(0, 16)}`;
  const lock = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const existing = await listDatabases(serverUrl, TEMPLATE_PREFIX);
    if (existing.includes(template)) return template;
    for (const stale of existing) await dropDatabase(withDatabase(serverUrl, stale));
    // Build under a temporary name and rename when complete: a crash never leaves a half-migrated template.
    const building = `${template}_building`;
    await ensureDatabase(withDatabase(serverUrl, building));
    await migrate(withDatabase(serverUrl, building), { migrations });
    await lock.query(`ALTER DATABASE ${quoteIdentifier(building)} RENAME TO ${quoteIdentifier(template)}`);
    return template;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
