import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPgPool } from './pg-pool.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

let database: TestDatabase;
before(async () => { database = await createTestDatabase(); });
after(async () => database?.drop());

test('the server closing the idle connections is logged, not a crash, and the next query opens a new one', async () => {
  const warnings: Array<Record<string, unknown>> = [];
  const pool = createPgPool(database.url, { max: 2, logger: { warn: (fields: Record<string, unknown>) => { warnings.push(fields); } } as never });
  try {
    // Two idle connections in the pool, as after any burst of requests.
    const [a, b] = [await pool.connect(), await pool.connect()];
    const pids = [(await a.query('SELECT pg_backend_pid() AS pid')).rows[0].pid, (await b.query('SELECT pg_backend_pid() AS pid')).rows[0].pid];
    a.release();
    b.release();
    assert.equal(pool.idleCount, 2);

    // What a restart or an administrator does to them. Without the pool's 'error' listener this
    // is an uncaught exception and node:test reports the file as failed.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid', [pids]);
    await admin.end();
    assert.deepEqual(rows.map((row) => row.ok), [true, true]);
    // (No listener of the test's own on the pool: it would hide a missing one.)
    for (let waited = 0; pool.totalCount > 0 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(pool.totalCount, 0, 'the pool dropped both broken clients');

    assert.ok(warnings.length >= 1);
    assert.equal(warnings[0]!.code, '57P01'); // admin_shutdown
    const after = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    assert.ok(!pids.includes(after), 'a new backend serves the next query');
  } finally {
    await pool.end();
  }
});
