/**
 * Run states that do not lie, through the API wired as in production, the trainer (its sandboxed child) and the
 * inference worker and server (issue 14):
 * - a cancel is final whatever its timing: 0, 50 and 500 ms after creation (the trainer's child warm, so that the
 *   run can be taken at once), the run never trains on, is never trained or evaluated, and stays cancelled;
 * - a trained run whose evaluation fails for good is failed with the reason; its model says so and is refused by
 *   deconvolve (409) unless asked for explicitly; POST /v1/runs/:id/evaluate evaluates it again → succeeded;
 * - a deconvolution whose client disconnects stops, and frees its slot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { buildApp, wireDeps, type ApiApp, type WiredDeps } from '@divblur/api';
import { encodeTiff, stackImage, toStack } from '@divblur/imaging';
import { buildInferenceApp, createInferenceServices, startInferenceWorker, type InferenceApp, type InferenceServices } from '@divblur/inference';
import { evaluateJobId, trainJobId } from '@divblur/queue';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { createServiceHarness, tinySpec, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';
import { sendKeyByDefault } from './test-keys.ts';

let harness: ServiceHarness;
let wired: WiredDeps;
let api: ApiApp;
let trainer: RunningTrainer;
let inference: InferenceServices;
let inferenceApp: InferenceApp;
/** The key the inference app's inject sends; a raw HTTP request sends it itself. */
let inferenceKey = '';
let modelCacheDir: string;

before(async () => {
  harness = await createServiceHarness();
  wired = wireDeps(harness.config, harness.logger);
  api = await buildApp(wired.deps);
  await sendKeyByDefault(api, wired.deps.db);
  await api.ready();
  trainer = startTrainer(harness.config, harness.logger);
  modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-model-cache-'));
  inference = createInferenceServices(harness.config, harness.logger, { modelCacheDir });
  inferenceApp = await buildInferenceApp(inference, { maxInFlight: 1 });
  inferenceKey = (await sendKeyByDefault(inferenceApp, inference.db)).key;
});

after(async () => {
  await inferenceApp?.close();
  await trainer?.close();
  await api?.close();
  await wired?.close();
  await inference?.close();
  await harness?.close();
  if (modelCacheDir) await rm(modelCacheDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createExperiment(steps: number): Promise<{ experimentId: string; runId: string }> {
  const response = await api.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: harness.datasetId, spec: tinySpec(tinyTraining(steps, 1000)) } });
  assert.equal(response.statusCode, 201, response.body);
  return { experimentId: response.json().experiment.id, runId: response.json().runs[0].id };
}

const runRow = (runId: string) => harness.db.run.findUniqueOrThrow({ where: { id: runId }, include: { model: true, metrics: true } });
const trained = (runId: string) => waitFor(`run ${runId} to be trained`, async () => {
  const run = await runRow(runId);
  if (run.status === 'failed' || run.status === 'cancelled') throw new Error(`run ${run.status}: ${run.error}`);
  return run.status !== 'queued' && run.status !== 'training' ? run : undefined;
}, 120_000);

describe('cancel is final', () => {
  const STEPS = 400;

  before(async () => {
    // A first run forks the sandboxed child and loads the backend: afterwards a job is taken within milliseconds.
    const { runId } = await createExperiment(3);
    await trained(runId);
  });

  for (const delayMs of [0, 50, 500]) {
    test(`cancelled ${delayMs} ms after creation: the run stops or never starts, is never trained, and stays cancelled`, async (t) => {
      const { experimentId, runId } = await createExperiment(STEPS);
      await sleep(delayMs);
      const cancel = await api.inject({ method: 'POST', url: `/v1/experiments/${experimentId}/cancel` });
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.equal(cancel.json().experiment.status, 'cancelled');
      assert.deepEqual(cancel.json().cancelledRuns, [runId]);

      // Its job is removed (still waiting), or finishes (it stops at the next check between steps).
      await waitFor('the training job to be done', async () => {
        const state = await harness.queues.byName.training.getJobState(trainJobId(runId));
        return state === 'active' || state === 'waiting' || state === 'delayed' ? undefined : state;
      }, 60_000);
      const settled = await runRow(runId);
      const points = await harness.db.lossPoint.count({ where: { runId } });
      await sleep(1500);
      const later = await runRow(runId);
      t.diagnostic(`${delayMs} ms: attempts ${later.attempts}, ${later.stepsDone} of ${STEPS} steps, ${points} loss points`);
      for (const run of [settled, later]) {
        assert.equal(run.status, 'cancelled');
        assert.equal(run.model, null, 'no model: a cancelled run is never exported');
        assert.ok(run.stepsDone < STEPS, `stopped at step ${run.stepsDone}`);
      }
      assert.equal(await harness.db.lossPoint.count({ where: { runId } }), points, 'no training after the cancel');
      assert.equal(await harness.queues.byName.inference.getJobState(evaluateJobId(runId)), 'unknown', 'never evaluated');
      assert.equal((await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).status, 'cancelled');
    });
  }
});

describe('a failed evaluation, its model refused, and evaluated again', () => {
  let runId = '';
  let modelId = '';
  let worker: Worker | undefined;
  after(async () => worker?.close());

  const deconvolve = (query = '') => inferenceApp.inject({
    method: 'POST', url: `/v1/models/${modelId}/deconvolve?samples=8${query}`, headers: { 'content-type': 'image/tiff' },
    payload: Buffer.from(encodeTiff(toStack([stackImage(harness.simulation.noisy, 7)]))),
  });

  test('an evaluation that fails for good fails the run with the reason; its model says so and deconvolve answers 409', async () => {
    const created = await createExperiment(10);
    runId = created.runId;
    const run = await trained(runId);
    assert.equal(run.status, 'evaluating', 'trained, no metrics yet: not succeeded');
    modelId = run.model!.id;
    // A worker whose evaluations cannot succeed (0 samples is refused by the MMSE): a deterministic failure, not retried.
    worker = startInferenceWorker(inference, { evaluationSamples: 0 });
    const failed = await waitFor('the run to fail', async () => {
      const row = await runRow(runId);
      return row.status === 'failed' ? row : undefined;
    }, 60_000);
    await worker.close();
    worker = undefined;
    assert.match(failed.error ?? '', /trained, but the evaluation failed: samples must be an integer ≥ 1/);
    assert.equal(failed.metrics.length, 0);
    const experiment = await waitFor('the experiment to settle', async () => {
      const row = await harness.db.experiment.findUniqueOrThrow({ where: { id: created.experimentId } });
      return row.finishedAt ? row : undefined;
    });
    assert.equal(experiment.status, 'failed');

    const model = (await api.inject({ method: 'GET', url: `/v1/models/${modelId}` })).json();
    assert.deepEqual([model.runStatus, model.runSucceeded], ['failed', false]);
    assert.match(model.runError, /evaluation failed/);
    const refused = await deconvolve();
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().code, 'MODEL_RUN_NOT_SUCCEEDED');
    assert.match(refused.json().message, /is failed .*allowUnsucceeded=true/);
    const forced = await deconvolve('&allowUnsucceeded=true');
    assert.equal(forced.statusCode, 200, forced.body);
    assert.equal(forced.headers['x-model-run-status'], 'failed');
  });

  test('POST /v1/runs/:id/evaluate evaluates it again: evaluating, then succeeded with its metrics; the model is served', async () => {
    assert.ok(runId, 'needs the previous test');
    worker = startInferenceWorker(inference);
    const response = await api.inject({ method: 'POST', url: `/v1/runs/${runId}/evaluate` });
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(response.json(), { runId, modelId, status: 'evaluating', evaluation: 'queued' });
    const succeeded = await waitFor('the run to succeed', async () => {
      const row = await runRow(runId);
      if (row.status === 'failed') throw new Error(`failed again: ${row.error}`);
      return row.status === 'succeeded' ? row : undefined;
    }, 60_000);
    assert.equal(succeeded.metrics.length, 1, 'succeeded with its metrics');
    assert.equal(succeeded.error, null);
    assert.ok(Number.isFinite(succeeded.psnrMmse));
    assert.equal((await api.inject({ method: 'GET', url: `/v1/models/${modelId}` })).json().runSucceeded, true);
    const served = await deconvolve();
    assert.equal(served.statusCode, 200, served.body);
    assert.equal(served.headers['x-model-run-status'], 'succeeded');

    // Again: a succeeded run stays succeeded while it is evaluated once more.
    const again = await api.inject({ method: 'POST', url: `/v1/runs/${runId}/evaluate` });
    assert.equal(again.statusCode, 202, again.body);
    assert.equal(again.json().status, 'succeeded');
    assert.equal((await runRow(runId)).status, 'succeeded');
    await waitFor('the second evaluation', async () =>
      ((await harness.queues.byName.inference.getJobState(evaluateJobId(runId))) === 'completed' ? true : undefined), 60_000);
    assert.equal((await runRow(runId)).status, 'succeeded');
  });

  test('evaluate refuses a run with nothing to evaluate (409), an unknown run (404) and a malformed id (400)', async () => {
    const { experimentId, runId: queued } = await createExperiment(400);
    await api.inject({ method: 'POST', url: `/v1/experiments/${experimentId}/cancel` });
    const refused = await api.inject({ method: 'POST', url: `/v1/runs/${queued}/evaluate` });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().code, 'RUN_NOT_EVALUABLE');
    assert.equal((await api.inject({ method: 'POST', url: '/v1/runs/00000000-0000-4000-8000-000000000000/evaluate' })).statusCode, 404);
    assert.equal((await api.inject({ method: 'POST', url: '/v1/runs/nope/evaluate' })).statusCode, 400);
  });

  test('a deconvolution whose client disconnects stops and frees its slot', async (t) => {
    assert.ok(modelId, 'needs the trained model');
    await inferenceApp.listen({ host: '127.0.0.1', port: 0 });
    const { port } = inferenceApp.server.address() as { port: number };
    const side = 256;
    const image = Buffer.from(encodeTiff(toStack([{ data: new Float32Array(side * side).fill(0.1), height: side, width: side }])));
    const inFlight = async () => Number((await inferenceApp.inject({ method: 'GET', url: '/metrics' })).body.match(/^divblur_inference_in_flight (\d+)/m)?.[1]);

    const small = performance.now();
    const probe = await inferenceApp.inject({ method: 'POST', url: `/v1/models/${modelId}/deconvolve?samples=200`, headers: { 'content-type': 'image/tiff' }, payload: image });
    assert.equal(probe.statusCode, 200, probe.body);
    const fullMs = ((performance.now() - small) / 200) * 10_000;

    const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v1/models/${modelId}/deconvolve?samples=10000`, headers: { 'content-type': 'image/tiff', authorization: `Bearer ${inferenceKey}` } });
    request.on('error', () => undefined);
    request.end(image);
    await waitFor('the deconvolution to start', async () => ((await inFlight()) === 1 ? true : undefined), 10_000);
    const closed = performance.now();
    request.destroy();
    await waitFor('the slot to be freed', async () => ((await inFlight()) === 0 ? true : undefined), 10_000);
    const freedMs = performance.now() - closed;
    t.diagnostic(`freed ${freedMs.toFixed(0)} ms after the client left; the whole deconvolution takes ≈ ${fullMs.toFixed(0)} ms`);
    assert.ok(fullMs > 2000, `the request must be long enough to tell (≈ ${fullMs} ms)`);
    assert.ok(freedMs < Math.min(1000, fullMs / 2), `freed after ${freedMs} ms`);
    const next = await inferenceApp.inject({ method: 'POST', url: `/v1/models/${modelId}/deconvolve?samples=8`, headers: { 'content-type': 'image/tiff' }, payload: image });
    assert.equal(next.statusCode, 200, 'the slot serves the next request (maxInFlight 1)');
  });
});
