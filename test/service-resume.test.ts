/**
 * A training job killed part-way (its sandboxed child process SIGKILLed after a checkpoint) is
 * retried by BullMQ, resumes from the newest checkpoint in the blob store, and leaves a loss curve
 * with every step exactly once — the same curve as a run that was never interrupted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueExperimentFlow, trainJobId } from '@divblur/queue';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { createServiceHarness, sandboxChildrenOf, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';

const STEPS = 60;
const CHECKPOINT_EVERY = 10;
let harness: ServiceHarness;
let trainer: RunningTrainer;

before(async () => {
  harness = await createServiceHarness();
  trainer = startTrainer(harness.config, harness.logger);
});

after(async () => {
  await trainer?.close();
  await harness?.close();
});

/** Trained (evaluating: no inference worker runs here, so no metrics and not succeeded) or failed. */
const finished = (runId: string) => waitFor(`run ${runId} to finish training`, async () => {
  const run = await harness.db.run.findUniqueOrThrow({ where: { id: runId }, include: { model: true } });
  return run.status === 'evaluating' || run.status === 'failed' ? run : undefined;
}, 120_000);

const lossCurve = async (runId: string) => harness.db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });

test('a killed training job resumes from its checkpoint with no duplicate or missing loss steps', async (t) => {
  const { runIds: [killedRun, cleanRun] } = await harness.createExperiment(2, tinyTraining(STEPS, CHECKPOINT_EVERY));
  await harness.queues.enqueue({ name: 'train-run', data: { runId: killedRun, experimentId: (await harness.db.run.findUniqueOrThrow({ where: { id: killedRun } })).experimentId } },
    { jobId: trainJobId(killedRun), attempts: 2, backoff: { type: 'fixed', delay: 100 } });

  const checkpoint = await waitFor('a first checkpoint', async () =>
    (await harness.db.checkpoint.findFirst({ where: { runId: killedRun } })) ?? undefined, 60_000);
  const children = sandboxChildrenOf(process.pid);
  assert.equal(children.length, 1, `one sandbox child expected, found ${children}`);
  process.kill(children[0], 'SIGKILL');
  const stepsAtKill = (await harness.db.run.findUniqueOrThrow({ where: { id: killedRun } })).stepsDone;
  t.diagnostic(`killed the child after checkpoint step ${checkpoint.step} (run row at step ${stepsAtKill})`);

  const run = await finished(killedRun);
  assert.equal(run.status, 'evaluating', run.error ?? '');
  assert.equal(run.attempts, 2);
  const meta = run.model!.meta as { resumedFromStep: number | null; steps: number };
  assert.ok(meta.resumedFromStep !== null && meta.resumedFromStep >= CHECKPOINT_EVERY && meta.resumedFromStep < STEPS,
    `resumed from ${meta.resumedFromStep}`);
  assert.equal(meta.steps, STEPS);
  const curve = await lossCurve(killedRun);
  assert.deepEqual(curve.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1));

  // The same run, never interrupted, draws the same curve: the resume continued the exact state.
  const experimentId = run.experimentId;
  await harness.queues.enqueue({ name: 'train-run', data: { runId: cleanRun, experimentId } }, { jobId: trainJobId(cleanRun), attempts: 1 });
  assert.equal((await finished(cleanRun)).status, 'evaluating');
  const reference = await lossCurve(cleanRun);
  for (let i = 0; i < STEPS; i++) {
    assert.ok(Math.abs(curve[i].total - reference[i].total) <= 1e-4 * Math.max(1, Math.abs(reference[i].total)),
      `step ${i + 1}: ${curve[i].total} resumed vs ${reference[i].total} uninterrupted`);
  }
});

test('a run that cannot train fails at once with the reason, and its experiment settles as failed', async () => {
  const datasetId = await harness.createDataset('loses its psf');
  const { experimentId, runIds: [runId] } = await harness.createExperiment(1, tinyTraining(5, 5), datasetId);
  // The API refuses divblurring on a dataset without a PSF; the trainer checks again, for a row that got there anyway.
  await harness.db.dataset.update({ where: { id: datasetId }, data: { psfKey: null, psfHeight: null, psfWidth: null } });
  await enqueueExperimentFlow(harness.queues.flows, { experimentId, runIds: [runId], attempts: 3 });
  const failed = await finished(runId);
  assert.equal(failed.status, 'failed');
  assert.match(failed.error ?? '', /needs a PSF/);
  assert.equal(failed.attempts, 0, 'refused before training, without retries');
  const settled = await waitFor('the experiment to settle', async () => {
    const row = await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    return row.finishedAt ? row : undefined;
  });
  assert.equal(settled.status, 'failed');
  assert.match(settled.error ?? '', /1 of 1 runs failed/);
});
