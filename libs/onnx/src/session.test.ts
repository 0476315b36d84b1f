import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tinyModel } from './parity.test-helper.ts';
import { createGraphSession, loadModelSessions } from './session.ts';
import { SessionCache } from './session-cache.ts';
import { decodeModel, onnx } from './onnx-builder.ts';
import { imageFromShape } from './input.ts';
import { mmse } from './mmse.ts';
import { OnnxInputError, OnnxModelError, OnnxOptionError } from './errors.ts';
import { META_FORMAT_VERSION } from './export.ts';
import { readSavedModel } from './saved-model.ts';

const model = await tinyModel();

test('rejects a file that is not ONNX, and ONNX of another divblur format version, with typed errors', async () => {
  const junk = join(model.dir, 'junk.onnx');
  await writeFile(junk, 'this is a TIFF, honest');
  await assert.rejects(createGraphSession(junk), (e: unknown) => e instanceof OnnxModelError && e.code === 'NOT_ONNX');
  const proto = decodeModel(await readFile(model.exported.files.encoder));
  proto.metadataProps.find((p) => p.key === META_FORMAT_VERSION)!.value = '99';
  const future = join(model.dir, 'future.onnx');
  await writeFile(future, onnx.ModelProto.encode(proto).finish());
  await assert.rejects(createGraphSession(future), (e: unknown) => e instanceof OnnxModelError && e.code === 'MODEL_VERSION' && /version 99/.test(e.message));
});

test('rejects a saved model of another format version', async () => {
  const manifestPath = join(model.dir, 'model', 'model.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  await writeFile(manifestPath, JSON.stringify({ ...manifest, formatVersion: 2 }));
  await assert.rejects(readSavedModel(join(model.dir, 'model')), (e: unknown) => e instanceof OnnxModelError && e.code === 'MODEL_VERSION');
  await writeFile(manifestPath, JSON.stringify(manifest));
});

test('rejects wrong rank, NaN, images below 8×8 and bad options with typed errors', async () => {
  const sessions = await loadModelSessions('tiny', model.exported.dir);
  assert.throws(() => imageFromShape(new Float32Array(2 * 16 * 16), [2, 16, 16]), (e: unknown) => e instanceof OnnxInputError && e.code === 'WRONG_RANK');
  assert.throws(() => imageFromShape(new Float32Array(16), [16]), (e: unknown) => e instanceof OnnxInputError && e.code === 'WRONG_RANK');
  assert.equal(imageFromShape(new Float32Array(16 * 12), [1, 1, 16, 12]).width, 12);
  const nan = new Float32Array(16 * 16).fill(0.5);
  nan[40] = NaN;
  await assert.rejects(mmse(sessions, { data: nan, height: 16, width: 16 }), (e: unknown) => e instanceof OnnxInputError && e.code === 'NON_FINITE' && /row 2, column 8/.test(e.message));
  await assert.rejects(mmse(sessions, { data: new Float32Array(7 * 20), height: 7, width: 20 }), (e: unknown) => e instanceof OnnxInputError && e.code === 'IMAGE_TOO_SMALL');
  await assert.rejects(mmse(sessions, { data: new Float32Array(64), height: 8, width: 8 }, { samples: 0 }), OnnxOptionError);
});

test('the session cache keeps the most recently used models and loads each id once', async () => {
  const cache = new SessionCache(2);
  let loads = 0;
  const load = () => { loads++; return loadModelSessions('m', model.exported.dir); };
  const [a, b] = await Promise.all([cache.get('a', load), cache.get('a', load)]);
  assert.equal(a, b);
  assert.equal(loads, 1);
  await cache.get('b', load);
  await cache.get('a', load); // a is now the most recent
  await cache.get('c', load); // evicts b
  assert.equal(cache.size, 2);
  assert.ok(cache.has('a') && cache.has('c') && !cache.has('b'));
  assert.equal(loads, 3);
  await cache.clear();
  assert.equal(cache.size, 0);
});
