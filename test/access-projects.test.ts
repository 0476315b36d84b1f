/**
 * Projects (issue 15) against the real API and inference servers: a key limited to a project sees and changes only
 * its project's datasets and what is made from them (experiments, runs, models); another project's id is the same
 * 404 as an id that does not exist, in the lists, by id, in a body or a query; a lab-wide key sees everything.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { DEFAULT_LIMITS, storeDataset, storeExperiment } from '@divblur/api';
import { createHarness, multipart, type Harness } from './api-harness.ts';
import { createInferenceHarness, type InferenceHarness } from './inference-harness.ts';
import { tinySpec, tinyTraining } from './service-harness.ts';

const stack = (count: number, size: number, value = 0.5): Stack =>
  ({ data: Float32Array.from({ length: count * size * size }, (_, i) => ((i % 7) / 7) * value), count, height: size, width: size });
const psf = encodeTiff({ data: new Float32Array(25).fill(1), count: 1, height: 5, width: 5 });
const spec = { method: 'divblurring', penalty: 'l2', lambda: 0.01, noiseSigma: 0.03, training: { steps: 5, patchSize: 32, batchSize: 4 } };

/** The body of a refusal without its request id: what a client can compare. */
const answer = (res: { statusCode: number; json(): Record<string, unknown> }) => {
  const { requestId: _requestId, ...rest } = res.json();
  return { status: res.statusCode, ...rest };
};

describe('projects on the API', () => {
  let h: Harness;
  let alpha = '';
  let beta = '';
  let lab = '';
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const ids = { alphaDataset: '', betaDataset: '', alphaExperiment: '', alphaRun: '', alphaModel: '' };

  before(async () => {
    h = await createHarness({ access: {} });
    alpha = await h.issueKey({ name: 'alpha lims', scopes: ['read', 'write'], project: 'alpha' });
    beta = await h.issueKey({ name: 'beta lims', scopes: ['read', 'write'], project: 'beta' });
    lab = await h.issueKey({ name: 'lab lims', scopes: ['read', 'write'] });
    const upload = async (key: string, value: number) => {
      const form = await multipart({ noisy: encodeTiff(stack(2, 48, value)), psf });
      const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: form.payload, headers: { ...form.headers, ...as(key) } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    ids.alphaDataset = await upload(alpha, 1);
    ids.betaDataset = await upload(beta, 2);
    const experiment = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: ids.alphaDataset, spec }, headers: as(alpha) });
    assert.equal(experiment.statusCode, 201, experiment.body);
    ids.alphaExperiment = experiment.json().experiment.id;
    ids.alphaRun = experiment.json().runs[0].id;
    ids.alphaModel = (await h.db.models.saveForRun(ids.alphaRun, { onnxKey: 'models/x/decoder.onnx', files: {}, packageKey: null, sizeBytes: 1, opset: 17, meta: {} })).id;
  });
  after(async () => h?.close());

  test("a project's dataset carries the project; each key lists only its project's datasets, experiments and runs; a lab-wide key lists all", async () => {
    const alphaProject = (await h.db.projects.byName('alpha'))!.id;
    assert.equal((await h.db.datasets.get(ids.alphaDataset))!.projectId, alphaProject);
    const list = async (key: string, url: string) => (await h.app.inject({ method: 'GET', url, headers: as(key) })).json().items.map((item: { id: string }) => item.id);
    assert.deepEqual(await list(alpha, '/v1/datasets'), [ids.alphaDataset]);
    assert.deepEqual(await list(beta, '/v1/datasets'), [ids.betaDataset]);
    assert.deepEqual((await list(lab, '/v1/datasets')).sort(), [ids.alphaDataset, ids.betaDataset].sort());
    assert.deepEqual(await list(alpha, '/v1/experiments'), [ids.alphaExperiment]);
    assert.deepEqual(await list(beta, '/v1/experiments'), []);
    assert.deepEqual(await list(alpha, '/v1/runs'), [ids.alphaRun]);
    assert.deepEqual(await list(beta, '/v1/runs'), []);
    assert.deepEqual(await list(lab, '/v1/runs'), [ids.alphaRun]);
  });

  test("another project's rows are a 404 exactly like rows that do not exist, on every route that names one", async () => {
    const urls = (id: Record<'dataset' | 'experiment' | 'run' | 'model', string>) => [
      ['GET', `/v1/datasets/${id.dataset}`], ['GET', `/v1/experiments/${id.experiment}`], ['POST', `/v1/experiments/${id.experiment}/cancel`],
      ['GET', `/v1/experiments/${id.experiment}/compare`], ['GET', `/v1/runs/${id.run}`], ['GET', `/v1/runs/${id.run}/loss`],
      ['GET', `/v1/runs/${id.run}/metrics`], ['GET', `/v1/models/${id.model}`], ['GET', `/v1/models/${id.model}/onnx`], ['GET', `/v1/models/${id.model}/package`],
      ['GET', `/v1/runs?experimentId=${id.experiment}`], ['GET', `/v1/experiments?datasetId=${id.dataset}`],
    ] as const;
    const theirs = urls({ dataset: ids.alphaDataset, experiment: ids.alphaExperiment, run: ids.alphaRun, model: ids.alphaModel });
    const none = randomUUID();
    const nobody = urls({ dataset: none, experiment: none, run: none, model: none });
    for (const [index, [method, url]] of theirs.entries()) {
      const refused = await h.app.inject({ method, url, headers: as(beta) });
      const missing = await h.app.inject({ method, url: nobody[index][1], headers: as(beta) });
      assert.equal(refused.statusCode, 404, `${method} ${url}: ${refused.body}`);
      assert.deepEqual(answer(refused), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, url.match(/[0-9a-f-]{36}/)![0])), `${method} ${url}`);
    }
    // The owner and a lab-wide key get past the check (a 200, or the route's own answer about the row).
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/runs/${ids.alphaRun}`, headers: as(alpha) })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/models/${ids.alphaModel}`, headers: as(lab) })).statusCode, 200);
    assert.equal((await h.db.experiments.get(ids.alphaExperiment))!.status, 'queued', "beta's cancel did nothing");
  });

  test("a key cannot build on another project's dataset (404 as for none), and what it makes joins its project", async () => {
    const onTheirs = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: ids.alphaDataset, spec }, headers: as(beta) });
    const onNone = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: randomUUID(), spec }, headers: as(beta) });
    assert.equal(onTheirs.statusCode, 404, onTheirs.body);
    assert.equal(onTheirs.json().code, onNone.json().code);
    const onOwn = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: ids.betaDataset, spec }, headers: as(beta) });
    assert.equal(onOwn.statusCode, 201, onOwn.body);
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/v1/experiments', headers: as(alpha) })).json().items.map((item: { id: string }) => item.id), [ids.alphaExperiment]);
    // Idempotency-Keys are the lab's: one another project used is refused without naming its experiment.
    const keyed = (key: string, datasetId: string) => h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId, spec }, headers: { ...as(key), 'idempotency-key': 'sweep-42' } });
    const first = await keyed(alpha, ids.alphaDataset);
    assert.equal(first.statusCode, 201, first.body);
    const reused = await keyed(beta, ids.betaDataset);
    assert.equal(reused.statusCode, 409, reused.body);
    assert.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
    assert.ok(!reused.body.includes(first.json().experiment.id), reused.body);
  });
});

describe('projects on the inference server', () => {
  let inference: InferenceHarness;
  before(async () => { inference = await createInferenceHarness({ access: {} }); });
  after(async () => inference?.close());

  test("another project's model is MODEL_NOT_FOUND, as a model that does not exist; its own project's key gets past the check", async () => {
    const { db, blobs } = inference.services;
    const alpha = await inference.issueKey({ name: 'alpha', scopes: ['read', 'write'], project: 'alpha' });
    const beta = await inference.issueKey({ name: 'beta', scopes: ['read', 'write'], project: 'beta' });
    const project = (await db.projects.byName('alpha'))!.id;
    const dataset = await storeDataset({ db, blobs }, { noisy: encodeTiff(stack(2, 32)), psf }, { name: 'alpha data', noiseSigma: 0.03, projectId: project }, 'upload');
    const { runs } = await storeExperiment(db, { datasetId: dataset.id, spec: tinySpec(tinyTraining(2, 1)), idempotencyKey: null }, DEFAULT_LIMITS);
    const model = await db.models.saveForRun(runs[0].id, { onnxKey: 'models/x/decoder.onnx', files: {}, packageKey: null, sizeBytes: 1, opset: 17, meta: {} });
    const body = { shape: [8, 8], data: Buffer.alloc(256).toString('base64') };
    const deconvolve = (id: string, key: string) => inference.app.inject({ method: 'POST', url: `/v1/models/${id}/deconvolve`, payload: body, headers: { authorization: `Bearer ${key}` } });
    const none = randomUUID();
    const refused = await deconvolve(model.id, beta);
    const missing = await deconvolve(none, beta);
    assert.equal(refused.statusCode, 404);
    assert.deepEqual(answer(refused), JSON.parse(JSON.stringify(answer(missing)).replaceAll(none, model.id)));
    // Its run has not succeeded: the route's own 409, past the access check.
    assert.equal((await deconvolve(model.id, alpha)).statusCode, 409);
  });
});
