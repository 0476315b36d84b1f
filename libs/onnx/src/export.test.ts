import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { decode, encode, sampleLatent } from '@divblur/divblurring';
import { nchwToNhwc, relativeMaxError, tinyModel, TINY_NETWORK } from './parity.test-helper.ts';
import { decodeModel, OPSET_VERSION } from './onnx-builder.ts';
import { readFile } from 'node:fs/promises';
import { fillNoise } from './noise.ts';

const SIZES: [number, number][] = [[16, 16], [24, 40], [48, 32]];
const model = await tinyModel();
const { config, normalisation } = model.saved.manifest;
const sessions = {
  encoder: await ort.InferenceSession.create(model.exported.files.encoder),
  decoder: await ort.InferenceSession.create(model.exported.files.decoder),
  sample: await ort.InferenceSession.create(model.exported.files.sample),
};

function randomImage(height: number, width: number, seed: number): Float32Array {
  const noise = new Float32Array(height * width);
  fillNoise(noise, { seed, channels: 1, planeWidth: width, top: 0, left: 0, height, width }, 0, 1);
  return noise.map((v) => 0.25 + 0.5 * v);
}

test('the ONNX encoder matches tfjs encode on 3 sizes to 1e-4 of the data range', async () => {
  for (const [height, width] of SIZES) {
    const y = randomImage(height, width, height + width);
    const out = await sessions.encoder.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]) });
    const expected = encode(model.tfParams, config, normalisation, tf.tensor4d(y, [1, height, width, 1]));
    for (const name of ['mu', 'logvar'] as const) {
      const actual = nchwToNhwc(out[name].data as Float32Array, out[name].dims).dataSync();
      assert.deepEqual(out[name].dims, [1, TINY_NETWORK.latentChannels, height / 4, width / 4]);
      const error = relativeMaxError(actual, expected[name].dataSync());
      assert.ok(error < 1e-4, `${name} at ${height}×${width}: relative error ${error}`);
    }
  }
});

test('the ONNX decoder matches tfjs decode on 3 sizes (batch 2) to 1e-4 of the data range', async () => {
  for (const [height, width] of SIZES) {
    const dims = [2, TINY_NETWORK.latentChannels, height / 4, width / 4];
    const z = new Float32Array(dims.reduce((a, b) => a * b, 1));
    fillNoise(z, { seed: 9, channels: dims[1], planeWidth: dims[3], top: 0, left: 0, height: dims[2], width: dims[3] }, 0, 2);
    const out = await sessions.decoder.run({ z: new ort.Tensor('float32', z, dims) });
    const expected = decode(model.tfParams, config, normalisation, nchwToNhwc(z, dims));
    assert.deepEqual(out.x.dims, [2, 1, height, width]);
    const error = relativeMaxError(out.x.data as Float32Array, expected.dataSync());
    assert.ok(error < 1e-4, `decoder at ${height}×${width}: relative error ${error}`);
  }
});

test('the deterministic (y, eps) graph equals the tfjs sample with the same eps', async () => {
  const [height, width] = [32, 24];
  const y = randomImage(height, width, 5);
  const dims = [1, TINY_NETWORK.latentChannels, height / 4, width / 4];
  const eps = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillNoise(eps, { seed: 11, channels: dims[1], planeWidth: dims[3], top: 0, left: 0, height: dims[2], width: dims[3] }, 0, 1);
  const out = await sessions.sample.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]), eps: new ort.Tensor('float32', eps, dims) });
  const { mu, logvar } = encode(model.tfParams, config, normalisation, tf.tensor4d(y, [1, height, width, 1]));
  const expected = decode(model.tfParams, config, normalisation, sampleLatent(mu, logvar, nchwToNhwc(eps, dims)));
  const error = relativeMaxError(out.x.data as Float32Array, expected.dataSync());
  assert.ok(error < 1e-4, `sample: relative error ${error}`);
  // Same ε twice → bit-identical output (what an exchange consumer relies on).
  const again = await sessions.sample.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]), eps: new ort.Tensor('float32', eps, dims) });
  assert.deepEqual(again.x.data, out.x.data);
});

test('the softplus output option is an ONNX Softplus and matches tfjs (positive outputs)', async () => {
  const soft = await tinyModel({ ...TINY_NETWORK, output: 'softplus' }, 4);
  const decoder = await ort.InferenceSession.create(soft.exported.files.decoder);
  const graph = decodeModel(await readFile(soft.exported.files.decoder)).graph!;
  assert.ok(graph.node!.some((n) => n.opType === 'Softplus'));
  const dims = [1, TINY_NETWORK.latentChannels, 4, 4];
  const z = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 2);
  const out = await decoder.run({ z: new ort.Tensor('float32', z, dims) });
  const expected = decode(soft.tfParams, soft.saved.manifest.config, soft.saved.manifest.normalisation, nchwToNhwc(z, dims));
  assert.ok(relativeMaxError(out.x.data as Float32Array, expected.dataSync()) < 1e-4);
  assert.ok((out.x.data as Float32Array).every((v) => v > 0));
});

test('exported files carry opset, dynamic N/H/W and provenance metadata', async () => {
  const proto = decodeModel(await readFile(model.exported.files.encoder));
  const opset = Number(proto.opsetImport[0].version);
  assert.ok(opset >= 13);
  assert.equal(opset, OPSET_VERSION);
  const dims = proto.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  assert.deepEqual(dims, ['N', 1, 'H', 'W']);
  const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
  assert.equal(meta['divblur.run_id'], 'run-42');
  assert.equal(meta['divblur.version'], '0.1.0');
  assert.equal(JSON.parse(meta['divblur.normalisation']!).std, 0.5);
  assert.equal(JSON.parse(meta['divblur.noise_sigma']!), 0.03);
  for (const key of ['divblur.psf', 'divblur.penalty', 'divblur.lambda', 'divblur.kappa', 'divblur.training']) assert.ok(key in meta, key);
  // Batch is dynamic: the encoder takes 3 images at once.
  const three = await sessions.encoder.run({ y: new ort.Tensor('float32', new Float32Array(3 * 16 * 8), [3, 1, 16, 8]) });
  assert.deepEqual(three.mu.dims, [3, TINY_NETWORK.latentChannels, 4, 2]);
});
