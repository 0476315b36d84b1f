import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSpec, type ExperimentSpec } from '@divblur/queue';
import { createDb, type Db } from './client.ts';
import { createRepositories, type Repositories } from './database.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

describe('schema against Postgres', () => {
  let database: TestDatabase;
  let db: Db;
  let repos: Repositories;
  let datasetId = '';
  const spec = { training: { steps: 10 } } as ExperimentSpec;

  before(async () => {
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url }, { maxConnections: 4 });
    repos = createRepositories(db);
    const dataset = await repos.datasets.create({
      name: 'filaments', source: 'synthetic', count: 4, height: 128, width: 128, dtype: 'float32',
      stats: { min: -0.1, max: 1.2, mean: 0.2, std: 0.1 }, sha256: 'ab'.repeat(32), noisyKey: 'datasets/x/noisy.tif',
      gtKey: null, psfKey: null, psfShape: null, pixelSizeNm: null, noiseSigma: 0.03, meta: {},
    });
    datasetId = dataset.id;
  });
  after(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  /** Runs as the API makes them (the spec resolved, then the sweep's values); an evaluated one succeeded with its metric. */
  async function experimentWithRuns(runs: { penalty: 'none' | 'l2' | 'positivity'; lambda: number; psnrMmse: number | null }[], idempotencyKey: string | null = null) {
    const created = await repos.experiments.create({
      datasetId, spec, sweep: { lambda: runs.map((run) => run.lambda) }, idempotencyKey,
      runs: runs.map((run) => ({ ...resolveSpec(spec), penalty: run.penalty, lambda: run.lambda })),
    });
    for (const [index, run] of runs.entries()) {
      if (run.psnrMmse === null) continue;
      const runId = created.runs[index].id;
      assert.equal(await repos.runs.start({ id: runId, experimentId: created.experiment.id, startedAt: null }), true);
      assert.equal(await repos.runs.trained(runId, { steps: 10, trainMs: 1, noiseSigma: 0.03 }), true);
      await repos.metrics.recordEvaluation(runId, null, 'heldout', {
        psnrMmse: run.psnrMmse, psnrSamples: null, ssim: null, discrepancy: null, meanStd: null, samples: 100,
      }, 1);
    }
    return { ...created.experiment, runs: created.runs, created: created.created };
  }

  test('the template clone is fully migrated and belongs to this test alone', async () => {
    assert.match(database.name, /^divblur_test_/);
    const rows = await db.$queryRaw<{ name: string }[]>`SELECT name FROM _divblur_migrations`;
    assert.ok(rows.some((row) => row.name === '0001_init'));
  });

  test('(run, step) is unique: a duplicate insert fails, lossPoints.append skips re-sent steps', async () => {
    const experiment = await experimentWithRuns([{ penalty: 'none', lambda: 0, psnrMmse: null }]);
    const runId = experiment.runs[0].id;
    const points = Array.from({ length: 10 }, (_, step) => ({ step, total: 10 - step, dataTerm: 5, kl: 1, penalty: 0, beta: 1 }));
    assert.equal(await repos.lossPoints.append(runId, points), 10);
    await assert.rejects(db.lossPoint.create({ data: { runId, step: 3, total: 1 } }), (error: unknown) =>
      (error as { code?: string }).code === 'P2002');
    // A resumed run re-sends steps 5…14 after restoring the step-5 checkpoint.
    const resumed = Array.from({ length: 10 }, (_, index) => ({ step: 5 + index, total: 99 }));
    assert.equal(await repos.lossPoints.append(runId, resumed), 5);
    const stored = await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
    assert.deepEqual(stored.map((point) => point.step), Array.from({ length: 15 }, (_, step) => step));
    assert.equal(stored[5].total, 5, 'the first write of a step wins');
    assert.equal(stored[14].total, 99);
  });

  test('an idempotency key can be used once: the repository returns the first experiment, the column refuses a second', async () => {
    const first = await experimentWithRuns([{ penalty: 'none', lambda: 0, psnrMmse: null }], 'lims-req-42');
    const again = await experimentWithRuns([{ penalty: 'l2', lambda: 1, psnrMmse: null }], 'lims-req-42');
    assert.deepEqual([first.created, again.created, again.id, again.runs.map((run) => run.lambda)], [true, false, first.id, [0]]);
    await assert.rejects(db.experiment.create({ data: { datasetId, spec: {}, runCount: 0, idempotencyKey: 'lims-req-42' } }),
      (error: unknown) => (error as { code?: string }).code === 'P2002');
  });

  test('rejects values outside the enums', async () => {
    const experiment = await experimentWithRuns([{ penalty: 'none', lambda: 0, psnrMmse: null }]);
    await assert.rejects(db.$executeRawUnsafe(
      `UPDATE runs SET penalty = 'tv' WHERE id = '${experiment.runs[0].id}'`), /invalid input value for enum penalty/);
  });

  test('filters runs by experiment, penalty, λ range and status, sorted by psnr_mmse desc, in keyset pages', async () => {
    const lambdas = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    const experiment = await experimentWithRuns([
      ...lambdas.map((lambda, index) => ({ penalty: 'l2' as const, lambda, psnrMmse: 20 + ((index * 7) % 5) })),
      ...lambdas.map((lambda) => ({ penalty: 'positivity' as const, lambda, psnrMmse: 30 })),
      { penalty: 'l2', lambda: 5e-3, psnrMmse: null },
    ]);
    const where = {
      experimentId: experiment.id, penalty: 'l2' as const, lambda: { gte: 1e-3, lte: 1e-1 }, status: 'succeeded' as const,
    };
    const orderBy = [{ psnrMmse: { sort: 'desc' as const, nulls: 'last' as const } }, { id: 'asc' as const }];
    const firstPage = await db.run.findMany({ where, orderBy, take: 2 });
    const last = firstPage[firstPage.length - 1];
    const secondPage = await db.run.findMany({ where, orderBy, take: 2, cursor: { id: last.id }, skip: 1 });
    const all = [...firstPage, ...secondPage];
    // psnr_mmse of λ = 1e-3, 1e-2, 1e-1 is 22, 24, 21 (20 + (7·index mod 5)); λ = 5e-3 is unfinished (status queued).
    assert.deepEqual(all.map((run) => run.lambda), [1e-2, 1e-3, 1e-1]);
    assert.deepEqual(all.map((run) => run.psnrMmse), [24, 22, 21]);
    assert.equal(secondPage.length, 1);
  });

  test('deleting an experiment removes its runs, loss points, checkpoints, models and metrics', async () => {
    const experiment = await experimentWithRuns([{ penalty: 'l2', lambda: 1, psnrMmse: 25 }]);
    const runId = experiment.runs[0].id;
    await repos.lossPoints.append(runId, [{ step: 0, total: 1 }]);
    await db.checkpoint.create({ data: { runId, step: 0, blobKey: 'runs/r/ckpt-0' } });
    const model = await db.model.create({ data: { runId, onnxKey: 'models/m/model.onnx' } });
    await db.metric.create({ data: { runId, modelId: model.id, imageSet: 'test', psnrMmse: 25, psnrSamples: 24, ssim: 0.8, samples: 100 } });
    await db.experiment.delete({ where: { id: experiment.id } });
    assert.equal(await db.run.count({ where: { id: runId } }), 0);
    assert.equal(await db.lossPoint.count({ where: { runId } }), 0);
    assert.equal(await db.checkpoint.count({ where: { runId } }), 0);
    assert.equal(await db.model.count({ where: { runId } }), 0);
    assert.equal(await db.metric.count({ where: { runId } }), 0);
  });

  test('a dataset with experiments cannot be deleted; one metric row per run and image set', async () => {
    const experiment = await experimentWithRuns([{ penalty: 'l2', lambda: 1, psnrMmse: 25 }]);
    await assert.rejects(db.dataset.delete({ where: { id: datasetId } }));
    const runId = experiment.runs[0].id;
    await db.metric.create({ data: { runId, imageSet: 'test', psnrMmse: 25, samples: 100 } });
    await assert.rejects(db.metric.create({ data: { runId, imageSet: 'test', psnrMmse: 26, samples: 100 } }),
      (error: unknown) => (error as { code?: string }).code === 'P2002');
    const upserted = await db.metric.upsert({
      where: { runId_imageSet: { runId, imageSet: 'test' } },
      create: { runId, imageSet: 'test', psnrMmse: 26, samples: 100 },
      update: { psnrMmse: 26 },
    });
    assert.equal(upserted.psnrMmse, 26);
  });
});
