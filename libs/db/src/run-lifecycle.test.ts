/**
 * The run lifecycle as the repositories move it: every transition conditional on the status it
 * leaves, so that a cancel is final whatever comes after it, a run reads succeeded only with its
 * metrics, and a model says whether its run succeeded. Also the experiments' flow marks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSpec, type ExperimentSpec } from '@divblur/queue';
import { openDatabase, type Database } from './database.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

const figures = { psnrMmse: 25, psnrSamples: 24, ssim: 0.8, discrepancy: 1, meanStd: 0.1, samples: 100 };
const result = { steps: 10, trainMs: 5, noiseSigma: 0.03 };
const modelRow = (runId: string) => ({ onnxKey: `models/${runId}/sample.onnx`, files: {}, packageKey: null, sizeBytes: 1, opset: 17, meta: {} });

describe('run lifecycle', () => {
  let database: TestDatabase;
  let db: Database;
  let datasetId = '';
  const spec = { training: { steps: 10 } } as ExperimentSpec;

  before(async () => {
    database = await createTestDatabase();
    db = openDatabase({ databaseUrl: database.url }, { maxConnections: 2 });
    datasetId = (await db.datasets.create({
      name: 'd', source: 'synthetic', count: 2, height: 32, width: 32, dtype: 'float32', stats: { min: 0, max: 1, mean: 0.5, std: 0.1 },
      sha256: 'cd'.repeat(32), noisyKey: 'datasets/d/noisy.tif', gtKey: null, psfKey: null, psfShape: null, pixelSizeNm: null, noiseSigma: 0.03, meta: {},
    })).id;
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  const experiment = async (runs: number) => {
    const created = await db.experiments.create({ datasetId, spec, sweep: null, idempotencyKey: null, runs: Array.from({ length: runs }, () => resolveSpec(spec)) });
    return { id: created.experiment.id, runs: created.runs.map((run) => ({ id: run.id, experimentId: created.experiment.id, startedAt: null })) };
  };
  const statusOf = async (id: string) => db.runs.status(id);

  test('queued → training → evaluating → succeeded, the last only with the metrics written', async () => {
    const { runs: [run] } = await experiment(1);
    assert.equal(await db.runs.start(run), true);
    assert.equal(await db.runs.recordProgress(run.id, { fraction: 0.5, stepsDone: 5, trainMs: 2 }), 'training');
    const model = await db.models.saveForRun(run.id, modelRow(run.id));
    assert.equal(await db.runs.trained(run.id, result), true);
    assert.equal(await statusOf(run.id), 'evaluating');
    assert.equal((await db.models.get(model.id))!.runSucceeded, false);
    await db.metrics.recordEvaluation(run.id, model.id, 'heldout', figures, 3);
    assert.equal(await statusOf(run.id), 'succeeded');
    const served = (await db.models.get(model.id))!;
    assert.deepEqual([served.runStatus, served.runSucceeded, served.runError], ['succeeded', true, null]);
  });

  test('a cancel is final: start refuses it, progress reports it, and no later write undoes it', async () => {
    const { id, runs: [before, during] } = await experiment(2);
    assert.equal(await db.runs.start(during), true);
    assert.deepEqual((await db.experiments.cancel(id)).sort(), [before.id, during.id].sort());
    assert.equal(await db.runs.start(before), false, 'a cancelled run never starts');
    assert.equal(await db.runs.recordProgress(during.id, { fraction: 0.6, stepsDone: 6, trainMs: 3 }), 'cancelled');
    assert.equal(await db.runs.trained(during.id, result), false);
    await db.runs.fail(during.id, 'late failure', true);
    await db.runs.requeue(during.id, 9);
    await db.runs.failEvaluation(during.id, 'late evaluation failure');
    for (const run of [before, during]) assert.equal(await statusOf(run.id), 'cancelled');
    assert.equal(await db.experiments.finish(id, 'succeeded', null), false, 'a cancelled experiment is not settled over');
    assert.equal((await db.experiments.get(id))!.status, 'cancelled');
    assert.deepEqual(await db.experiments.cancel(id), [], 'cancelling again changes nothing');
  });

  test('a failed attempt queues the run again while retries remain; the final one fails it with the reason', async () => {
    const { runs: [run] } = await experiment(1);
    await db.runs.start(run);
    await db.runs.fail(run.id, 'diverged', false);
    assert.equal(await statusOf(run.id), 'queued');
    assert.equal(await db.runs.start(run), true);
    await db.runs.fail(run.id, 'diverged', true);
    const failed = (await db.runs.get(run.id))!;
    assert.deepEqual([failed.status, failed.error], ['failed', 'diverged']);
    assert.equal(await db.runs.start(run), false, 'a failed run is not restarted by a stray job');
  });

  test('an evaluation that fails for good fails the run; re-opening it evaluates again, and a succeeded run stays succeeded', async () => {
    const { runs: [run, other] } = await experiment(2);
    for (const r of [run, other]) {
      await db.runs.start(r);
      await db.models.saveForRun(r.id, modelRow(r.id));
      await db.runs.trained(r.id, result);
    }
    await db.runs.failEvaluation(run.id, 'worker killed twice');
    const failed = (await db.runs.get(run.id))!;
    assert.deepEqual([failed.status, failed.error], ['failed', 'worker killed twice']);
    const model = (await db.models.get(failed.modelId!))!;
    assert.deepEqual([model.runSucceeded, model.runError], [false, 'worker killed twice']);

    const reopened = await db.runs.reopenEvaluation(run.id);
    assert.deepEqual(reopened, { modelId: failed.modelId, status: 'evaluating' });
    assert.equal((await db.runs.get(run.id))!.error, null);
    await db.metrics.recordEvaluation(run.id, failed.modelId, 'heldout', figures, 3);
    assert.equal(await statusOf(run.id), 'succeeded');
    assert.equal((await db.runs.reopenEvaluation(run.id) as { status: string }).status, 'succeeded');
    assert.equal(await statusOf(run.id), 'succeeded');

    const { runs: [untrained] } = await experiment(1);
    assert.deepEqual(await db.runs.reopenEvaluation(untrained.id), { refused: 'queued' });
    assert.deepEqual(await db.runs.reopenEvaluation('00000000-0000-4000-8000-000000000000'), { refused: 'not_found' });
  });

  test('an experiment is pending until its flow is marked enqueued; the reconciler sees only old, queued, unmarked ones', async () => {
    const fresh = await experiment(2);
    const marked = await experiment(1);
    await db.experiments.markEnqueued(marked.id);
    const cancelled = await experiment(1);
    await db.experiments.cancel(cancelled.id);
    const later = new Date(Date.now() + 60_000);
    const pending = await db.experiments.pendingFlows(later, 100);
    assert.deepEqual(pending.filter((p) => [fresh.id, marked.id, cancelled.id].includes(p.experimentId)),
      [{ experimentId: fresh.id, runIds: fresh.runs.map((r) => r.id) }]);
    assert.equal((await db.experiments.pendingFlows(new Date(Date.now() - 60_000), 100)).length, 0, 'a young experiment is its request\'s to enqueue');
    assert.ok((await db.experiments.get(marked.id))!.enqueuedAt !== null);
  });
});
