/** The trainer's batched loss-point writer against a real Postgres database of its own. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeExperiment } from '@divblur/api';
import { openDatabase, type Database, type Db } from '@divblur/db';
import { createTestDatabase, type TestDatabase } from '@divblur/db/testing';
import type { ExperimentSpec } from '@divblur/queue';
import { LossPointWriter } from '@divblur/trainer';

let database: TestDatabase;
let repos: Database;
let db: Db;

before(async () => {
  database = await createTestDatabase();
  repos = openDatabase({ databaseUrl: database.url }, { maxConnections: 2 });
  db = repos.prisma;
});

after(async () => {
  await repos?.close();
  await database?.drop();
});

/** A run as POST /v1/experiments makes it, on a dataset row as the ingest writes it (no blobs: nothing reads them here). */
async function newRun(): Promise<string> {
  const dataset = await repos.datasets.create({
    name: 'd', source: 'synthetic', count: 1, height: 16, width: 16, dtype: 'float32', stats: { min: 0, max: 1, mean: 0.5, std: 0.1 },
    sha256: '0'.repeat(64), noisyKey: 'k', gtKey: null, psfKey: null, psfShape: null, pixelSizeNm: null, noiseSigma: null, meta: {},
  });
  const spec = { method: 'divnoising', network: {}, training: { steps: 1, patchSize: 16 } } as ExperimentSpec;
  const { runs } = await storeExperiment(repos, { datasetId: dataset.id, spec, idempotencyKey: null }, { maxSweepRuns: 1 });
  return runs[0].id;
}

const point = (step: number, total: number) => ({ step, total, dataTerm: total / 2, kl: 0.1, penalty: 0, beta: 1 });

test('writes in batches, and a re-sent step after a resume is not stored twice', async () => {
  const runId = await newRun();
  const writer = new LossPointWriter(repos.lossPoints, runId, 3);
  for (let step = 1; step <= 3; step++) writer.push(point(step, step));
  await writer.flush();
  assert.equal(await db.lossPoint.count({ where: { runId } }), 3);
  const resumed = new LossPointWriter(repos.lossPoints, runId, 3);
  for (let step = 3; step <= 7; step++) resumed.push(point(step, step));
  await resumed.flush();
  const steps = (await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } })).map((p) => p.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(resumed.written, 4);
});

test('a step going backwards (restart after a collapse) replaces the abandoned points from there on', async () => {
  const runId = await newRun();
  const writer = new LossPointWriter(repos.lossPoints, runId, 50);
  for (let step = 1; step <= 6; step++) writer.push(point(step, 100 + step));
  for (let step = 1; step <= 4; step++) writer.push(point(step, 200 + step));
  await writer.flush();
  const rows = await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  assert.deepEqual(rows.map((p) => [p.step, p.total]), [[1, 201], [2, 202], [3, 203], [4, 204]]);
});

test('a failed write surfaces on flush', async () => {
  const writer = new LossPointWriter(repos.lossPoints, '00000000-0000-4000-8000-000000000000', 1);
  writer.push(point(1, 1));
  await assert.rejects(writer.flush());
});
