import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTiff, type Stack } from '@divblur/imaging';
import { createHarness, multipart, type Harness } from './api-harness.ts';

const stack = (count: number, size: number, value: (i: number) => number): Stack =>
  ({ data: Float32Array.from({ length: count * size * size }, (_, i) => value(i)), count, height: size, width: size });

const spec = { method: 'divblurring', penalty: 'l2', lambda: 0.01, noiseSigma: 0.03, training: { steps: 5, patchSize: 32, batchSize: 4 } };

/** The figures an evaluation records; only PSNR and SSIM are set here. */
const figures = (psnrMmse: number | null, psnrSamples: number | null, ssim: number | null) =>
  ({ psnrMmse, psnrSamples, ssim, discrepancy: null, meanStd: null, samples: 100 });

describe('experiments, runs, comparisons', () => {
  let h: Harness;
  let datasetId = '';
  let noPsfDatasetId = '';
  let widePsfDatasetId = '';
  before(async () => {
    h = await createHarness({ limits: { maxSweepRuns: 8 } });
    const form = await multipart({ noisy: encodeTiff(stack(2, 48, (i) => i % 7)), psf: encodeTiff(stack(1, 5, () => 1)) });
    datasetId = (await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form })).json().id;
    const bare = await multipart({ noisy: encodeTiff(stack(2, 48, (i) => i % 3)) });
    noPsfDatasetId = (await h.app.inject({ method: 'POST', url: '/v1/datasets', ...bare })).json().id;
    const wide = await multipart({ noisy: encodeTiff(stack(2, 48, (i) => i % 5)), psf: encodeTiff(stack(1, 9, () => 1)) });
    widePsfDatasetId = (await h.app.inject({ method: 'POST', url: '/v1/datasets', ...wide })).json().id;
  });
  after(async () => h?.close());

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/v1/experiments', payload: payload as object, headers });

  test('a 2-point sweep makes 2 runs and one BullMQ flow (parent + 2 children)', async () => {
    const res = await post({ datasetId, spec, sweep: { lambda: [1e-3, 1e-2] } });
    assert.equal(res.statusCode, 201, res.body);
    const { experiment, runs } = res.json();
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r: { lambda: number }) => r.lambda), [1e-3, 1e-2]);
    assert.equal(runs[0].params.network.latentChannels, 64); // defaults filled
    // libs/queue's flow: `train-run` children on `training`, the `finish-experiment` parent on `experiments`.
    const child = await h.redis.hgetall(`${h.prefix}:training:train-${runs[0].id}`);
    assert.equal(child.name, 'train-run');
    assert.deepEqual(JSON.parse(child.data), { runId: runs[0].id, experimentId: experiment.id });
    const parent = await h.redis.hgetall(`${h.prefix}:experiments:experiment-${experiment.id}`);
    assert.equal(parent.name, 'finish-experiment');
    assert.equal(await h.redis.llen(`${h.prefix}:training:wait`), 2);
    const got = (await h.app.inject({ method: 'GET', url: `/v1/experiments/${experiment.id}` })).json();
    assert.deepEqual(got.runStatus, { queued: 2 });
  });

  test('Idempotency-Key: a retried POST returns the first experiment and enqueues nothing more', async () => {
    const key = { 'idempotency-key': 'lims-order-42' };
    const first = await post({ datasetId, spec, sweep: { penalty: ['l1', 'l2'] } }, key);
    assert.equal(first.statusCode, 201);
    const before = await h.counts();
    const again = await post({ datasetId, spec, sweep: { penalty: ['l1', 'l2'] } }, key);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().experiment.id, first.json().experiment.id);
    assert.equal(again.json().created, false);
    assert.deepEqual(await h.counts(), before);
    const other = await post({ datasetId, spec: { ...spec, lambda: 1 } }, key);
    assert.equal(other.statusCode, 409);
    assert.match(other.json().message, /different body/);
  });

  const bad: Array<[string, () => unknown, number, RegExp]> = [
    ['λ < 0', () => ({ datasetId, spec: { ...spec, lambda: -0.1 } }), 400, /lambda/],
    ['λ < 0 in a sweep', () => ({ datasetId, spec, sweep: { lambda: [0.1, -1] } }), 400, /lambda/],
    ['σ ≤ 0', () => ({ datasetId, spec: { ...spec, noiseSigma: 0 } }), 400, /noiseSigma/],
    ['an unknown penalty', () => ({ datasetId, spec: { ...spec, penalty: 'tv' } }), 400, /spec\/penalty must be one of none, l1, l2, positivity, positivity_l1/],
    ['a sweep larger than the cap', () => ({ datasetId, spec, sweep: { lambda: [1, 2, 3], kappa: [1, 2, 3] } }), 400, /9 runs; at most 8/],
    ['a patch larger than the images', () => ({ datasetId, spec: { ...spec, training: { ...spec.training, patchSize: 64 } } }), 400, /larger than the dataset's images/],
    ['divblurring on a dataset without PSF', () => ({ datasetId: noPsfDatasetId, spec }), 400, /no PSF/],
    ['a PSF not smaller than the patch', () => ({ datasetId: widePsfDatasetId, spec: { ...spec, training: { ...spec.training, patchSize: 8 } } }), 400, /PSF \(9×9 px\) must be smaller/],
    ['filters not matching the depth', () => ({ datasetId, spec: { ...spec, network: { depth: 3, filters: [8, 16] } } }), 400, /filters lists 2 counts/],
    ['a patch not a multiple of 2^depth', () => ({ datasetId, spec: { ...spec, training: { ...spec.training, patchSize: 30 } } }), 400, /multiple of 2\^depth = 4/],
    ['both steps and minutes', () => ({ datasetId, spec: { ...spec, training: { ...spec.training, minutes: 1 } } }), 400, /not both/],
    ['no training budget', () => ({ datasetId, spec: { ...spec, training: { patchSize: 32 } } }), 400, /steps or minutes/],
    ['an unknown dataset', () => ({ datasetId: '00000000-0000-4000-8000-000000000000', spec }), 404, /dataset .* does not exist/],
  ];
  for (const [what, body, status, message] of bad) {
    test(`refuses ${what} (${status}) and writes nothing`, async () => {
      const before = await h.counts();
      const res = await post(body());
      assert.equal(res.statusCode, status, res.body);
      assert.match(res.json().message, message);
      assert.deepEqual(await h.counts(), before);
    });
  }

  test('cancel marks queued runs cancelled and removes their jobs', async () => {
    const { experiment, runs } = (await post({ datasetId, spec, sweep: { seed: [1, 2, 3] } })).json();
    const res = await h.app.inject({ method: 'POST', url: `/v1/experiments/${experiment.id}/cancel` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().experiment.status, 'cancelled');
    assert.deepEqual(new Set(res.json().cancelledRuns), new Set(runs.map((r: { id: string }) => r.id)));
    for (const run of runs) assert.equal(await h.redis.exists(`${h.prefix}:training:train-${run.id}`), 0);
    assert.equal(await h.redis.exists(`${h.prefix}:experiments:experiment-${experiment.id}`), 0);
    const unknown = await h.app.inject({ method: 'POST', url: '/v1/experiments/00000000-0000-4000-8000-000000000000/cancel' });
    assert.equal(unknown.statusCode, 404);
  });

  test('GET /v1/runs filters, sorts by psnr_mmse (nulls last) and pages with cursors, no row twice', async () => {
    const lambdas = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];
    const { experiment, runs } = (await post({ datasetId, spec, sweep: { lambda: lambdas } })).json();
    // Train and evaluate 6 of the 8 runs, as the trainer and the evaluation record them: psnr rises then falls with λ.
    for (const [i, run] of runs.entries()) {
      if (i >= 6) continue;
      await h.db.runs.start({ id: run.id, experimentId: experiment.id, startedAt: null });
      await h.db.runs.trained(run.id, { steps: 5, trainMs: 10, noiseSigma: 0.03 });
      await h.db.metrics.recordEvaluation(run.id, null, 'heldout', figures(30 - (i - 3) ** 2, 29 - (i - 3) ** 2, null), 10);
    }
    const seen: Array<{ id: string; psnrMmse: number | null }> = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/runs?experimentId=${experiment.id}&sort=-psnr_mmse&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await h.app.inject({ method: 'GET', url });
      assert.equal(page.statusCode, 200, page.body);
      seen.push(...page.json().items);
      cursor = page.json().nextCursor;
    } while (cursor);
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen.map((r) => r.id)).size, 8);
    const psnrs = seen.map((r) => r.psnrMmse);
    assert.deepEqual(psnrs.slice(0, 6), [30, 29, 29, 26, 26, 21]);
    assert.deepEqual(psnrs.slice(6), [null, null]);

    const filtered = (await h.app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experiment.id}&lambdaMin=1e-3&lambdaMax=1e-2&sort=lambda` })).json();
    assert.deepEqual(filtered.items.map((r: { lambda: number }) => r.lambda), [1e-3, 3e-3, 1e-2]);
    const succeeded = (await h.app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experiment.id}&status=succeeded&penalty=l2` })).json();
    assert.equal(succeeded.items.length, 6);
    for (const url of ['/v1/runs?sort=-loss', '/v1/runs?penalty=tv', '/v1/runs?lambdaMin=2&lambdaMax=1', '/v1/runs?cursor=zzz', '/v1/runs?lambdaMin=-1']) {
      assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 400, url);
    }
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/runs/00000000-0000-4000-8000-000000000000' })).statusCode, 404);

    // compare: JSON, CSV, SVG, with RL / Wiener baselines as horizontal lines
    await h.db.baselines.add({ datasetId, method: 'richardson_lucy', imageSet: 'heldout', psnr: 27.5, ssim: 0.8, params: {} });
    await h.db.baselines.add({ datasetId, method: 'wiener', imageSet: 'heldout', psnr: 26, ssim: 0.7, params: {} });
    const json = (await h.app.inject({ method: 'GET', url: `/v1/experiments/${experiment.id}/compare?x=lambda&metric=psnr_mmse&groupBy=penalty&format=json` })).json();
    assert.deepEqual(json.rows.map((r: { x: number }) => r.x), lambdas);
    assert.equal(json.rows[3].value, 30);
    assert.deepEqual(json.baselines, [{ method: 'richardson_lucy', value: 27.5 }, { method: 'wiener', value: 26 }]);
    const csv = await h.app.inject({ method: 'GET', url: `/v1/experiments/${experiment.id}/compare?format=csv` });
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'kind,group,lambda,psnr_mmse,runs,finished');
    assert.equal(lines.length, 1 + 8 + 2);
    assert.ok(lines.includes('run,l2,0.003,30,1,1'), lines.join('\n'));
    const svg = await h.app.inject({ method: 'GET', url: `/v1/experiments/${experiment.id}/compare?format=svg` });
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.body.match(/<polyline/g)?.length, 1);
    assert.equal(svg.body.match(/data-baseline=/g)?.length, 2);
    assert.ok(svg.body.includes('(log scale)'));

    // loss curve: JSON, downsampled, CSV, SVG
    const runId = runs[0].id;
    await h.db.lossPoints.append(runId, Array.from({ length: 1000 }, (_, i) => i + 1).map((step) =>
      ({ step, total: 100 / step + (step % 2), dataTerm: 90 / step, kl: 10, penalty: 0.5, beta: 1 })));
    const loss = (await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}/loss` })).json();
    assert.equal(loss.points.length, 1000);
    assert.deepEqual(loss.points[1], { step: 2, total: 50, data: 45, kl: 10, penalty: 0.5, beta: 1 });
    const small = (await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}/loss?points=100` })).json();
    assert.equal(small.points.length, 100);
    assert.equal(small.points[99].step, 1000);
    const lossCsv = await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}/loss?format=csv&points=10` });
    assert.equal(lossCsv.body.trim().split('\r\n').length, 11);
    const lossSvg = await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}/loss?format=svg&points=50` });
    assert.equal(lossSvg.body.match(/<polyline/g)?.length, 4);

    // metrics and models
    await h.db.metrics.recordEvaluation(runId, null, 'heldout', figures(30, 29, 0.9), 10);
    const metrics = (await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}/metrics` })).json();
    assert.deepEqual(metrics.items.map((m: { psnrMmse: number; samples: number }) => [m.psnrMmse, m.samples]), [[30, 100]]);
    const onnx = Buffer.from('fake onnx bytes for the download test');
    await h.blobs.put(`models/${runId}/model.onnx`, onnx);
    const { id: modelId } = await h.db.models.saveForRun(runId, {
      onnxKey: `models/${runId}/model.onnx`, files: {}, packageKey: null, sizeBytes: onnx.length, opset: 17, meta: {},
    });
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/runs/${runId}` })).json().modelId, modelId);
    const model = await h.app.inject({ method: 'GET', url: `/v1/models/${modelId}` });
    assert.equal(model.json().runId, runId);
    const download = await h.app.inject({ method: 'GET', url: `/v1/models/${modelId}/onnx` });
    assert.equal(download.statusCode, 200);
    assert.deepEqual(download.rawPayload, onnx);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/models/${modelId}/package` })).statusCode, 409);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models/00000000-0000-4000-8000-000000000000/onnx' })).statusCode, 404);
  });

  test('GET /v1/runs pages in every sort and page size give exactly the reference order (NULL metrics last, ties by id)', async () => {
    const lambdas = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];
    const { experiment, runs } = (await post({ datasetId, spec, sweep: { lambda: lambdas } })).json();
    // Ties in psnr_mmse (28 twice) and in created_at (one INSERT) test the id tie-break; 3 runs unevaluated.
    const psnrs = [28, 31, null, 28, 25, null, 33, null];
    for (const [i, run] of runs.entries()) {
      const psnr = psnrs[i];
      if (psnr !== null) await h.db.metrics.recordEvaluation(run.id, null, 'heldout', figures(psnr, null, psnr / 40), 10);
    }
    type Row = { id: string; lambda: number; psnrMmse: number | null; createdAt: string };
    const all: Row[] = (await h.app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experiment.id}&limit=100` })).json().items;
    const keyOf: Record<string, (row: Row) => number | string | null> = {
      psnr_mmse: (row) => row.psnrMmse, ssim: (row) => (row.psnrMmse === null ? null : row.psnrMmse / 40),
      lambda: (row) => row.lambda, created: (row) => row.createdAt,
    };
    for (const sort of ['-psnr_mmse', 'psnr_mmse', '-ssim', 'lambda', '-lambda', 'created', '-created']) {
      const descending = sort.startsWith('-');
      const key = keyOf[sort.replace('-', '')];
      const expected = [...all].sort((a, b) => {
        const [ka, kb] = [key(a), key(b)];
        if (ka === null || kb === null) return ka === kb ? (a.id < b.id ? -1 : 1) * (descending ? -1 : 1) : ka === null ? 1 : -1;
        const byKey = ka < kb ? -1 : ka > kb ? 1 : (a.id < b.id ? -1 : 1);
        return descending ? -byKey : byKey;
      }).map((row) => row.id);
      for (const limit of [1, 2, 3, 5]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/v1/runs?experimentId=${experiment.id}&sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await h.app.inject({ method: 'GET', url });
          assert.equal(page.statusCode, 200, page.body);
          seen.push(...page.json().items.map((row: Row) => row.id));
          cursor = page.json().nextCursor;
        } while (cursor && seen.length <= runs.length);
        assert.deepEqual(seen, expected, `sort=${sort} limit=${limit}`);
      }
    }
    // A cursor of one sort is refused for another, and a key of the wrong type for its sort.
    const first = (await h.app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experiment.id}&sort=created&limit=1` })).json();
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/runs?sort=lambda&cursor=${first.nextCursor}` })).statusCode, 400);
    const forged = Buffer.from(JSON.stringify(['created', 12, runs[0].id])).toString('base64url');
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/runs?sort=created&cursor=${forged}` })).statusCode, 400);
  });

  test('a PSF with fewer symmetries is shown with its dataset, and an experiment that augments by it says so', async () => {
    // 3×3, its weight below the centre: symmetric under the column mirror (transform 2) only
    const comatic = { data: Float32Array.from([0, 1, 0, 1, 4, 1, 0.5, 2, 0.5]), count: 1, height: 3, width: 3 };
    const form = await multipart({ noisy: encodeTiff(stack(2, 48, (i) => i % 11)), psf: encodeTiff(comatic) });
    const created = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().meta.psfSymmetries, [0, 2]);
    const symmetric = (await h.app.inject({ method: 'GET', url: `/v1/datasets/${datasetId}` })).json();
    assert.deepEqual(symmetric.meta.psfSymmetries, [0, 1, 2, 3, 4, 5, 6, 7]);

    const warned = await post({ datasetId: created.json().id, spec });
    assert.equal(warned.statusCode, 201, warned.body);
    assert.equal(warned.json().warnings.length, 1);
    assert.match(warned.json().warnings[0], /symmetric under 2 of the 8 turns and mirrors .*transforms \[0, 2\].*set training.augmentations to 'all'/);
    const forced = await post({ datasetId: created.json().id, spec: { ...spec, training: { ...spec.training, augmentations: 'all' } } });
    assert.equal(forced.statusCode, 201, forced.body);
    assert.equal(forced.json().warnings, undefined);
    assert.equal(forced.json().runs[0].params.training.augmentations, 'all');
    assert.equal((await post({ datasetId, spec })).json().warnings, undefined, 'a symmetric PSF: nothing to say');
    const bad = await post({ datasetId, spec: { ...spec, training: { ...spec.training, augmentations: 'some' } } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /augmentations/);
  });

  test('health, readiness, Prometheus metrics and the OpenAPI document', async () => {
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/healthz' })).json(), { ok: true });
    const ready = (await h.app.inject({ method: 'GET', url: '/readyz' })).json();
    assert.equal(ready.ok, true);
    assert.deepEqual(Object.keys(ready.checks).sort(), ['blobStore', 'postgres', 'redis']);
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /divblur_api_requests_total\{method="GET",route="\/readyz",status="200"\} 1/);
    assert.match(metrics, /divblur_queue_jobs\{queue="training",state="waiting"\} \d+/);
    const openapi = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.ok(openapi.paths['/v1/experiments/{id}/compare']);
    assert.ok(openapi.paths['/v1/runs'].get.parameters.some((p: { name: string }) => p.name === 'lambdaMin'));
    assert.equal((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true);
  });
});
