/**
 * The service end to end on the machine's Postgres and Redis (own database, own key prefix) and a
 * local blob store: tiny dataset1 → train-run in the trainer's sandboxed child → loss points,
 * checkpoints, model row and ONNX blobs → evaluate-run in the inference worker → metric row and
 * baselines → POST /v1/models/:id/deconvolve gives the evaluation's PSNR on the same images.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTiff, encodeTiff, psnr, stackImage, toStack } from '@divblur/imaging';
import { enqueueExperimentFlow, experimentJobId, trainJobId } from '@divblur/queue';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { buildInferenceApp, createInferenceServices, startInferenceWorker, type InferenceApp, type InferenceServices } from '@divblur/inference';
import type { Worker } from 'bullmq';
import { createServiceHarness, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';
import { sendKeyByDefault } from './test-keys.ts';

const STEPS = 10;
let harness: ServiceHarness;
let trainer: RunningTrainer;
let inference: InferenceServices;
let worker: Worker | undefined;
let app: InferenceApp;
let runId: string;
let experimentId: string;
let modelCacheDir: string;

before(async () => {
  harness = await createServiceHarness();
  trainer = startTrainer(harness.config, harness.logger);
  modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-model-cache-'));
  inference = createInferenceServices(harness.config, harness.logger, { modelCacheDir });
  app = await buildInferenceApp(inference, { maxInFlight: 1 });
  await sendKeyByDefault(app, inference.db);
  const created = await harness.createExperiment(1, tinyTraining(STEPS, 5));
  [runId] = created.runIds;
  experimentId = created.experimentId;
  await enqueueExperimentFlow(harness.queues.flows, { experimentId, runIds: created.runIds, attempts: 1 });
});

after(async () => {
  await app?.close();
  await worker?.close();
  await trainer?.close();
  await inference?.close();
  await harness?.close();
  if (modelCacheDir) await rm(modelCacheDir, { recursive: true, force: true });
});

/** The inference worker starts late (see the first test); any test that needs a metric starts it. */
const startWorker = () => { worker ??= startInferenceWorker(inference); };

const metricOf = () => {
  startWorker();
  return waitFor('the evaluation metric row', async () => (await harness.db.metric.findFirst({ where: { runId } })) ?? undefined, 120_000);
};

test('the experiment stays open until its trained runs are evaluated; once final, every succeeded run has its metrics', async () => {
  // Trained, its train-run job completed, no inference worker yet: the evaluation is pending.
  await waitFor('the training job to complete', async () =>
    (await harness.queues.byName.training.getJobState(trainJobId(runId))) === 'completed' ? true : undefined, 120_000);
  assert.equal((await harness.db.run.findUniqueOrThrow({ where: { id: runId } })).status, 'evaluating', 'trained, not yet succeeded: no metrics');
  assert.equal(await harness.queues.byName.experiments.getJobState(experimentJobId(experimentId)), 'waiting-children');
  assert.equal((await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } })).finishedAt, null);
  startWorker();
  const experiment = await waitFor('the experiment to settle', async () => {
    const row = await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    return row.finishedAt ? row : undefined;
  }, 120_000);
  assert.equal(experiment.status, 'succeeded');
  const runs = await harness.db.run.findMany({ where: { experimentId }, include: { metrics: true } });
  for (const run of runs) if (run.status === 'succeeded') assert.ok(run.metrics.length > 0, `run ${run.id} succeeded without metrics`);
});

test('training writes every loss point once, checkpoints, the model row and its ONNX blobs; the experiment settles', async () => {
  await metricOf();
  const run = await harness.db.run.findUniqueOrThrow({ where: { id: runId }, include: { model: true } });
  assert.equal(run.status, 'succeeded', run.error ?? '');
  assert.equal(run.stepsDone, STEPS);
  assert.equal(run.progress, 1);
  assert.ok((run.trainMs ?? 0) > 0 && run.startedAt !== null && run.finishedAt !== null);
  const points = await harness.db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  assert.deepEqual(points.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1));
  assert.ok(points.every((p) => Number.isFinite(p.total) && p.dataTerm !== null && p.kl !== null && p.beta !== null));
  const checkpoints = await harness.db.checkpoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  assert.deepEqual(checkpoints.map((c) => c.step), [5, 10]);
  for (const c of checkpoints) assert.ok(await harness.blobs.exists(`${c.blobKey}/tensors.bin`));
  const model = run.model!;
  assert.ok(model);
  for (const key of Object.values(model.files as Record<string, string>)) assert.ok(await harness.blobs.exists(key), key);
  assert.ok(model.onnxKey.endsWith('.onnx') && model.packageKey !== null);
  const experiment = await waitFor('the experiment to settle', async () => {
    const row = await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    return row.finishedAt ? row : undefined;
  });
  assert.equal(experiment.status, 'succeeded');
});

test('the evaluation stores PSNR, SSIM and the GT-free figures on the held-out images, and baselines once', async () => {
  const metric = await metricOf();
  assert.equal(metric.imageSet, 'heldout');
  assert.equal(metric.samples, 100);
  for (const value of [metric.psnrMmse, metric.psnrSamples, metric.ssim, metric.discrepancy, metric.meanStd]) assert.ok(Number.isFinite(value));
  assert.ok(metric.psnrSamples! <= metric.psnrMmse!, 'averaging samples cannot be worse than a sample');
  const run = await harness.db.run.findUniqueOrThrow({ where: { id: runId } });
  assert.equal(run.psnrMmse, metric.psnrMmse);
  assert.ok((run.evalMs ?? 0) > 0);
  const baselines = await waitFor('baselines', async () => {
    const rows = await harness.db.baseline.findMany({ where: { datasetId: harness.datasetId } });
    return rows.length === 5 ? rows : undefined;
  });
  assert.deepEqual(baselines.map((b) => b.method).sort(), ['input', 'rl_discrepancy', 'rl_oracle', 'wiener_discrepancy', 'wiener_oracle']);
  assert.ok(baselines.every((b) => b.imageSet === 'heldout' && Number.isFinite(b.psnr)));
});

test('POST deconvolve of the held-out images matches the evaluation PSNR within 0.05 dB', async (t) => {
  const metric = await metricOf();
  const { noisy, groundTruth } = harness.simulation;
  const values: number[] = [];
  for (const index of [6, 7]) {
    const response = await app.inject({
      method: 'POST', url: `/v1/models/${metric.modelId}/deconvolve?samples=100&seed=0`,
      headers: { 'content-type': 'image/tiff', 'x-request-id': `req-${index}` }, payload: Buffer.from(encodeTiff(toStack([stackImage(noisy, index)]))),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['x-request-id'], `req-${index}`);
    const { stack } = decodeTiff(response.rawPayload);
    assert.equal(stack.count, 1);
    values.push(psnr(stackImage(groundTruth, index), stackImage(stack, 0)));
  }
  const served = (values[0] + values[1]) / 2;
  t.diagnostic(`served ${served.toFixed(4)} dB, evaluated ${metric.psnrMmse!.toFixed(4)} dB`);
  assert.ok(Math.abs(served - metric.psnrMmse!) < 0.05, `served ${served} dB vs evaluated ${metric.psnrMmse} dB`);
});

test('std=true gives MMSE and std pages; the JSON form gives the same numbers', async () => {
  const metric = await metricOf();
  const image = stackImage(harness.simulation.noisy, 7);
  const tiff = await app.inject({
    method: 'POST', url: `/v1/models/${metric.modelId}/deconvolve?samples=20&seed=3&std=true`,
    headers: { 'content-type': 'image/tiff' }, payload: Buffer.from(encodeTiff(toStack([image]))),
  });
  assert.equal(tiff.statusCode, 200, tiff.body);
  const { stack } = decodeTiff(tiff.rawPayload);
  assert.equal(stack.count, 2);
  assert.ok(stackImage(stack, 1).data.every((v) => v >= 0) && stackImage(stack, 1).data.some((v) => v > 0));
  const data = Buffer.alloc(image.data.length * 4);
  image.data.forEach((v, i) => data.writeFloatLE(v, 4 * i));
  const json = await app.inject({
    method: 'POST', url: `/v1/models/${metric.modelId}/deconvolve?samples=20&seed=3&std=true`,
    payload: { shape: [image.height, image.width], data: data.toString('base64') },
  });
  assert.equal(json.statusCode, 200, json.body);
  const body = json.json() as { shape: number[]; mmse: string; std: string; samplesUsed: number; dihedral: boolean };
  assert.deepEqual(body.shape, [32, 32]);
  assert.equal(body.samplesUsed, 20);
  assert.equal(body.dihedral, true);
  const decoded = (base64: string) => { const bytes = Buffer.from(base64, 'base64'); return Float32Array.from({ length: 1024 }, (_, i) => bytes.readFloatLE(4 * i)); };
  assert.deepEqual(decoded(body.mmse), stackImage(stack, 0).data);
  // dihedral=false: one view, the same seed: another estimate of the same image
  const plain = await app.inject({
    method: 'POST', url: `/v1/models/${metric.modelId}/deconvolve?samples=20&seed=3&dihedral=false`,
    payload: { shape: [image.height, image.width], data: data.toString('base64') },
  });
  assert.equal(plain.statusCode, 200, plain.body);
  assert.equal(plain.json().dihedral, false);
  const difference = decoded(plain.json().mmse).reduce((sum, v, i) => sum + Math.abs(v - stackImage(stack, 0).data[i]), 0);
  assert.ok(difference > 0, 'averaging over the views changes the estimate');
});

test('bad input is a 4xx that says what is wrong', async () => {
  const metric = await metricOf();
  const url = `/v1/models/${metric.modelId}/deconvolve`;
  const tiff = (images: Float32Array[]) => Buffer.from(encodeTiff(toStack(images.map((data) => ({ data, height: 32, width: 32 })))));
  const cases: Array<[string, { url: string; payload: Buffer | object; type?: string }, number, RegExp]> = [
    ['not a TIFF', { url, payload: Buffer.from('hello, not an image') }, 400, /TIFF|tiff/],
    ['two pages', { url, payload: tiff([new Float32Array(1024), new Float32Array(1024)]) }, 400, /holds 2 images/],
    ['NaN pixel', { url, payload: tiff([new Float32Array(1024).fill(Number.NaN)]) }, 400, /finite|NaN/],
    ['samples 0', { url: `${url}?samples=0`, payload: tiff([new Float32Array(1024)]) }, 400, /samples/],
    ['bad JSON image', { url, payload: { shape: [4], data: Buffer.alloc(16).toString('base64') }, type: 'application/json' }, 400, /shape|rank/],
    ['unknown model', { url: '/v1/models/00000000-0000-4000-8000-000000000000/deconvolve', payload: tiff([new Float32Array(1024)]) }, 404, /no model/],
    ['not an id', { url: '/v1/models/nope/deconvolve', payload: tiff([new Float32Array(1024)]) }, 400, /params\/id must match format "uuid"/],
  ];
  for (const [name, request, status, message] of cases) {
    const response = await app.inject({
      method: 'POST', url: request.url, payload: request.payload,
      headers: Buffer.isBuffer(request.payload) ? { 'content-type': request.type ?? 'image/tiff' } : {},
    });
    assert.equal(response.statusCode, status, `${name}: ${response.body}`);
    assert.match(response.json().message, message, name);
    assert.ok(response.json().requestId, name);
  }
});

test('beyond the concurrency bound a request gets 429 with Retry-After', async () => {
  const metric = await metricOf();
  const payload = Buffer.from(encodeTiff(toStack([stackImage(harness.simulation.noisy, 0)])));
  const post = (samples: number) => app.inject({
    method: 'POST', url: `/v1/models/${metric.modelId}/deconvolve?samples=${samples}`, headers: { 'content-type': 'image/tiff' }, payload,
  });
  const [long, refused] = await Promise.all([post(3000), post(1)]);
  assert.equal(long.statusCode, 200);
  assert.equal(refused.statusCode, 429, refused.body);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
});

test('/healthz, /readyz and /metrics answer', async () => {
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  const ready = await app.inject('/readyz');
  assert.equal(ready.statusCode, 200, ready.body);
  assert.deepEqual(ready.json().checks, { postgres: 'ok', redis: 'ok', blobStore: 'ok' });
  const metrics = await app.inject('/metrics');
  assert.match(metrics.body, /divblur_inference_requests_total\{method="POST",route="\/v1\/models\/:id\/deconvolve",status="200"\}/);
  assert.match(metrics.body, /divblur_inference_rejected_total [1-9]/);
});
