import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '@divblur/config';
import { dropDatabase, ensureDatabase, withDatabase } from './database-admin.ts';
import { MigrationError } from './errors.ts';
import { migrate, pendingMigrations } from './migrate.ts';
import { checksumOf, loadMigrations, type Migration } from './migrations.ts';

const serverUrl = loadConfig().databaseUrl;
const scratchUrls: string[] = [];

function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: checksumOf(sql) };
}

async function freshDatabase(): Promise<string> {
  const url = withDatabase(serverUrl, `divblur_test_migrate_${randomBytes(4).toString('hex')}`);
  scratchUrls.push(url);
  assert.equal(await ensureDatabase(url), true);
  return url;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const first = migration('0001_widgets', 'CREATE TABLE widgets (id int PRIMARY KEY); INSERT INTO widgets VALUES (1);');
const second = migration('0002_gadgets', 'CREATE TABLE gadgets (id int PRIMARY KEY);');

describe('migration runner', () => {
  after(async () => { for (const url of scratchUrls) await dropDatabase(url); });

  test('applies the repository migrations to an empty database, then finds nothing to do', async () => {
    const url = await freshDatabase();
    const migrations = await loadMigrations();
    assert.ok(migrations.length >= 1 && migrations[0].name === '0001_init');
    const firstRun = await migrate(url);
    assert.deepEqual(firstRun.applied, migrations.map((m) => m.name));
    const secondRun = await migrate(url);
    assert.deepEqual(secondRun.applied, []);
    const ledger = await query<{ name: string; checksum: string }>(url, 'SELECT name, checksum FROM _divblur_migrations ORDER BY name');
    assert.deepEqual(ledger, migrations.map((m) => ({ name: m.name, checksum: m.checksum })));
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    for (const table of ['datasets', 'experiments', 'runs', 'loss_points', 'checkpoints', 'models', 'metrics', 'baselines']) {
      assert.ok(tables.some((row) => row.tablename === table), `table ${table}`);
    }
  });

  test('two processes migrating at once apply each migration exactly once', async () => {
    const url = await freshDatabase();
    const slow = migration('0001_slow', 'SELECT pg_sleep(0.3); CREATE TABLE slow (id int);');
    const results = await Promise.all([migrate(url, { migrations: [slow, second] }), migrate(url, { migrations: [slow, second] })]);
    const appliedCounts = results.map((result) => result.applied.length).sort();
    assert.deepEqual(appliedCounts, [0, 2]);
    const ledger = await query<{ name: string }>(url, 'SELECT name FROM _divblur_migrations ORDER BY name');
    assert.deepEqual(ledger.map((row) => row.name), ['0001_slow', '0002_gadgets']);
  });

  test('a failing migration is rolled back whole; the ones before it stay applied', async () => {
    const url = await freshDatabase();
    const broken = migration('0002_broken', 'CREATE TABLE half (id int); SELECT * FROM no_such_table;');
    await assert.rejects(migrate(url, { migrations: [first, broken] }), (error: unknown) =>
      error instanceof MigrationError && error.code === 'MIGRATION_FAILED' && /0002_broken/.test(error.message));
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    assert.deepEqual(tables.map((row) => row.tablename), ['_divblur_migrations', 'widgets']);
    const ledger = await query<{ name: string }>(url, 'SELECT name FROM _divblur_migrations');
    assert.deepEqual(ledger.map((row) => row.name), ['0001_widgets']);
    // Fixed, it applies on the next run.
    const fixed = migration('0002_broken', 'CREATE TABLE half (id int);');
    assert.deepEqual((await migrate(url, { migrations: [first, fixed] })).applied, ['0002_broken']);
  });

  test('refuses a database whose applied migration was edited on disk', async () => {
    const url = await freshDatabase();
    await migrate(url, { migrations: [first] });
    const edited = migration('0001_widgets', `${first.sql} -- edited`);
    await assert.rejects(migrate(url, { migrations: [edited, second] }), (error: unknown) =>
      error instanceof MigrationError && error.code === 'MIGRATION_CHECKSUM_MISMATCH');
    const ledger = await query<{ name: string }>(url, 'SELECT name FROM _divblur_migrations');
    assert.equal(ledger.length, 1, 'nothing applied after the mismatch');
  });
});

describe('pendingMigrations', () => {
  const ledgerOf = (...migrations: Migration[]) => migrations.map(({ name, checksum }) => ({ name, checksum }));

  test('returns those not in the ledger, in order', () => {
    assert.deepEqual(pendingMigrations([first, second], ledgerOf(first)).map((m) => m.name), ['0002_gadgets']);
    assert.deepEqual(pendingMigrations([first, second], []).map((m) => m.name), ['0001_widgets', '0002_gadgets']);
  });

  test('rejects an applied migration the code does not know (database newer than code)', () => {
    assert.throws(() => pendingMigrations([first], ledgerOf(first, second)), (error: unknown) =>
      error instanceof MigrationError && error.code === 'MIGRATION_UNKNOWN');
  });

  test('rejects a new migration that sorts before an applied one', () => {
    const late = migration('0003_late', 'SELECT 1');
    assert.throws(() => pendingMigrations([first, second, late], ledgerOf(first, late)), (error: unknown) =>
      error instanceof MigrationError && error.code === 'MIGRATION_OUT_OF_ORDER');
  });

  test('checksums ignore CRLF line endings', () => {
    assert.equal(checksumOf('A;\r\nB;\r\n'), checksumOf('A;\nB;\n'));
    assert.notEqual(checksumOf('A;'), checksumOf('B;'));
  });
});

test('ensureDatabase creates once, then reports it exists', async () => {
  const url = withDatabase(serverUrl, `divblur_test_ensure_${randomBytes(4).toString('hex')}`);
  try {
    const created = await Promise.all([ensureDatabase(url), ensureDatabase(url)]);
    assert.deepEqual(created.sort(), [false, true]);
    assert.equal(await ensureDatabase(url), false);
  } finally {
    await dropDatabase(url);
  }
});
