/** The trainer's batched loss-point writer against a real Postgres database of its own. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDb, createTestDatabase, type Db, type TestDatabase } from '@divblur/db';
import { LossPointWriter } from '@divblur/trainer';

let database: TestDatabase;
let db: Db;

before(async () => {
  database = await createTestDatabase();
  db = createDb({ databaseUrl: database.url }, { maxConnections: 2 });
});

after(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function newRun(): Promise<string> {
  const dataset = await db.dataset.create({
    data: { name: 'd', source: 'synthetic', count: 1, height: 16, width: 16, dtype: 'float32', stats: {}, sha256: '0'.repeat(64), noisyKey: 'k' },
  });
  const experiment = await db.experiment.create({ data: { datasetId: dataset.id, spec: {}, runCount: 1 } });
  return (await db.run.create({ data: { experimentId: experiment.id, method: 'divnoising', penalty: 'none', lambda: 0, seed: 0, network: {}, training: {} } })).id;
}

const point = (step: number, total: number) => ({ step, total, dataTerm: total / 2, kl: 0.1, penalty: 0, beta: 1 });

test('writes in batches, and a re-sent step after a resume is not stored twice', async () => {
  const runId = await newRun();
  const writer = new LossPointWriter(db, runId, 3);
  for (let step = 1; step <= 3; step++) writer.push(point(step, step));
  await writer.flush();
  assert.equal(await db.lossPoint.count({ where: { runId } }), 3);
  const resumed = new LossPointWriter(db, runId, 3);
  for (let step = 3; step <= 7; step++) resumed.push(point(step, step));
  await resumed.flush();
  const steps = (await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } })).map((p) => p.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(resumed.written, 4);
});

test('a step going backwards (restart after a collapse) replaces the abandoned points from there on', async () => {
  const runId = await newRun();
  const writer = new LossPointWriter(db, runId, 50);
  for (let step = 1; step <= 6; step++) writer.push(point(step, 100 + step));
  for (let step = 1; step <= 4; step++) writer.push(point(step, 200 + step));
  await writer.flush();
  const rows = await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  assert.deepEqual(rows.map((p) => [p.step, p.total]), [[1, 201], [2, 202], [3, 203], [4, 204]]);
});

test('a failed write surfaces on flush', async () => {
  const writer = new LossPointWriter(db, '00000000-0000-4000-8000-000000000000', 1);
  writer.push(point(1, 1));
  await assert.rejects(writer.flush());
});
