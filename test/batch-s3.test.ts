/**
 * A batch through S3 end to end (the blob store an s3rver bucket, as production's MinIO): the inputs are every TIFF
 * under an s3:// prefix of another bucket (listed by the API, read by the worker with the configuration's S3
 * connection), the outputs go to s3://<the store's bucket>/deconvolutions/…/; a prefix's non-TIFF objects are left
 * alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { createLogger } from '@divblur/config';
import { decodeTiff, encodeTiff, Random } from '@divblur/imaging';
import { createInferenceServices, startInferenceWorker, type InferenceServices } from '@divblur/inference';
import { waitFor } from './service-harness.ts';
import { createBatchHarness, type BatchHarness } from './batch-harness.ts';

let h: BatchHarness;
let inference: InferenceServices;
let worker: Worker;
let cacheDir: string;

before(async () => {
  h = await createBatchHarness({ store: 's3' });
  cacheDir = await mkdtemp(join(tmpdir(), 'divblur-batch-cache-'));
  inference = createInferenceServices(h.config, createLogger({ logLevel: 'silent' }, { name: 'batch-worker' }), { modelCacheDir: cacheDir });
  worker = startInferenceWorker(inference);
});
after(async () => {
  await worker?.close();
  await inference?.close();
  await h?.close();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

test('inputs under an s3:// prefix, outputs to the store\'s bucket: every TIFF deconvolved, other objects ignored', async () => {
  const random = new Random(8);
  const page = (count: number) => ({ data: Float32Array.from({ length: count * 32 * 32 }, () => 0.3 + 0.05 * random.normal()), count, height: 32, width: 32 });
  await h.s3Bucket.put('night-3/plate-a.tif', encodeTiff(page(2)));
  await h.s3Bucket.put('night-3/sub/plate-b.TIFF', encodeTiff(page(1)));
  await h.s3Bucket.put('night-3/notes.txt', Buffer.from('not an image'));
  const response = await h.app.inject({
    method: 'POST', url: '/v1/deconvolutions',
    payload: { modelId: h.modelId, inputs: { s3: 's3://lab-acquisitions/night-3/' }, options: { samples: 16 }, output: { to: 's3://divblur-batch/deconvolutions/night-3/' } },
  });
  assert.equal(response.statusCode, 202, response.body);
  const created = response.json();
  assert.deepEqual(created.inputs.map((input: { name: string }) => input.name), ['plate-a', 'plate-b']);
  assert.equal(created.output.uri, 's3://divblur-batch/deconvolutions/night-3/');
  const batch = await waitFor('the batch to settle', async () => { const b = await h.repos.batches.get(created.id); return b?.finishedAt ? b : undefined; }, 120_000);
  assert.equal(batch.status, 'succeeded', batch.error ?? '');
  assert.equal(decodeTiff(await h.blobs.getBuffer('deconvolutions/night-3/plate-a.mmse.tif')).stack.count, 2);
  assert.equal(decodeTiff(await h.blobs.getBuffer('deconvolutions/night-3/plate-b.mmse.tif')).stack.count, 1);
  assert.ok(await h.blobs.exists('deconvolutions/night-3/manifest.csv'));
  let copies = 0;
  for await (const _ of h.blobs.list(`batches/${created.id}/pages/`)) copies += 1;
  assert.equal(copies, 0, 'a succeeded batch keeps no per-page input copies');
});
