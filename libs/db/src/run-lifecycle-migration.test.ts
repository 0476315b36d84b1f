/**
 * Migration 0003 converts the runs' status in place: rows written under 0002's job_status keep what
 * they meant (running → training; succeeded without metrics → evaluating, since "succeeded" now
 * means its metrics exist), and experiments made before it count as enqueued.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '@divblur/config';
import { dropDatabase, ensureDatabase, withDatabase } from './database-admin.ts';
import { migrate } from './migrate.ts';
import { loadMigrations } from './migrations.ts';

const url = withDatabase(loadConfig().databaseUrl, `divblur_test_lifecycle_${randomBytes(4).toString('hex')}`);
after(async () => dropDatabase(url));

test('0003 keeps every run status meaning what it meant, and marks older experiments enqueued', async () => {
  await ensureDatabase(url);
  const migrations = await loadMigrations();
  const upTo = (name: string) => migrations.filter((m) => m.name <= name);
  await migrate(url, { migrations: upTo('0002_run_sort_indexes') });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: [dataset] } = await client.query(`INSERT INTO datasets (name, source, count, height, width, dtype, stats, sha256, noisy_key)
      VALUES ('d', 'synthetic', 1, 32, 32, 'float32', '{}', repeat('0', 64), 'k') RETURNING id`);
    const { rows: [experiment] } = await client.query(`INSERT INTO experiments (dataset_id, spec, run_count) VALUES ($1, '{}', 5) RETURNING id`, [dataset.id]);
    const statuses = ['queued', 'running', 'succeeded', 'succeeded', 'cancelled'];
    const ids: string[] = [];
    for (const [ordinal, status] of statuses.entries()) {
      const { rows: [run] } = await client.query(`INSERT INTO runs (experiment_id, ordinal, method, penalty, lambda, seed, network, training, status)
        VALUES ($1, $2, 'divblurring', 'none', 0, 0, '{}', '{}', $3::job_status) RETURNING id`, [experiment.id, ordinal, status]);
      ids.push(run.id);
    }
    await client.query(`INSERT INTO metrics (run_id, image_set, samples) VALUES ($1, 'heldout', 100)`, [ids[3]]);

    const result = await migrate(url);
    assert.deepEqual(result.applied.filter((name) => name >= '0003'), migrations.filter((m) => m.name >= '0003').map((m) => m.name));
    const { rows } = await client.query(`SELECT status::text AS status FROM runs ORDER BY ordinal`);
    assert.deepEqual(rows.map((row) => row.status), ['queued', 'training', 'evaluating', 'succeeded', 'cancelled']);
    const { rows: [marked] } = await client.query(`SELECT enqueued_at = created_at AS same FROM experiments`);
    assert.equal(marked.same, true);
    const { rows: [column] } = await client.query(`SELECT column_default FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'status'`);
    assert.match(column.column_default, /'queued'::run_status/);
  } finally {
    await client.end();
  }
});
