import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { ModelFormatError } from './errors.ts';
import { decode } from './model.ts';
import { readSavedModel } from './model-format.ts';
import { loadModel, saveModel } from './saved-model.ts';
import { disposeModel } from './trained-model.ts';
import { TINY_MODEL, tinyCameraOptions, tinyOptions } from './test-fixtures.ts';
import { trainModel } from './train.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/model-v1', import.meta.url));

before(async () => {
  await initBackend('cpu');
});

async function scratch(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-saved-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a model saved before the model contract existed loads, and saves again to the same bytes', async (t) => {
  const dir = await scratch(t);
  const model = await loadModel(FIXTURE);
  assert.deepEqual(model.config, { depth: 2, filters: [2, 3], latentChannels: 2, kernelSize: 3, output: 'linear' });
  assert.equal(model.psf?.height, 3);
  await saveModel(dir, model);
  disposeModel(model);
  for (const file of ['model.json', 'weights.bin']) {
    assert.ok((await readFile(join(dir, file))).equals(await readFile(join(FIXTURE, file))), `${file} differs`);
  }
});

test('a trained model with 5×5 kernels round-trips: same parameters bit for bit, same decode', async (t) => {
  const dir = await scratch(t);
  const trained = (await trainModel(tinyOptions({ steps: 2, model: { ...TINY_MODEL, kernelSize: 5 } }))).model;
  await saveModel(dir, trained);
  const loaded = await loadModel(dir);
  assert.deepEqual(Object.keys(loaded.params), Object.keys(trained.params));
  for (const [name, t5] of Object.entries(trained.params)) {
    assert.deepEqual(loaded.params[name].shape, t5.shape, name);
    assert.deepEqual(loaded.params[name].dataSync(), t5.dataSync(), name);
  }
  assert.deepEqual(loaded.params['enc.0.conv0.w'].shape, [5, 5, 1, 4]);
  const z = tf.randomNormal([1, 4, 4, trained.config.latentChannels], 0, 1, 'float32', 1) as tf.Tensor4D;
  assert.deepEqual(decode(loaded.params, loaded.config, loaded.normalisation, z).dataSync(),
    decode(trained.params, trained.config, trained.normalisation, z).dataSync());
  disposeModel(trained);
  disposeModel(loaded);
});

test('refuses a missing directory, another format version, an unsupported kernel size and a short weights.bin, with codes', async (t) => {
  const dir = await scratch(t);
  const rejects = async (code: string) =>
    assert.rejects(readSavedModel(dir), (e: unknown) => e instanceof ModelFormatError && e.code === code);
  await rejects('MODEL_NOT_FOUND');
  const manifest = JSON.parse(await readFile(join(FIXTURE, 'model.json'), 'utf8'));
  const weights = await readFile(join(FIXTURE, 'weights.bin'));
  await writeFile(join(dir, 'weights.bin'), weights);
  await writeFile(join(dir, 'model.json'), '{ "format": "divblur-model", ');
  await rejects('MODEL_NOT_JSON');
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, formatVersion: 2 }));
  await rejects('MODEL_VERSION');
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, config: { ...manifest.config, kernelSize: 9 } }));
  await rejects('MODEL_CONFIG');
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, normalisation: { mean: 0, std: 0 } }));
  await rejects('MODEL_NORMALISATION');
  await writeFile(join(dir, 'model.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'weights.bin'), weights.subarray(0, weights.byteLength - 4));
  await rejects('MODEL_WEIGHTS');
  await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelFormatError && /dec\.out\.b/.test(e.message));
});

test('a Poisson–Gaussian model saves its noise model and offset and loads them back; the report\'s models write neither', async (t) => {
  const dir = await scratch(t);
  const trained = (await trainModel(tinyCameraOptions({ steps: 2 }))).model;
  await saveModel(dir, trained);
  const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  assert.deepEqual(manifest.noiseModel, trained.noiseModel);
  assert.equal(manifest.normalisation.offset, trained.noiseModel.offset);
  const loaded = await loadModel(dir);
  assert.deepEqual(loaded.noiseModel, trained.noiseModel);
  assert.deepEqual(loaded.normalisation, trained.normalisation);
  disposeModel(trained);
  disposeModel(loaded);
  // the fixture, saved before noise models existed, loads as the Gaussian of its σ
  const old = await loadModel(FIXTURE);
  assert.deepEqual(old.noiseModel, { kind: 'gaussian', sigma: old.noiseSigma, offset: 0 });
  disposeModel(old);
  const gaussian = JSON.parse(await readFile(join(FIXTURE, 'model.json'), 'utf8'));
  assert.ok(!('noiseModel' in gaussian) && !('offset' in gaussian.normalisation));
});

test('refuses a noise model out of its domain with MODEL_NOISE, naming what would be right', async (t) => {
  const dir = await scratch(t);
  const manifest = JSON.parse(await readFile(join(FIXTURE, 'model.json'), 'utf8'));
  await writeFile(join(dir, 'weights.bin'), await readFile(join(FIXTURE, 'weights.bin')));
  for (const noiseModel of [{ kind: 'poisson_gaussian', gain: 0, readNoise: 3, offset: 100 }, { kind: 'poisson', gain: 1 }, { kind: 'gaussian', sigma: -1, offset: 0 }]) {
    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, noiseModel }));
    await assert.rejects(readSavedModel(dir), (e: unknown) => e instanceof ModelFormatError && e.code === 'MODEL_NOISE' && /must be|one of/.test(e.message));
  }
});
