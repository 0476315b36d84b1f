/**
 * What the page shows, through HTTP, on a λ sweep trained and evaluated as production does it (test/trained-sweep.ts):
 * the compare report's GT-free recommendation per group (the discrepancy principle on the runs' held-out
 * discrepancies, which GET /v1/runs/:id/metrics reports) and the GT-free metrics; the held-out images as PNG
 * (size, value mapping, contrast limits given and at percentiles, each kind, the index's range).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGray8Png, percentiles, stackImage, toGray8, type Image } from '@divblur/imaging';
import { evaluationSplitOf, readEvaluationImages } from '@divblur/storage';
import { trainSweep, type TrainedSweep } from './trained-sweep.ts';

const LAMBDAS = [1e-3, 1, 100];
let sweep: TrainedSweep;

before(async () => { sweep = await trainSweep({ penalties: ['l1', 'l2'], lambdas: LAMBDAS, steps: 8, evaluationSamples: 20 }); });
after(async () => { await sweep?.close(); });

const get = (url: string) => sweep.api.inject({ method: 'GET', url });

describe('the compare report recommends a λ per group from the data alone', () => {
  test('per penalty, the run whose held-out discrepancy is closest to 1, with the discrepancies it weighed', async () => {
    const res = await get(`/v1/experiments/${sweep.experimentId}/compare?groupBy=penalty&metric=psnr_mmse`);
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    const runs = (await get(`/v1/runs?experimentId=${sweep.experimentId}&limit=100`)).json().items as Array<{ id: string; penalty: string; lambda: number; psnrMmse: number }>;
    assert.deepEqual(report.recommendations.map((r: { group: string }) => r.group), ['l1', 'l2']);
    for (const recommendation of report.recommendations) {
      const ofGroup = runs.filter((run) => run.penalty === recommendation.group);
      // The figures from the runs' own metrics route, not from the report.
      const discrepancies = new Map<string, number>();
      for (const run of ofGroup) discrepancies.set(run.id, (await get(`/v1/runs/${run.id}/metrics`)).json().items[0].discrepancy);
      assert.equal(recommendation.rule, 'discrepancy_principle');
      assert.equal(recommendation.target, 1);
      assert.equal(recommendation.candidates.length, LAMBDAS.length);
      for (const candidate of recommendation.candidates) assert.equal(candidate.discrepancy, discrepancies.get(candidate.runId));
      assert.deepEqual(recommendation.candidates.map((c: { lambda: number }) => c.lambda), LAMBDAS, 'weighed by λ');
      // closest to 1; a tie goes to the larger λ (the more regularised estimate)
      const lambdaOf = (id: string) => ofGroup.find((run) => run.id === id)!.lambda;
      const best = [...discrepancies.entries()].sort((a, b) => Math.abs(a[1] - 1) - Math.abs(b[1] - 1) || lambdaOf(b[0]) - lambdaOf(a[0]))[0];
      assert.equal(recommendation.runId, best[0], JSON.stringify(recommendation));
      const chosen = ofGroup.find((run) => run.id === best[0])!;
      assert.equal(recommendation.lambda, chosen.lambda);
      assert.equal(recommendation.x, chosen.lambda);
      assert.equal(recommendation.value, chosen.psnrMmse, 'the report\'s metric of the chosen run');
      assert.ok(Math.abs(recommendation.distance - Math.abs(best[1] - 1)) < 1e-12);
      const values = [...discrepancies.values()];
      assert.equal(recommendation.bracketed, values.some((d) => d <= 1) && values.some((d) => d >= 1));
    }
    // The CSV names the recommended cells too.
    const csv = (await get(`/v1/experiments/${sweep.experimentId}/compare?format=csv`)).body;
    assert.equal(csv.split('\n').filter((line) => line.startsWith('recommended,')).length, 2, csv);
  });

  test('groupBy none weighs every run in one group; the GT-free metrics are switchable', async () => {
    const all = (await get(`/v1/experiments/${sweep.experimentId}/compare?groupBy=none`)).json();
    assert.equal(all.recommendations.length, 1);
    assert.equal(all.recommendations[0].candidates.length, 2 * LAMBDAS.length);
    for (const metric of ['discrepancy', 'mean_std'] as const) {
      const report = (await get(`/v1/experiments/${sweep.experimentId}/compare?metric=${metric}&groupBy=penalty`)).json();
      assert.equal(report.metric, metric);
      assert.equal(report.rows.length, 2 * LAMBDAS.length);
      assert.deepEqual(report.baselines, [], 'the baselines record no GT-free figures');
      for (const row of report.rows) {
        const metrics = (await get(`/v1/runs/${row.runIds[0]}/metrics`)).json().items[0];
        assert.equal(row.value, metric === 'discrepancy' ? metrics.discrepancy : metrics.meanStd);
        assert.ok(row.value > 0);
      }
    }
  });
});

describe('GET /v1/runs/:id/images/:index renders a held-out image as PNG', () => {
  let runId: string;
  let evalIndices: number[];
  let imageSet: string;
  before(async () => {
    runId = sweep.runIds[0];
    const run = (await get(`/v1/runs/${runId}`)).json();
    const model = (await get(`/v1/models/${run.modelId}`)).json();
    ({ evalIndices, imageSet } = evaluationSplitOf(model.meta, sweep.harness.simulation.noisy.count));
    assert.ok(evalIndices.length >= 2);
  });

  const png = async (url: string) => {
    const res = await get(url);
    assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    assert.equal(res.headers['content-type'], 'image/png');
    return { ...decodeGray8Png(res.rawPayload), min: Number(res.headers['x-contrast-min']), max: Number(res.headers['x-contrast-max']), index: Number(res.headers['x-image-index']) };
  };
  const levels = (image: Image, min: number, max: number) => [...toGray8(image, { min, max })];

  test('input and gt: the dataset\'s held-out image, its size, mapped from the given [min, max]', async () => {
    const { noisy, groundTruth } = sweep.harness.simulation;
    for (const [index, kind, stack] of [[0, 'input', noisy], [1, 'input', noisy], [1, 'gt', groundTruth]] as const) {
      const got = await png(`/v1/runs/${runId}/images/${index}?kind=${kind}&min=0.1&max=0.6`);
      assert.equal(got.width, 32);
      assert.equal(got.height, 32);
      assert.equal(got.index, evalIndices[index], 'X-Image-Index: the dataset\'s image');
      assert.deepEqual([got.min, got.max], [0.1, 0.6]);
      const image = stackImage(stack, evalIndices[index]);
      assert.deepEqual([...got.levels], levels(image, 0.1, 0.6));
      // one pixel by hand: v ↦ round(255 (v − min)/(max − min)), clipped
      const v = image.data[100];
      assert.equal(got.levels[100], Math.min(255, Math.max(0, Math.round((255 * (v - 0.1)) / 0.5))));
    }
  });

  test('mmse and std: the evaluation\'s kept images, at the default 0.1–99.9 percentiles or at given ones', async () => {
    for (const kind of ['mmse', 'std'] as const) {
      const kept = stackImage(await readEvaluationImages(sweep.harness.blobs, runId, imageSet, kind), 1);
      const [low, high] = percentiles(kept.data, [0.1, 99.9]);
      const got = await png(`/v1/runs/${runId}/images/1?kind=${kind}`);
      assert.deepEqual([got.min, got.max], [low, high]);
      assert.deepEqual([...got.levels], levels(kept, low, high));
      const [p5, p95] = percentiles(kept.data, [5, 95]);
      const narrow = await png(`/v1/runs/${runId}/images/1?kind=${kind}&lowPercentile=5&highPercentile=95`);
      assert.deepEqual([narrow.min, narrow.max], [p5, p95]);
      assert.deepEqual([...narrow.levels], levels(kept, p5, p95));
      assert.ok(narrow.levels.filter((l) => l === 255).length > got.levels.filter((l) => l === 255).length, 'a narrower window clips more');
    }
    // min alone: max still at its percentile
    const half = await png(`/v1/runs/${runId}/images/1?kind=mmse&min=-5`);
    assert.equal(half.min, -5);
    const mmse = stackImage(await readEvaluationImages(sweep.harness.blobs, runId, imageSet, 'mmse'), 1);
    assert.equal(half.max, percentiles(mmse.data, [99.9])[0]);
    // The MMSE is not the input.
    const input = await png(`/v1/runs/${runId}/images/1?kind=input&min=0&max=1`);
    const estimate = await png(`/v1/runs/${runId}/images/1?kind=mmse&min=0&max=1`);
    assert.notDeepEqual([...input.levels], [...estimate.levels]);
  });

  test('an index past the held-out images is a 404; a key is needed', async () => {
    const res = await get(`/v1/runs/${runId}/images/${evalIndices.length}`);
    assert.equal(res.statusCode, 404, res.body);
    assert.match(res.json().message, new RegExp(`its evaluation has ${evalIndices.length}`));
    const anonymous = await sweep.api.inject({ method: 'GET', url: `/v1/runs/${runId}/images/0`, headers: { authorization: '' } });
    assert.equal(anonymous.statusCode, 401);
  });
});
