import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { unzipSync, unzlibSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { decodeNpy, gaussianPsf } from '@divblur/imaging';
import { receptiveReachPx } from '@divblur/divblurring/contract';
import { tinyModel, TINY_NETWORK } from './parity.test-helper.ts';
import { writeRandomModel, type RandomModelOptions } from './random-model.ts';
import { buildPackage } from './package.ts';
import { BIOIMAGEIO_FORMAT_VERSION, bioimageioName } from './bioimageio-rdf.ts';
import { OnnxModelError } from './errors.ts';
import { crc32, encodeGreyPng } from './png.ts';

/** rdf.yaml as parsed: the test reads its fields by path. */
type Rdf = Record<string, any>;

function npy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  assert.match(header, /'descr': '<f4'/);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((s) => s.trim()).map(Number);
  return { shape, data: new Float32Array(bytes.slice(10 + headerLength).buffer) };
}

/** A random model directory as the trainer leaves one: a 9×9 PSF (radius 4), optionally a camera noise model. */
async function modelDir(noiseModel?: RandomModelOptions['noiseModel']): Promise<string> {
  const { dir } = await tinyModel();
  const path = join(dir, 'psf-model');
  await writeRandomModel(path, { config: TINY_NETWORK, seed: 3, normalisation: { mean: 0.25, std: 0.5 }, psf: gaussianPsf({ fwhmPx: 2 }), noiseModel });
  return path;
}

const TIMESTAMP = new Date('2026-12-02T10:00:00Z');

test('crc32 and the PNG encoder follow the spec (check value, chunk layout, zlib rows)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const png = encodeGreyPng(Uint8Array.from([0, 64, 128, 255, 1, 2]), 2, 3);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer);
  assert.equal(view.getUint32(16), 3); // width
  assert.equal(view.getUint32(20), 2); // height
  const idatLength = view.getUint32(33);
  assert.deepEqual(Array.from(unzlibSync(png.subarray(41, 41 + idatLength))), [0, 0, 64, 128, 0, 255, 1, 2]);
});

test('the package describes the model from its contract: geometry, views, training data, citations, divblur settings', async () => {
  const dir = await modelDir();
  const zip = await buildPackage(dir, { name: 'tiny divblur / run 42', runId: 'run-42', timestamp: TIMESTAMP }, join(dir, '..', 'package.zip'));
  assert.deepEqual(await readFile(join(dir, '..', 'package.zip')), Buffer.from(zip));
  const files = unzipSync(zip);
  const rdf = parse(new TextDecoder().decode(files['rdf.yaml'])) as Rdf;
  assert.match(new TextDecoder().decode(files['rdf.yaml']), /^%YAML 1\.2\n---\n/);
  assert.equal(rdf.format_version, BIOIMAGEIO_FORMAT_VERSION);
  assert.equal(rdf.name, 'tiny divblur - run 42');
  assert.equal(rdf.timestamp, '2026-12-02T10:00:00+00:00');
  const halo = receptiveReachPx(TINY_NETWORK) + 4;
  assert.deepEqual(rdf.outputs.map((o: Rdf) => o.id), ['mmse', 'std']);
  for (const output of rdf.outputs) {
    assert.deepEqual(output.axes.slice(2), [
      { type: 'space', id: 'y', halo, size: { tensor_id: 'raw', axis_id: 'y' } }, { type: 'space', id: 'x', halo, size: { tensor_id: 'raw', axis_id: 'x' } }]);
  }
  assert.deepEqual(rdf.inputs[0].axes[2].size, { min: 4 * Math.ceil((2 * halo + 1) / 4), step: 1 });
  assert.equal(rdf.weights.onnx.source, 'mmse.onnx');
  assert.equal(rdf.weights.onnx.opset_version, 18);
  assert.deepEqual(rdf.config.divblur.mmse.views.map((v: Rdf) => v.samples), [13, 13, 13, 13, 12, 12, 12, 12]);
  assert.equal(rdf.config.divblur.mmse.context_margin_px, 4);
  assert.equal(rdf.config.divblur.run_id, 'run-42');
  assert.deepEqual(rdf.config.divblur.noise_model, { kind: 'gaussian', sigma: 0.03, offset: 0 });
  assert.match(rdf.training_data.description, /Noise: additive Gaussian, sigma = 0\.03 .*PSF: 9x9 px/);
  assert.ok(rdf.cite.some((c: Rdf) => c.doi === '10.48550/arXiv.2006.06072'), 'DivNoising');
  assert.ok(rdf.cite.some((c: Rdf) => /DivBlurring/.test(c.text) && c.url), 'the DivBlurring report');
  assert.deepEqual(rdf.attachments.map((a: Rdf) => a.source), ['sample.onnx', 'test_sample_eps.npy', 'test_sample_output.npy', 'psf.npy']);
  const psf = decodeNpy(files['psf.npy']).stack;
  assert.deepEqual([psf.height, psf.width], [9, 9]);
  assert.equal(createHash('sha256').update(files['mmse.onnx']).digest('hex'), rdf.weights.onnx.sha256);
  assert.match(new TextDecoder().decode(files['README.md']), /## Validation/);
  assert.equal(new DataView(files['cover.png'].buffer, files['cover.png'].byteOffset).getUint32(16), 2 * 64, 'input | MMSE side by side');
  // Same model, same options, same bytes.
  assert.deepEqual(await buildPackage(dir, { name: 'tiny divblur / run 42', runId: 'run-42', timestamp: TIMESTAMP }), zip);
});

test('the test outputs are the MMSE graph\'s in ONNX Runtime, and one posterior sample reproduces exactly through sample.onnx', async () => {
  const files = unzipSync(await buildPackage(await modelDir(), { name: 'tiny divblur', samples: 40, timestamp: TIMESTAMP }));
  const input = npy(files['test_input.npy']);
  assert.deepEqual(input.shape, [1, 1, 64, 64]);
  const session = await ort.InferenceSession.create(files['mmse.onnx']);
  const out = await session.run({ raw: new ort.Tensor('float32', input.data, input.shape) });
  for (const name of ['mmse', 'std'] as const) {
    const expected = npy(files[`test_output_${name}.npy`]);
    const peak = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const error = (out[name].data as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - expected.data[i])), 0);
    assert.ok(peak > 1e-3 && error <= 1e-4 * peak, `${name}: max error ${error}, peak ${peak}`);
  }
  const eps = npy(files['test_sample_eps.npy']);
  assert.deepEqual(eps.shape, [1, 4, 16, 16]);
  const sample = await ort.InferenceSession.create(files['sample.onnx']);
  const x = await sample.run({ y: new ort.Tensor('float32', input.data, input.shape), eps: new ort.Tensor('float32', eps.data, eps.shape) });
  assert.deepEqual(x.x.data, npy(files['test_sample_output.npy']).data);
});

test('a camera model\'s package describes its Poisson–Gaussian noise from the contract', async () => {
  const noiseModel = { kind: 'poisson_gaussian' as const, gain: 2, readNoise: 3, offset: 100 };
  const rdf = parse(new TextDecoder().decode(unzipSync(await buildPackage(await modelDir(noiseModel), { name: 'camera model', samples: 2 }))['rdf.yaml'])) as Rdf;
  assert.deepEqual(rdf.config.divblur.noise_model, noiseModel);
  assert.match(rdf.training_data.description, /Poisson-Gaussian .* gain a = 2 ADU per electron, read noise r = 3 ADU, offset o = 100/);
});

test('names are made bioimage.io names, and a test image smaller than the graph takes or off the grid is refused', async () => {
  assert.equal(bioimageioName('run #7: λ = 3'), 'run -7- - - 3');
  assert.equal(bioimageioName('ab'), 'ab model');
  assert.match(bioimageioName('x'.repeat(300)), /^x{128}$/);
  const dir = await modelDir();
  for (const testSizePx of [56, 66]) {
    await assert.rejects(buildPackage(dir, { name: 'tiny divblur', testSizePx }), (e: unknown) => e instanceof OnnxModelError && e.code === 'PACKAGE_TEST_SIZE');
  }
});
