/**
 * POST /v1/deconvolutions end to end in one process (the API in-process, an inference worker in-process, the
 * machine's Postgres and Redis, a local blob store): a multipart batch of a multi-page stack, a page beyond the
 * memory budget (it tiles), a corrupt file and a stack with a non-finite page; the good stacks complete with their
 * output stacks (page order, pixel size) and manifest, the corrupt one and the bad page fail with their reasons, and
 * a retry after the page is fixed runs that page alone. Bad requests are 4xx with nothing queued or written; an
 * Idempotency-Key returns the first batch. The many-worker behaviour (kill -9, cancel, callback) is
 * test/batch-scale-out.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { inputPageKey } from '@divblur/batch';
import { createLogger } from '@divblur/config';
import { decodeTiff, encodeTiff, readTiffPixelSize, Random, toStack, type Stack } from '@divblur/imaging';
import { createInferenceServices, startInferenceWorker, type InferenceServices } from '@divblur/inference';
import { Validator } from '@seriousme/openapi-schema-validator';
import { waitFor } from './service-harness.ts';
import { batchForm, createBatchHarness, type BatchHarness } from './batch-harness.ts';

let h: BatchHarness;
let inference: InferenceServices;
let worker: Worker;
let cacheDir: string;

before(async () => {
  h = await createBatchHarness();
  cacheDir = await mkdtemp(join(tmpdir(), 'divblur-batch-cache-'));
  inference = createInferenceServices(h.config, createLogger({ logLevel: 'silent' }, { name: 'batch-worker' }), { modelCacheDir: cacheDir });
});
after(async () => {
  await worker?.close();
  await inference?.close();
  await h?.close();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

function stack(count: number, height: number, width: number, seed: number): Stack {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: count * height * width }, (_, i) => 0.3 + 0.2 * Math.sin(i / 23) + 0.03 * random.normal()), count, height, width };
}

const OPTIONS = { samples: 24, tolerance: 'none', std: true, memoryBudgetBytes: 2 ** 20 };
const settled = (id: string) => waitFor(`batch ${id} to settle`, async () => {
  const batch = await h.repos.batches.get(id);
  return batch?.finishedAt ? batch : undefined;
}, 240_000);
const get = async (url: string) => (await h.app.inject({ method: 'GET', url })).json();

describe('bad requests', () => {
  const post = async (body: unknown, headers: Record<string, string> = {}) => h.app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: body as object, headers });

  test('are refused with a 4xx that says why, and nothing is queued or written', async () => {
    await h.s3Bucket.put('night/readme.txt', Buffer.from('no images here'));
    const before = await h.counts();
    const json = (body: Record<string, unknown>) => ({ modelId: h.modelId, inputs: { datasetId: h.datasetId }, ...body });
    const cases: [unknown, number, string][] = [
      [json({ modelId: '00000000-0000-4000-8000-000000000000' }), 404, 'NOT_FOUND'],
      [json({ modelId: h.failedModelId }), 409, 'MODEL_NOT_SERVABLE'],
      [json({ inputs: { s3: 's3://lab-acquisitions/night/' } }), 400, 'S3_PREFIX_NO_TIFFS'],
      [json({ output: { to: 'datasets/mine/' } }), 400, 'OUTPUT_NOT_ALLOWED'],
      [json({ output: { to: 's3://elsewhere/deconvolutions/x/' } }), 400, 'OUTPUT_NOT_ALLOWED'],
      [json({ options: { samples: 0 } }), 400, 'VALIDATION'],
      [json({ options: { samples: 20_000 } }), 400, 'VALIDATION'],
      [json({ options: { tolerance: -0.1 } }), 400, 'VALIDATION'],
      [json({ options: { tolerance: 'fast' } }), 400, 'VALIDATION'],
      [json({ inputs: { datasetId: '00000000-0000-4000-8000-000000000000' } }), 404, 'NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(body);
      assert.equal(response.statusCode, status, `${JSON.stringify(body)}: ${response.body}`);
      assert.equal(response.json().code, code, response.body);
    }
    const noInputs = await batchForm({ modelId: h.modelId, options: JSON.stringify(OPTIONS) }, []);
    const missing = await h.app.inject({ method: 'POST', url: '/v1/deconvolutions', ...noInputs });
    assert.equal(missing.statusCode, 400, missing.body);
    assert.equal(missing.json().code, 'INPUTS_MISSING');
    const badField = await batchForm({ modelId: h.modelId, options: '{"samples": 0}' }, [{ name: 'a.tif', bytes: encodeTiff(stack(1, 16, 16, 1)) }]);
    const refused = await h.app.inject({ method: 'POST', url: '/v1/deconvolutions', ...badField });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.json().message, /field options\.samples/);
    assert.deepEqual(await h.counts(), before);
  });

  test('an Idempotency-Key returns the first batch for the same request and refuses another', async () => {
    const body = { modelId: h.modelId, inputs: { datasetId: h.datasetId }, options: { samples: 8 } };
    const first = await post(body, { 'idempotency-key': 'night-7' });
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(body, { 'idempotency-key': 'night-7' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().id, first.json().id);
    const other = await post({ ...body, options: { samples: 9 } }, { 'idempotency-key': 'night-7' });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(await h.repos.prisma.batch.count({ where: { idempotencyKey: 'night-7' } }), 1);
  });
});

test('a batch of a stack, a page beyond the budget, a corrupt file and a bad page: the good ones complete, the others fail with their reasons, a retry runs the fixed page alone', async () => {
  worker ??= startInferenceWorker(inference);
  const multi = stack(3, 40, 48, 2);
  const large = stack(1, 160, 150, 3);
  const withNaN = stack(2, 32, 32, 4);
  withNaN.data[32 * 32 + 100] = Number.NaN;
  const corrupt = encodeTiff(stack(1, 32, 32, 5)).slice(0, 60);
  const form = await batchForm({ modelId: h.modelId, options: JSON.stringify(OPTIONS), output: JSON.stringify({ to: 'deconvolutions/night-1/' }) }, [
    { name: 'z-stack.tif', bytes: encodeTiff(multi, { pixelSizeNm: 65, spacingNm: 200 }) },
    { name: 'large.tif', bytes: encodeTiff(large) },
    { name: 'corrupt.tif', bytes: corrupt },
    { name: 'bad-page.tif', bytes: encodeTiff(withNaN) },
  ]);
  const created = await h.app.inject({ method: 'POST', url: '/v1/deconvolutions', ...form });
  assert.equal(created.statusCode, 202, created.body);
  const { id } = created.json();
  assert.equal(created.headers.location, `/v1/deconvolutions/${id}`);
  assert.equal((await settled(id)).status, 'failed');

  const view = await get(`/v1/deconvolutions/${id}`);
  const byName = Object.fromEntries(view.inputs.map((input: { name: string }) => [input.name, input]));
  assert.equal(byName['z-stack'].status, 'succeeded');
  assert.equal(byName.large.status, 'succeeded');
  assert.equal(byName.corrupt.status, 'failed');
  assert.match(byName.corrupt.error, /^TIFF_(CORRUPT|TRUNCATED): /);
  assert.equal(byName['bad-page'].status, 'failed');
  assert.match(byName['bad-page'].error, /1 of 2 pages failed; page 1: NON_FINITE/);
  assert.deepEqual(view.pages, { done: 5, failed: 1, total: 6 });
  assert.ok(view.pagesPerHour > 0);

  // The outputs: page order, the input's page count, shape and pixel size; the std stack beside it.
  const zBytes = await h.blobs.getBuffer('deconvolutions/night-1/z-stack.mmse.tif');
  const z = decodeTiff(zBytes);
  assert.deepEqual([z.stack.count, z.stack.height, z.stack.width], [3, 40, 48]);
  assert.ok(Math.abs(readTiffPixelSize(zBytes).pixelSizeNm! - 65) < 1e-6 && Math.abs(readTiffPixelSize(zBytes).spacingNm! - 200) < 1e-6);
  assert.equal(decodeTiff(await h.blobs.getBuffer('deconvolutions/night-1/z-stack.std.tif')).stack.count, 3);
  assert.deepEqual([decodeTiff(await h.blobs.getBuffer('deconvolutions/night-1/large.mmse.tif')).stack.height, 150], [160, 150]);
  assert.equal(await h.blobs.exists('deconvolutions/night-1/bad-page.mmse.tif'), false);

  const manifest = await get(`/v1/deconvolutions/${id}/manifest`);
  assert.equal(manifest.pages.length, 6);
  const largePage = manifest.pages.find((p: { input: string }) => p.input === 'large');
  assert.ok(largePage.tiles > 1, `the large page ran as ${largePage.tiles} tiles`);
  for (const page of manifest.pages.filter((p: { status: string }) => p.status === 'succeeded')) {
    assert.equal(page.samplesUsed, 24);
    assert.ok(page.standardError > 0 && page.discrepancy > 0 && page.meanStd > 0 && page.seconds > 0, JSON.stringify(page));
  }
  const csv = (await h.app.inject({ method: 'GET', url: `/v1/deconvolutions/${id}/manifest?format=csv` }));
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(csv.body, /\r\ncorrupt,,failed,,0,,,,,,TIFF_/);
  assert.equal(await h.blobs.exists('deconvolutions/night-1/manifest.csv'), true);
  const tasks = await h.repos.batches.tasks(id);
  assert.ok(tasks.filter((t) => t.status === 'succeeded').every((t) => t.writes === 1));

  // Fix the page (as if the acquisition were re-exported) and retry: only it runs; nothing written is recomputed.
  const fixed = toStack([{ data: withNaN.data.slice(32 * 32).map((v) => (Number.isFinite(v) ? v : 0.3)), height: 32, width: 32 }]);
  const badInput = (await h.repos.batches.inputs(id)).find((input) => input.name === 'bad-page')!;
  await h.blobs.put(inputPageKey(id, badInput.ordinal, 1), encodeTiff(fixed));
  const retried = await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${id}/retry` });
  assert.equal(retried.statusCode, 202, retried.body);
  assert.equal(retried.json().round, 1);
  const second = await settled(id);
  assert.equal(second.status, 'failed', 'the corrupt input still fails the batch');
  const after = await get(`/v1/deconvolutions/${id}`);
  assert.deepEqual(after.pages, { done: 6, failed: 0, total: 6 });
  assert.equal(after.inputs.find((input: { name: string }) => input.name === 'bad-page').status, 'succeeded');
  const writes = (await h.repos.batches.tasks(id)).map((t) => t.writes);
  assert.deepEqual(writes, writes.map(() => 1), 'every page written once over both rounds');
  assert.equal(decodeTiff(await h.blobs.getBuffer('deconvolutions/night-1/bad-page.mmse.tif')).stack.count, 2);
  const nothing = await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${id}/retry` });
  assert.equal(nothing.statusCode, 409);
});

test('the deconvolution routes are in the API\'s OpenAPI 3.1 document, valid, with their media types and the one error shape', async () => {
  const document = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  const result = await new Validator().validate(document);
  assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
  const paths = Object.keys(document.paths).filter((path) => path.startsWith('/v1/deconvolutions')).sort();
  assert.deepEqual(paths, ['/v1/deconvolutions', '/v1/deconvolutions/{id}', '/v1/deconvolutions/{id}/cancel', '/v1/deconvolutions/{id}/manifest', '/v1/deconvolutions/{id}/retry']);
  const post = document.paths['/v1/deconvolutions'].post;
  assert.deepEqual(Object.keys(post.requestBody.content).sort(), ['application/json', 'multipart/form-data']);
  assert.deepEqual(Object.keys(document.paths['/v1/deconvolutions/{id}/manifest'].get.responses['200'].content).sort(), ['application/json', 'text/csv']);
  const list = document.paths['/v1/deconvolutions'].get;
  assert.deepEqual(list.parameters.map((parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`).sort(),
    ['query:cursor', 'query:limit', 'query:modelId', 'query:sort', 'query:status']);
  assert.deepEqual(Object.keys(list.responses['200'].content['application/json'].schema.properties).sort(), ['items', 'nextCursor']);
  for (const path of paths) {
    for (const [method, operation] of Object.entries(document.paths[path] as Record<string, { responses: Record<string, { content?: Record<string, { schema?: { properties?: object } }> }> }>)) {
      const errors = Object.entries(operation.responses).filter(([status]) => status.startsWith('4'));
      assert.ok(errors.length > 0, `${method} ${path}: no client errors documented`);
      for (const [status, response] of errors) {
        assert.deepEqual(Object.keys(response.content?.['application/json']?.schema?.properties ?? {}).sort(), ['code', 'error', 'message', 'requestId', 'statusCode'], `${method} ${path} ${status}`);
      }
    }
  }
});
