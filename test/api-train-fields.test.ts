/**
 * Every field of an experiment spec reaches training: a spec whose every training and network field is off its
 * default goes in through HTTP (the API wired as in production), the trainer trains it in its sandboxed child, and
 * the trained model's recorded hyper-parameters — on the model's API record and in the model.json it wrote — are
 * the spec's. The trainer's own mapping (deleted) read `training.lr` and dropped eight fields: this test failed on it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp, wireDeps, type ApiApp, type WiredDeps } from '@divblur/api';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { createServiceHarness, waitFor, type ServiceHarness } from './service-harness.ts';
import { sendKeyByDefault } from './test-keys.ts';

let harness: ServiceHarness;
let wired: WiredDeps;
let api: ApiApp;
let trainer: RunningTrainer;

before(async () => {
  harness = await createServiceHarness();
  wired = wireDeps(harness.config, harness.logger);
  api = await buildApp(wired.deps);
  await sendKeyByDefault(api, wired.deps.db);
  await api.ready();
  trainer = startTrainer(harness.config, harness.logger);
});

after(async () => {
  await trainer?.close();
  await api?.close();
  await wired?.close();
  await harness?.close();
});

/** Each value differs from the spec's default (libs/queue experiment-spec.ts). */
const network = { depth: 1, filters: [6], latentChannels: 3, kernelSize: 5, output: 'softplus' } as const;
const training = {
  steps: 6, batchSize: 3, patchSize: 24, learningRate: 2e-3, lrSchedule: 'cosine', klHoldFraction: 0.2, klRampFraction: 0.3,
  freeBitsNats: 0.02, collapseThreshold: 1e-6, collapseWindowSteps: 7, maxRestarts: 2, augmentations: 'none', checkpointEverySteps: 4, seed: 5,
} as const;
const spec = { method: 'divblurring', penalty: 'positivity_l1', lambda: 0.02, kappa: 2, noiseSigma: 0.05, network, training } as const;

test('a spec with every training and network field off its default trains with exactly those settings', async () => {
  const dataset = await api.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'fields', synthetic: { preset: 'dataset1', n: 6, seed: 3, size: 32 } } });
  assert.equal(dataset.statusCode, 201, dataset.body);
  const created = await api.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: dataset.json().id, spec } });
  assert.equal(created.statusCode, 201, created.body);
  const [{ id: runId }] = created.json().runs;

  const run = await waitFor('the run to finish training', async () => {
    const got = (await api.inject({ method: 'GET', url: `/v1/runs/${runId}` })).json();
    if (got.status === 'failed') throw new Error(`run failed: ${got.error}`);
    // Trained and exported: evaluating (no inference worker here, so it does not reach succeeded).
    return got.status === 'evaluating' && got.modelId ? got : undefined;
  }, 180_000);

  const expected = {
    method: 'divblurring', noiseSigma: 0.05, noiseModel: { kind: 'gaussian', sigma: 0.05, offset: 0 }, penalty: 'positivity_l1', lambda: 0.02, kappa: 2,
    model: { ...network, filters: [...network.filters] },
    patchSize: 24, batchSize: 3, augmentations: [0], steps: 6, minutes: null, seed: 5, learningRate: 2e-3, lrSchedule: 'cosine',
    klHoldFraction: 0.2, klRampFraction: 0.3, freeBitsNats: 0.02, collapseThreshold: 1e-6, collapseWindowSteps: 7, maxRestarts: 2,
    checkpointEverySteps: 4,
  };
  const model = (await api.inject({ method: 'GET', url: `/v1/models/${run.modelId}` })).json();
  assert.deepEqual(model.meta.hyperparameters, expected, 'the model\'s API record');
  const written = JSON.parse((await harness.blobs.getBuffer(`models/${runId}/model.json`)).toString('utf8'));
  assert.deepEqual(written.training.hyperparameters, expected, 'model.json');
  assert.deepEqual(written.config, expected.model);

  // checkpointEverySteps: 4 of 6 steps → a checkpoint at step 4 and the last state at 6.
  const checkpoints = await harness.db.checkpoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
  assert.deepEqual(checkpoints.map((c) => c.step), [4, 6]);
});
