import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTiff, simulateCamera, toStack } from '@divblur/imaging';
import { createHarness, multipart, type Harness } from './api-harness.ts';

// Issue 17 through the API: a dataset's noise model is given or estimated at ingest, shown with the dataset, and
// refused with a 4xx that says what would be right when the data contradict it.
describe('POST /v1/datasets with a noise model', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h?.close();
  });
  const post = (payload: object) => h.app.inject({ method: 'POST', url: '/v1/datasets', payload });
  const camera = (noiseModel: unknown) => post({ synthetic: { preset: 'camera', n: 12, seed: 3, size: 64 }, noiseModel });

  test('"estimate" on a uint16 camera stack estimates gain, read noise and offset and shows them', async () => {
    const res = await camera('estimate');
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.dtype, 'uint16');
    assert.equal(body.noiseSigma, null);
    const { noiseModel, noiseModelEstimated } = body.meta;
    assert.equal(noiseModel.kind, 'poisson_gaussian');
    assert.ok(Math.abs(noiseModel.gain / 2 - 1) < 0.15 && Math.abs(noiseModel.readNoise / 3 - 1) < 0.2 && Math.abs(noiseModel.offset / 100 - 1) < 0.05, JSON.stringify(noiseModel));
    assert.deepEqual(noiseModelEstimated, ['gain', 'readNoise', 'offset']);
    const got = await h.app.inject({ method: 'GET', url: `/v1/datasets/${body.id}` });
    assert.deepEqual(got.json().meta.noiseModel, noiseModel);
  });

  test('given values are kept and shown as given; a multipart form takes the model as JSON text', async () => {
    const res = await camera({ kind: 'poisson_gaussian', gain: 2, readNoise: 3 });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().meta.noiseModel.gain, 2);
    assert.deepEqual(res.json().meta.noiseModelEstimated, ['offset']);
    const sim = simulateCamera({ count: 12, size: 64, seed: 4 });
    const form = await multipart({
      noisy: encodeTiff(sim.noisy, { dtype: 'uint16' }), psf: encodeTiff(toStack([sim.psf])),
      noiseModel: JSON.stringify({ kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 100 }),
    });
    const uploaded = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form });
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    assert.deepEqual(uploaded.json().meta.noiseModel, { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 100 });
    assert.deepEqual(uploaded.json().meta.noiseModelEstimated, []);
  });

  test('bad values and data the model does not fit are 400s that say what would be right, and store nothing', async () => {
    const before = (await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=500' })).json().items.length;
    const refused = async (noiseModel: unknown, code: string, message: RegExp, preset = 'camera') => {
      const res = await post({ synthetic: { preset, n: 12, seed: 3, size: 64 }, noiseModel });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, code, res.body);
      assert.match(res.json().message, message);
    };
    await refused({ kind: 'poisson_gaussian', gain: 0 }, 'VALIDATION', /gain/);
    await refused({ kind: 'poisson_gaussian', readNoise: -1 }, 'VALIDATION', /readNoise/);
    await refused({ kind: 'poisson_gaussian', offset: 5000 }, 'NOISE_OFFSET', /above the data's median \d+.*≤ \d+/);
    await refused('estimate', 'NOISE_FIT_FAILED', /does not grow with the signal.*Gaussian noise model/, 'dataset2');
    const res = await post({ synthetic: { preset: 'camera', n: 12, seed: 3, size: 64 }, noiseModel: 'estimate', noiseSigma: 3 });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'NOISE_MODEL_CONFLICT');
    const form = await multipart({ noisy: encodeTiff(simulateCamera({ count: 12, size: 64, seed: 4 }).noisy, { dtype: 'uint16' }), noiseModel: '{"kind":' });
    const badJson = await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form });
    assert.equal(badJson.statusCode, 400, badJson.body);
    assert.match(badJson.json().message, /noiseModel: must be "estimate" or a JSON object/);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/datasets?limit=500' })).json().items.length, before);
  });
});
