/**
 * A corpus of bad requests, as a LIMS integrator sends them, against the API (real Postgres, Redis,
 * a local blob store, s3rver for s3:// imports) and the inference server (production services).
 * Each must get a 4xx — never a 5xx, never a silent success — in the one error shape
 * `{ statusCode, code, error, message, requestId }`, and write nothing: the rows of every table, the
 * blobs, the blob store's folders (an empty `datasets/<id>/` counts) and the Redis keys of the test's
 * prefix are the same before and after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { InjectOptions } from 'fastify';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { S3BlobStore } from '@divblur/storage';
import { createS3Importer } from '../apps/api/src/lib/s3-import.ts';
import { createHarness, multipart, type Harness } from './api-harness.ts';
import { createInferenceHarness, type InferenceHarness } from './inference-harness.ts';
import { createBatchHarness, type BatchHarness } from './batch-harness.ts';

const stack = (count: number, size: number, value: (i: number) => number = (i) => (i % 13) / 13): Stack =>
  ({ data: Float32Array.from({ length: count * size * size }, (_, i) => value(i)), count, height: size, width: size });
const noisy = encodeTiff(stack(3, 32));
const tiff = (count: number, size: number) => encodeTiff(stack(count, size, () => 1));
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const MAX_UPLOAD_BYTES = 64 * 1024;
const spec = { method: 'divblurring', penalty: 'l2', lambda: 0.01, noiseSigma: 0.03, training: { steps: 5, patchSize: 32, batchSize: 4 } };
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every file and folder under `dir` (the blob store's temp folder included: a put that failed leaves nothing there). */
async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) out.push(join(entry.parentPath ?? dir, entry.name));
  return out.sort();
}

type Bad = { what: string; request: () => InjectOptions | Promise<InjectOptions>; status?: number; message?: RegExp };

function assertRefused(res: { statusCode: number; body: string; json(): unknown }, bad: Bad) {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${bad.what}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (bad.status !== undefined) assert.equal(res.statusCode, bad.status, `${bad.what}: ${res.body.slice(0, 300)}`);
  const body = res.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'requestId', 'statusCode'], `${bad.what}: ${res.body}`);
  assert.equal(body.statusCode, res.statusCode);
  assert.ok(typeof body.code === 'string' && body.code !== 'INTERNAL' && typeof body.requestId === 'string' && body.requestId.length > 0);
  if (bad.message) assert.match(String(body.message), bad.message, bad.what);
}

describe('the API refuses bad requests with a 4xx and writes nothing', () => {
  let h: Harness;
  let s3: S3rver;
  let s3Dir = '';
  let bucket: S3BlobStore;
  let datasetId = '';
  let experimentId = '';
  let runId = '';
  let firstDatasetsCursor = '';

  before(async () => {
    s3Dir = await mkdtemp(join(tmpdir(), 'divblur-corpus-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
    const { port } = await s3.run();
    const connection = { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    bucket = new S3BlobStore({ ...connection, bucket: 'lab-data' });
    await bucket.ensureBucket();
    await bucket.put('acq/noisy.tif', noisy);
    const importer = createS3Importer(connection, MAX_UPLOAD_BYTES, { locations: [{ bucket: 'lab-data', prefix: '' }, { bucket: 'no-such-bucket', prefix: '' }] });
    h = await createHarness({ s3Import: (uri) => importer.read(uri), limits: { maxUploadBytes: MAX_UPLOAD_BYTES } });
    // What a real client has by then: datasets (uploaded, so the store's folders exist), an experiment with runs and jobs.
    const created = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...(await multipart({ noisy: encodeTiff(stack(2, 48)), psf: tiff(1, 5) })) });
    assert.equal(created.statusCode, 201, created.body);
    datasetId = created.json().id;
    await h.app.inject({ method: 'POST', url: '/v1/datasets', ...(await multipart({ noisy })) });
    const experiment = await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId, spec: { ...spec, training: { ...spec.training, patchSize: 16 } } } });
    assert.equal(experiment.statusCode, 201, experiment.body);
    experimentId = experiment.json().experiment.id;
    runId = experiment.json().runs[0].id;
    firstDatasetsCursor = (await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=1' })).json().nextCursor;
    assert.ok(firstDatasetsCursor);
  });
  after(async () => {
    await h?.close();
    await bucket?.close();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  const get = (url: string, status?: number, message?: RegExp): Bad => ({ what: `GET ${url}`, request: () => ({ method: 'GET', url }), status, message });
  const getLazy = (what: string, url: () => string, status?: number, message?: RegExp): Bad => ({ what, request: () => ({ method: 'GET', url: url() }), status, message });
  const postExperiment = (what: string, body: () => unknown, status?: number, message?: RegExp): Bad =>
    ({ what: `experiment: ${what}`, request: () => ({ method: 'POST', url: '/v1/experiments', payload: body() as object }), status, message });
  const withSpec = (change: (s: typeof spec) => unknown) => () => ({ datasetId, spec: change(structuredClone(spec)) });
  const postDataset = (what: string, payload: unknown, status?: number, message?: RegExp): Bad =>
    ({ what: `dataset: ${what}`, request: () => ({ method: 'POST', url: '/v1/datasets', payload: payload as object }), status, message });
  const upload = (what: string, fields: () => Promise<Record<string, string | Uint8Array>> | Record<string, string | Uint8Array>, status?: number, message?: RegExp): Bad =>
    ({ what: `upload: ${what}`, request: async () => ({ method: 'POST', url: '/v1/datasets', ...(await multipart(await fields())) }), status, message });
  /** A multipart body written by hand: repeated fields, no boundary, cut short. */
  const rawUpload = (what: string, body: () => Promise<{ payload: Buffer; contentType: string }>, status?: number, message?: RegExp): Bad => ({
    what: `upload: ${what}`, status, message,
    request: async () => { const { payload, contentType } = await body(); return { method: 'POST', url: '/v1/datasets', payload, headers: { 'content-type': contentType } }; },
  });
  const form = async (parts: Array<[string, string | Uint8Array]>) => {
    const data = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, new Blob([value]), `${name}.tif`);
    }
    const request = new Request('http://localhost/', { method: 'POST', body: data });
    return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
  };

  const corpus: Bad[] = [
    // ids in paths and filters
    get('/v1/datasets/not-a-uuid', 400, /uuid/),
    get('/v1/experiments/abc', 400),
    get('/v1/runs/abc', 400),
    get('/v1/runs/abc/loss', 400),
    get('/v1/runs/abc/metrics', 400),
    get('/v1/models/abc', 400),
    get('/v1/models/abc/onnx', 400),
    get('/v1/models/abc/package', 400),
    get('/v1/experiments/%00/compare', 400),
    get(`/v1/runs/${UNKNOWN.slice(0, -1)}%00`, 400),
    { what: 'cancel of a malformed id', request: () => ({ method: 'POST', url: '/v1/experiments/abc/cancel' }), status: 400 },
    { what: 'cancel of an unknown experiment', request: () => ({ method: 'POST', url: `/v1/experiments/${UNKNOWN}/cancel` }), status: 404 },
    get(`/v1/datasets/${UNKNOWN}`, 404),
    get(`/v1/runs/${UNKNOWN}/metrics`, 404),
    get(`/v1/models/${UNKNOWN}/package`, 404),
    get(`/v1/experiments/${UNKNOWN}/compare`, 404),
    get('/v1/runs?experimentId=abc', 400, /experimentId/),
    get('/v1/experiments?datasetId=abc', 400),
    get(`/v1/runs?experimentId=${UNKNOWN}`, 404),
    // query parameters: values, numbers written as numbers, unknown names
    get('/v1/runs?status=done', 400),
    get('/v1/runs?penalty=tv', 400),
    get('/v1/runs?lambdaMin=abc', 400),
    get('/v1/runs?lambdaMin=1e400', 400),
    get('/v1/runs?lambdaMin=0x10', 400, /decimal/),
    get('/v1/runs?lambdaMin=-1', 400),
    get('/v1/runs?lambdaMin=2&lambdaMax=1', 400, /larger than/),
    get('/v1/runs?limit=0', 400),
    get('/v1/runs?limit=501', 400),
    get('/v1/runs?limit=1.5', 400),
    get('/v1/runs?limit=Infinity', 400),
    get('/v1/runs?limit=%2010', 400),
    get('/v1/runs?limit=', 400),
    get('/v1/runs?limit=10&limit=20', 400),
    get('/v1/runs?sort=-loss', 400),
    get('/v1/runs?sample=3', 400, /unknown query parameter "sample"/),
    get('/v1/datasets?foo=bar', 400),
    get('/v1/experiments?sort=name', 400),
    get('/v1/experiments?limit=-5', 400),
    getLazy('unknown parameter on a route without one', () => `/v1/datasets/${datasetId}?verbose=1`, 400),
    getLazy('loss format', () => `/v1/runs/${runId}/loss?format=xml`, 400),
    getLazy('loss points too few', () => `/v1/runs/${runId}/loss?points=1`, 400),
    getLazy('loss points huge', () => `/v1/runs/${runId}/loss?points=1000000000`, 400),
    // a run's images as PNG (routes/run-images.ts)
    get('/v1/runs/abc/images/0', 400, /uuid/),
    get(`/v1/runs/${UNKNOWN}/images/0`, 404),
    getLazy('image index negative', () => `/v1/runs/${runId}/images/-1`, 400),
    getLazy('image index not a number', () => `/v1/runs/${runId}/images/first`, 400),
    getLazy('image index fractional', () => `/v1/runs/${runId}/images/1.5`, 400),
    getLazy('image index huge', () => `/v1/runs/${runId}/images/99999999999`, 400),
    getLazy('image kind unknown', () => `/v1/runs/${runId}/images/0?kind=rgb`, 400),
    getLazy('image min not below max', () => `/v1/runs/${runId}/images/0?min=2&max=1`, 400, /min 2 must be below max 1/),
    getLazy('image min equal to max', () => `/v1/runs/${runId}/images/0?min=1&max=1`, 400, /below/),
    getLazy('image min not a number', () => `/v1/runs/${runId}/images/0?min=dark`, 400),
    getLazy('image percentile above 100', () => `/v1/runs/${runId}/images/0?highPercentile=101`, 400),
    getLazy('image percentiles crossed', () => `/v1/runs/${runId}/images/0?lowPercentile=90&highPercentile=10`, 400, /lowPercentile/),
    getLazy('image unknown parameter', () => `/v1/runs/${runId}/images/0?gamma=2`, 400),
    getLazy('image of a run not trained yet', () => `/v1/runs/${runId}/images/0`, 409, /no model/),
    getLazy('compare x', () => `/v1/experiments/${experimentId}/compare?x=sigma`, 400),
    getLazy('compare metric', () => `/v1/experiments/${experimentId}/compare?metric=mse`, 400),
    getLazy('compare groupBy', () => `/v1/experiments/${experimentId}/compare?groupBy=dataset`, 400),
    // cursors
    get('/v1/runs?cursor=zzz', 400, /cursor/),
    get(`/v1/runs?sort=created&cursor=${cursor(['created', 'garbage', UNKNOWN])}`, 400),
    get(`/v1/runs?sort=created&cursor=${cursor(['created', '2026-12-01T00:00:00.000Z', 'not-a-uuid'])}`, 400),
    get(`/v1/runs?sort=lambda&cursor=${cursor(['lambda', 'x', UNKNOWN])}`, 400),
    get(`/v1/runs?sort=lambda&cursor=${cursor(['lambda', null, UNKNOWN])}`, 400),
    get(`/v1/runs?cursor=${'A'.repeat(600)}`, 400),
    get('/v1/datasets?cursor=garbage', 400),
    get('/v1/experiments?cursor=garbage', 400),
    get(`/v1/datasets?cursor=${cursor(['-created', '2026-13-01T00:00:00.000Z', UNKNOWN])}`, 400),
    get(`/v1/datasets?cursor=${Buffer.from('\u0000').toString('base64url')}`, 400),
    get(`/v1/experiments?cursor=${cursor(['-created', 12, UNKNOWN])}`, 400),
    getLazy('a datasets cursor for another sort', () => `/v1/datasets?sort=created&cursor=${firstDatasetsCursor}`, 400, /sort/),
    // experiment bodies: bounds, strict types, unknown fields, duplicates, consistency with the dataset
    postExperiment('λ = 1e308', withSpec((s) => ({ ...s, lambda: 1e308 })), 400, /lambda/),
    postExperiment('steps = 1e12', withSpec((s) => ({ ...s, training: { ...s.training, steps: 1e12 } })), 400, /steps/),
    postExperiment('minutes = 1e9', withSpec((s) => ({ ...s, training: { patchSize: 32, minutes: 1e9 } })), 400, /minutes/),
    postExperiment('seed = 2^40', withSpec((s) => ({ ...s, training: { ...s.training, seed: 2 ** 40 } })), 400, /seed/),
    postExperiment('κ = 1e7', withSpec((s) => ({ ...s, kappa: 1e7 })), 400, /kappa/),
    postExperiment('"10" for steps', withSpec((s) => ({ ...s, training: { ...s.training, steps: '10' } })), 400, /steps/),
    postExperiment('"0.1" for λ', withSpec((s) => ({ ...s, lambda: '0.1' })), 400, /lambda/),
    postExperiment('null for λ', withSpec((s) => ({ ...s, lambda: null })), 400),
    postExperiment('a spec that is a string', () => ({ datasetId, spec: 'fast' }), 400),
    postExperiment('an unknown spec field', withSpec((s) => ({ ...s, sigma: 0.1 })), 400, /unknown field "sigma"/),
    postExperiment('an unknown training field', withSpec((s) => ({ ...s, training: { ...s.training, lr: 0.1 } })), 400, /lr/),
    postExperiment('an unknown top-level field', () => ({ datasetId, spec, priority: 1 }), 400),
    postExperiment('a NUL in an enum value', withSpec((s) => ({ ...s, penalty: 'l2\u0000' })), 400),
    postExperiment('"estimat" for σ', withSpec((s) => ({ ...s, noiseSigma: 'estimat' })), 400),
    postExperiment('kernel size 4', withSpec((s) => ({ ...s, network: { kernelSize: 4 } })), 400),
    postExperiment('batch size 0', withSpec((s) => ({ ...s, training: { ...s.training, batchSize: 0 } })), 400),
    postExperiment('learning rate 2', withSpec((s) => ({ ...s, training: { ...s.training, learningRate: 2 } })), 400),
    postExperiment('the same λ twice in a sweep', () => ({ datasetId, spec, sweep: { lambda: [0.1, 0.1] } }), 400, /duplicate|identical/),
    postExperiment('the same seed twice in a sweep', () => ({ datasetId, spec, sweep: { seed: [1, 2, 1] } }), 400),
    postExperiment('the same penalty twice in a sweep', () => ({ datasetId, spec, sweep: { penalty: ['l1', 'l1'] } }), 400),
    postExperiment('an empty sweep list', () => ({ datasetId, spec, sweep: { lambda: [] } }), 400),
    postExperiment('300 sweep values', () => ({ datasetId, spec, sweep: { lambda: Array.from({ length: 300 }, (_, i) => i / 1000) } }), 400),
    postExperiment('a sweep of 100 runs', () => ({ datasetId, spec, sweep: { lambda: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], kappa: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } }), 400, /runs/),
    postExperiment('a patch larger than the images', withSpec((s) => ({ ...s, training: { ...s.training, patchSize: 64 } })), 400, /larger than the dataset/),
    postExperiment('a patch not a multiple of 2^depth', withSpec((s) => ({ ...s, training: { ...s.training, patchSize: 30 } })), 400),
    postExperiment('a malformed dataset id', () => ({ datasetId: 'abc', spec }), 400),
    postExperiment('an unknown dataset', () => ({ datasetId: UNKNOWN, spec }), 404),
    { what: 'experiment: λ = 1e999 in the JSON text', request: () => ({ method: 'POST', url: '/v1/experiments', headers: { 'content-type': 'application/json' }, payload: `{"datasetId":"${datasetId}","spec":{"lambda":1e999,"training":{"steps":5,"patchSize":16}}}` }), status: 400 },
    { what: 'experiment: malformed JSON', request: () => ({ method: 'POST', url: '/v1/experiments', headers: { 'content-type': 'application/json' }, payload: '{"datasetId":' }), status: 400 },
    { what: 'experiment: an empty JSON body', request: () => ({ method: 'POST', url: '/v1/experiments', headers: { 'content-type': 'application/json' }, payload: '' }), status: 400 },
    { what: 'experiment: a JSON array', request: () => ({ method: 'POST', url: '/v1/experiments', payload: [1, 2] as unknown as object }), status: 400 },
    { what: 'experiment: text/plain', request: () => ({ method: 'POST', url: '/v1/experiments', headers: { 'content-type': 'text/plain' }, payload: 'lambda=1' }), status: 415 },
    { what: 'experiment: an Idempotency-Key of 300 characters', request: () => ({ method: 'POST', url: '/v1/experiments', payload: { datasetId, spec }, headers: { 'idempotency-key': 'k'.repeat(300) } }), status: 400 },
    { what: 'experiment: a body over the body limit', request: () => ({ method: 'POST', url: '/v1/experiments', headers: { 'content-type': 'application/json' }, payload: `{"datasetId":"${'x'.repeat(2 * 1024 * 1024)}"}` }), status: 413 },
    // datasets as JSON: s3:// URIs, synthetic specs, text Postgres would refuse
    postDataset('an s3:// bucket that does not exist', { s3: 's3://no-such-bucket/x.tif' }, 400, /s3:\/\/no-such-bucket\/x\.tif/),
    postDataset('an s3:// key that does not exist', { s3: 's3://lab-data/acq/missing.tif' }, 400, /s3:\/\/lab-data\/acq\/missing\.tif/),
    postDataset('a missing PSF beside an existing stack', { s3: { noisy: 's3://lab-data/acq/noisy.tif', psf: 's3://lab-data/acq/psf.tif' } }, 400, /psf\.tif/),
    postDataset('an invalid bucket name', { s3: 's3://A_B/x' }, 400),
    postDataset('an http URL for s3', { s3: 'http://lab-data/x.tif' }, 400),
    postDataset('a NUL in an s3 key', { s3: 's3://lab-data/a\u0000b' }, 400),
    postDataset('an s3 stack smaller than patchSize', { s3: 's3://lab-data/acq/noisy.tif', patchSize: 64 }, 400, /patch/),
    postDataset('a NUL in the name', { name: 'cells\u0000', synthetic: { preset: 'dataset1', n: 1, seed: 0, size: 16 } }, 400),
    postDataset('a lone surrogate in the name', { name: 'cells\ud800', synthetic: { preset: 'dataset1', n: 1, seed: 0, size: 16 } }, 400),
    postDataset('a name of 500 characters', { name: 'n'.repeat(500), synthetic: { preset: 'dataset1', n: 1, seed: 0, size: 16 } }, 400),
    postDataset('an unknown preset', { synthetic: { preset: 'dataset3', n: 1, seed: 0 } }, 400),
    postDataset('"2" for n', { synthetic: { preset: 'dataset1', n: '2', seed: 0 } }, 400),
    postDataset('n = 1e9', { synthetic: { preset: 'dataset1', n: 1e9, seed: 0 } }, 400),
    postDataset('a synthetic size of 8', { synthetic: { preset: 'dataset1', n: 1, seed: 0, size: 8 } }, 400),
    postDataset('a synthetic seed of 2^40', { synthetic: { preset: 'dataset1', n: 1, seed: 2 ** 40 } }, 400),
    postDataset('an unknown synthetic field', { synthetic: { preset: 'dataset1', n: 1, seed: 0, fwhm: 3 } }, 400),
    postDataset('both sources', { s3: 's3://lab-data/acq/noisy.tif', synthetic: { preset: 'dataset1', n: 1, seed: 0 } }, 400, /exactly one/),
    postDataset('neither source', { name: 'x' }, 400, /exactly one/),
    postDataset('a negative pixel size', { pixelSizeNm: -1, s3: 's3://lab-data/acq/noisy.tif' }, 400),
    postDataset('σ = 1e300', { noiseSigma: 1e300, s3: 's3://lab-data/acq/noisy.tif' }, 400),
    // multipart uploads
    rawUpload('no boundary', async () => ({ payload: Buffer.from('--x\r\n\r\n'), contentType: 'multipart/form-data' }), 400),
    rawUpload('cut short inside the file', async () => {
      const { payload, contentType } = await form([['name', 'cut'], ['noisy', noisy]]);
      return { payload: payload.subarray(0, payload.length - 2000), contentType };
    }, 400),
    rawUpload('cut short inside the part headers', async () => {
      const { payload, contentType } = await form([['noisy', noisy]]);
      return { payload: payload.subarray(0, 60), contentType };
    }, 400),
    rawUpload('a body that is not multipart at all', async () => ({ payload: Buffer.from('hello'), contentType: 'multipart/form-data; boundary=zzz' }), 400),
    rawUpload('the noisy file twice', () => form([['noisy', noisy], ['noisy', noisy]]), 400, /twice/),
    rawUpload('the name twice', () => form([['name', 'a'], ['name', 'b'], ['noisy', noisy]]), 400, /twice/),
    rawUpload('the psf twice after noisy', () => form([['noisy', noisy], ['psf', tiff(1, 5)], ['psf', tiff(1, 3)]]), 400, /twice/),
    rawUpload('four files', () => form([['noisy', noisy], ['gt', noisy], ['psf', tiff(1, 5)], ['extra', noisy]]), undefined),
    upload('a file field named image', () => ({ image: noisy }), 400, /unexpected file field "image"/),
    upload('an unknown text field', () => ({ noisy, sigma: '0.1' }), 400, /sigma/),
    upload('an empty noisy file', () => ({ noisy: new Uint8Array(0) }), 400, /empty/),
    upload('a noisy file that is not a TIFF', () => ({ noisy: new TextEncoder().encode('not an image') }), 400),
    upload('a truncated TIFF', () => ({ noisy: noisy.subarray(0, noisy.length - 100) }), 400),
    upload('a file larger than the limit', () => ({ noisy: encodeTiff(stack(20, 64)) }), 413, /limit/),
    upload('a PSF as large as the images', () => ({ noisy, psf: tiff(1, 33) }), 400, /smaller than the images/),
    upload('a patch size not larger than the PSF', () => ({ noisy, psf: tiff(1, 17), patchSize: '16' }), 400, /smaller than patchSize/),
    upload('a ground truth of another shape', () => ({ noisy, gt: tiff(2, 32) }), 400, /must match/),
    upload('a PSF of two pages', () => ({ noisy, psf: tiff(2, 5) }), 400),
    upload('"1e1" for patchSize', () => ({ noisy, patchSize: '1e1' }), 400, /decimal/),
    upload('"abc" for patchSize', () => ({ noisy, patchSize: 'abc' }), 400),
    upload('σ = 0', () => ({ noisy, noiseSigma: '0' }), 400),
    upload('a NUL in the name', () => ({ noisy, name: 'a\u0000b' }), 400),
    upload('a name field of 2000 characters', () => ({ noisy, name: 'n'.repeat(2000) }), 400),
    upload('only fields, no noisy file', () => ({ name: 'x' }), 400, /noisy/),
    { what: 'upload: multipart/mixed', request: () => ({ method: 'POST', url: '/v1/datasets', headers: { 'content-type': 'multipart/mixed; boundary=x' }, payload: '--x--' }), status: 415 },
    // routes and methods that do not exist
    get('/v1/nope', 404),
    { what: 'DELETE /v1/datasets', request: () => ({ method: 'DELETE', url: '/v1/datasets' }), status: 404 },
    { what: 'POST /v1/runs', request: () => ({ method: 'POST', url: '/v1/runs', payload: {} }), status: 404 },
  ];

  test(`the corpus has at least 60 bad requests (${corpus.length})`, () => {
    assert.ok(corpus.length >= 60);
  });

  for (const bad of corpus) {
    test(`refuses ${bad.what}`, async () => {
      const before = { ...(await h.counts()), entries: await entries(h.blobDir) };
      const res = await h.app.inject(await bad.request());
      assertRefused(res, bad);
      assert.deepEqual({ ...(await h.counts()), entries: await entries(h.blobDir) }, before, `${bad.what} wrote something`);
    });
  }

  test('the last page of every list has no cursor, and a list is newest first', async () => {
    const newest = (await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=2' })).json();
    assert.equal(newest.nextCursor, null, 'two datasets, a page of two: no next page');
    assert.ok(newest.items[0].createdAt >= newest.items[1].createdAt);
    const oldest = (await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=1&sort=created' })).json();
    assert.equal(oldest.items[0].id, datasetId);
    const second = (await h.app.inject({ method: 'GET', url: `/v1/datasets?limit=1&sort=created&cursor=${oldest.nextCursor}` })).json();
    assert.equal(second.items.length, 1);
    assert.equal(second.nextCursor, null);
    const runs = (await h.app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experimentId}&limit=1` })).json();
    assert.equal(runs.items.length, 1);
    assert.equal(runs.nextCursor, null, 'one run, a page of one');
    const experiments = (await h.app.inject({ method: 'GET', url: `/v1/experiments?datasetId=${datasetId}&limit=1` })).json();
    assert.deepEqual([experiments.items.length, experiments.nextCursor], [1, null]);
  });
});

describe('the inference server refuses bad requests with a 4xx and writes nothing', () => {
  let h: InferenceHarness;
  before(async () => { h = await createInferenceHarness(); });
  after(async () => h?.close());

  const deconvolve = (what: string, query: string, body: { payload: string | Buffer | object; type?: string }, status?: number, message?: RegExp): Bad => ({
    what, status, message,
    request: () => ({
      method: 'POST', url: `/v1/models/${UNKNOWN}/deconvolve${query}`, payload: body.payload as string,
      ...(body.type ? { headers: { 'content-type': body.type } } : {}),
    }),
  });
  const image = { payload: Buffer.from(tiff(1, 16)), type: 'image/tiff' };
  const json = (value: unknown) => ({ payload: JSON.stringify(value), type: 'application/json' });
  const floats = (n: number) => Buffer.from(new Float32Array(n).buffer).toString('base64');

  const corpus: Bad[] = [
    { what: 'a malformed model id', request: () => ({ method: 'POST', url: '/v1/models/abc/deconvolve', payload: image.payload, headers: { 'content-type': 'image/tiff' } }), status: 400, message: /uuid/ },
    deconvolve('an unknown model', '', image, 404),
    deconvolve('a typo in a query parameter', '?sample=10', image, 400, /unknown query parameter "sample"/),
    deconvolve('samples = 0', '?samples=0', image, 400),
    deconvolve('samples = 10001', '?samples=10001', image, 400),
    deconvolve('samples = 1e2', '?samples=1e2', image, 400, /decimal/),
    deconvolve('samples = abc', '?samples=abc', image, 400),
    deconvolve('seed = -1', '?seed=-1', image, 400),
    deconvolve('seed = 2^33', '?seed=8589934592', image, 400),
    deconvolve('std = yes', '?std=yes', image, 400),
    deconvolve('dihedral = 2', '?dihedral=2', image, 400),
    deconvolve('a TIFF body that is not a TIFF', '', { payload: Buffer.from('not a tiff'), type: 'image/tiff' }, 400),
    deconvolve('an empty TIFF body', '', { payload: Buffer.alloc(0), type: 'image/tiff' }, 400),
    deconvolve('a TIFF of two images', '', { payload: Buffer.from(tiff(2, 16)), type: 'image/tiff' }, 400, /2 images/),
    deconvolve('text/plain', '', { payload: 'pixels', type: 'text/plain' }, 415),
    deconvolve('JSON: data of the wrong length', '', json({ shape: [4, 4], data: floats(15) }), 400),
    deconvolve('JSON: data not base64', '', json({ shape: [4, 4], data: '!!!!' }), 400),
    deconvolve('JSON: a zero side', '', json({ shape: [0, 4], data: '' }), 400),
    deconvolve('JSON: sides as strings', '', json({ shape: ['4', '4'], data: floats(16) }), 400),
    deconvolve('JSON: an unknown field', '', json({ shape: [4, 4], data: floats(16), samples: 10 }), 400),
    deconvolve('JSON: a shape of five dimensions', '', json({ shape: [1, 1, 1, 4, 4], data: floats(16) }), 400),
    deconvolve('JSON: no data', '', json({ shape: [4, 4] }), 400),
    deconvolve('JSON: malformed', '', { payload: '{"shape":', type: 'application/json' }, 400),
    deconvolve('JSON: an array', '', json([1, 2, 3]), 400),
    { what: 'an unknown route', request: () => ({ method: 'GET', url: '/v1/nope' }), status: 404, message: /no route/ },
    { what: 'GET on the deconvolve route', request: () => ({ method: 'GET', url: `/v1/models/${UNKNOWN}/deconvolve` }), status: 404 },
    { what: 'an unknown parameter on /healthz', request: () => ({ method: 'GET', url: '/healthz?x=1' }), status: 400 },
  ];

  for (const bad of corpus) {
    test(`refuses ${bad.what}`, async () => {
      const snapshot = async () => ({
        entries: await entries(h.blobDir), models: await h.services.db.prisma.model.count(),
        redisKeys: (await h.services.redis.keys(`${h.services.config.queuePrefix}:*`)).length,
      });
      const before = await snapshot();
      const res = await h.app.inject(await bad.request());
      assertRefused(res, bad);
      assert.deepEqual(await snapshot(), before, `${bad.what} wrote something`);
    });
  }
});

describe('the batch list (GET /v1/deconvolutions, the API with its batch path) refuses bad queries with a 400 and writes nothing', () => {
  let h: BatchHarness;
  let createdCursor = '';
  before(async () => {
    h = await createBatchHarness();
    for (let i = 0; i < 2; i += 1) {
      const created = await h.app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: { modelId: h.modelId, inputs: { datasetId: h.datasetId } } });
      assert.equal(created.statusCode, 202, created.body);
    }
    createdCursor = (await h.app.inject({ method: 'GET', url: '/v1/deconvolutions?limit=1&sort=created' })).json().nextCursor;
    assert.ok(createdCursor);
  });
  after(async () => h?.close());

  const list = (what: string, query: () => string, message?: RegExp): Bad => ({ what: `batch list: ${what}`, request: () => ({ method: 'GET', url: `/v1/deconvolutions${query()}` }), status: 400, message });
  const corpus: Bad[] = [
    list('a cursor that is not base64 JSON', () => '?cursor=zzz', /cursor/),
    list('a cursor whose key is not a time', () => `?cursor=${cursor(['-created', 'garbage', UNKNOWN])}`, /cursor/),
    list('a cursor whose id is not a UUID', () => `?cursor=${cursor(['-created', '2026-12-01T00:00:00.000Z', 'not-a-uuid'])}`, /cursor/),
    list('a cursor of 600 characters', () => `?cursor=${'A'.repeat(600)}`),
    list('a cursor made for the other sort', () => `?cursor=${createdCursor}`, /sort/),
    list('limit = 0', () => '?limit=0'),
    list('limit = 501', () => '?limit=501'),
    list('limit = 1.5', () => '?limit=1.5'),
    list('limit = abc', () => '?limit=abc'),
    list('status = done', () => '?status=done'),
    list('status empty', () => '?status='),
    list('status twice', () => '?status=queued&status=failed'),
    list('modelId not a UUID', () => '?modelId=abc', /uuid/),
    list('modelId with a tail', () => `?modelId=${UNKNOWN}x`, /uuid/),
    list('sort = newest', () => '?sort=newest'),
    list('a typo in a query parameter', () => '?model=x', /unknown query parameter "model"/),
  ];

  for (const bad of corpus) {
    test(`refuses ${bad.what}`, async () => {
      const before = await h.counts();
      const res = await h.app.inject(await bad.request());
      assertRefused(res, bad);
      assert.deepEqual(await h.counts(), before, `${bad.what} wrote something`);
    });
  }
});
