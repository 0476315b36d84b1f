import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { S3BlobStore } from '@divblur/storage';
import { createS3Importer } from '../apps/api/src/lib/s3-import.ts';
import { createHarness, multipart, type Harness } from './api-harness.ts';

function stack(count: number, height: number, width: number, value: (i: number) => number = (i) => (i % 17) / 17): Stack {
  return { data: Float32Array.from({ length: count * height * width }, (_, i) => value(i)), count, height, width };
}
const noisy = encodeTiff(stack(3, 32, 32));
const gt = encodeTiff(stack(3, 32, 32, (i) => (i % 5) / 5));
const psf = (size: number, value = 1) => encodeTiff(stack(1, size, size, () => value));

describe('POST /v1/datasets', () => {
  let h: Harness;
  let s3: S3rver;
  let s3Dir = '';
  let bucket: S3BlobStore;
  before(async () => {
    s3Dir = await mkdtemp(join(tmpdir(), 'divblur-api-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
    const { port } = await s3.run();
    const connection = { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    bucket = new S3BlobStore({ ...connection, bucket: 'lab-data' });
    await bucket.ensureBucket();
    await bucket.put('acq/noisy.tif', noisy);
    const importer = createS3Importer(connection, 1 << 30, { locations: [{ bucket: 'lab-data', prefix: '' }, { bucket: 'no-such-bucket', prefix: '' }] });
    h = await createHarness({ s3Import: (uri) => importer.read(uri) });
  });
  after(async () => {
    await h?.close();
    await bucket?.close();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  test('stores an upload with ground truth and PSF: row, blobs, GET', async () => {
    const form = await multipart({ name: 'cells', pixelSizeNm: '25', noiseSigma: '0.03', noisy, gt, psf: psf(5) });
    const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.name, 'cells');
    assert.deepEqual([body.count, body.height, body.width], [3, 32, 32]);
    assert.deepEqual(body.psfShape, [5, 5]);
    assert.equal(body.noiseSigma, 0.03);
    assert.equal(body.dtype, 'float32');
    assert.ok(body.stats.max <= 1 && body.stats.min === 0);
    assert.deepEqual(await h.blobs.getBuffer(body.noisyKey), Buffer.from(noisy));
    assert.ok(await h.blobs.exists(body.gtKey));
    const got = await h.app.inject({ method: 'GET', url: `/v1/datasets/${body.id}` });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().sha256, body.sha256);
    const list = await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=10' });
    assert.ok(list.json().items.some((d: { id: string }) => d.id === body.id));
  });

  const badUploads: Array<[string, () => Promise<Record<string, string | Uint8Array>>, RegExp]> = [
    ['a file that is not a TIFF', async () => ({ noisy: new TextEncoder().encode('hello, not an image') }), /TIFF/i],
    ['a truncated TIFF', async () => ({ noisy: noisy.subarray(0, noisy.length - 100) }), /truncat|past the end|end of the file/i],
    ['pages of different sizes', async () => ({ noisy: await readFile(new URL('../libs/imaging/fixtures/io/pages-of-different-sizes.tif', import.meta.url)) }), /page 1 is 7×6/],
    ['NaN pixels', async () => ({ noisy: encodeTiff(stack(2, 32, 32, (i) => (i === 40 ? NaN : 1))) }), /NaN/],
    ['images smaller than the patch size', async () => ({ noisy, patchSize: '64' }), /smaller than the patch size 64/],
    ['an even-sized PSF', async () => ({ noisy, psf: psf(4) }), /odd/],
    ['a negative PSF', async () => ({ noisy, psf: psf(5, -1) }), /≥ 0/],
    ['σ ≤ 0', async () => ({ noisy, noiseSigma: '0' }), /noiseSigma/],
    ['a ground truth of another shape', async () => ({ noisy, gt: encodeTiff(stack(2, 32, 32)) }), /must match/],
    ['no noisy file', async () => ({ name: 'x' }), /noisy/],
  ];
  for (const [what, fields, message] of badUploads) {
    test(`refuses ${what} with a 400 and writes nothing`, async () => {
      const before = await h.counts();
      const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...(await multipart(await fields())) });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().message, message);
      assert.deepEqual(await h.counts(), before);
    });
  }

  test('imports an s3:// URI', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: { s3: 's3://lab-data/acq/noisy.tif', name: 'from-s3' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().source, 's3');
    assert.deepEqual(await h.blobs.getBuffer(res.json().noisyKey), Buffer.from(noisy));
  });

  test('refuses an s3:// URI that does not exist, and a malformed one, writing nothing', async () => {
    const before = await h.counts();
    for (const uri of ['s3://lab-data/acq/missing.tif', 's3://no-such-bucket/x.tif', 's3://A_B/x']) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: { s3: uri } });
      assert.equal(res.statusCode, 400, `${uri}: ${res.body}`);
    }
    assert.deepEqual(await h.counts(), before);
  });

  test('simulates a synthetic dataset1: ground truth, PSF, σ and pixel size from the preset; same seed, same bytes', async () => {
    const payload = { synthetic: { preset: 'dataset1', n: 2, seed: 7, size: 64 } };
    const first = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload });
    assert.equal(first.statusCode, 201, first.body);
    const body = first.json();
    assert.deepEqual([body.source, body.count, body.height, body.width, body.noiseSigma, body.pixelSizeNm], ['synthetic', 2, 64, 64, 0.03, 25]);
    assert.ok(body.gtKey && body.psfKey);
    assert.equal(body.psfShape[0] % 2, 1);
    const second = (await h.app.inject({ method: 'POST', url: '/v1/datasets', payload })).json();
    assert.equal(second.sha256, body.sha256);
    const other = (await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: { synthetic: { ...payload.synthetic, seed: 8 } } })).json();
    assert.notEqual(other.sha256, body.sha256);
  });

  test('refuses a JSON body with neither or both sources', async () => {
    for (const payload of [{ name: 'x' }, { s3: 's3://lab-data/acq/noisy.tif', synthetic: { preset: 'dataset1', n: 1, seed: 0 } }]) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /exactly one/);
    }
  });

  test('an unknown dataset id is a 404 naming it; an id that is not a UUID a 400', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const res = await h.app.inject({ method: 'GET', url: `/v1/datasets/${id}` });
    assert.equal(res.statusCode, 404);
    assert.match(res.json().message, new RegExp(id));
    const malformed = await h.app.inject({ method: 'GET', url: '/v1/datasets/not-a-uuid' });
    assert.equal(malformed.statusCode, 400);
    assert.match(malformed.json().message, /params\/id must match format "uuid"/);
  });
});
