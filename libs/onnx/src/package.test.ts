import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { unzipSync, unzlibSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { tinyModel } from './parity.test-helper.ts';
import { buildPackage } from './package.ts';
import { crc32, encodeGreyPng } from './png.ts';

function npy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  assert.match(header, /'descr': '<f4'/);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((s) => s.trim()).map(Number);
  return { shape, data: new Float32Array(bytes.slice(10 + headerLength).buffer) };
}

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

test('the package holds rdf.yaml, weights, a cover and test data whose output the ONNX graph reproduces exactly', async () => {
  const model = await tinyModel();
  const path = join(model.dir, 'package.zip');
  await buildPackage(model.exported, { name: 'tiny divblur', testSizePx: 32 }, path);
  const files = unzipSync(await readFile(path));
  for (const name of ['rdf.yaml', 'sample.onnx', 'encoder.onnx', 'decoder.onnx', 'test_input.npy', 'test_eps.npy', 'test_output.npy', 'cover.png']) assert.ok(name in files, name);
  const rdf = new TextDecoder().decode(files['rdf.yaml']);
  assert.match(rdf, /name: "tiny divblur"/);
  assert.match(rdf, /source: sample.onnx/);
  assert.match(rdf, /run_id: "run-42"/);
  const input = npy(files['test_input.npy']);
  const eps = npy(files['test_eps.npy']);
  const expected = npy(files['test_output.npy']);
  assert.deepEqual(input.shape, [1, 1, 32, 32]);
  assert.deepEqual(eps.shape, [1, 4, 8, 8]);
  const session = await ort.InferenceSession.create(files['sample.onnx']);
  const out = await session.run({ y: new ort.Tensor('float32', input.data, input.shape), eps: new ort.Tensor('float32', eps.data, eps.shape) });
  assert.deepEqual(out.x.data, expected.data);
  assert.equal(new DataView(files['cover.png'].buffer, files['cover.png'].byteOffset).getUint32(16), 64); // input | output side by side
});
