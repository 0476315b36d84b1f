import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@divblur/config';
import { describeTrainingBackend, trainingBackendLine } from './training-backend.ts';

test('the native and libtensorflow engines are named as the fast paths, with no advice', () => {
  assert.equal(describeTrainingBackend('native:onednn-2.6.3', 'auto'), 'training backend: native:onednn-2.6.3 (oneDNN kernels, the fast CPU path)\n');
  assert.equal(describeTrainingBackend('tfjs-node-gpu', 'tfjs-node-gpu'), 'training backend: tfjs-node-gpu (libtensorflow)\n');
  assert.equal(describeTrainingBackend('native:onednn-2.6.3', 'auto', { shards: 2, convPrecision: 'bf16' }),
    'training backend: native:onednn-2.6.3 (oneDNN kernels, the fast CPU path): 2 shards × 1 thread, bf16 convolutions\n');
  assert.equal(describeTrainingBackend('native:onednn-2.6.3', 'auto', { shards: 1, convPrecision: 'f32' }),
    'training backend: native:onednn-2.6.3 (oneDNN kernels, the fast CPU path): 1 shard × every core, f32 convolutions\n');
});

test('on the native engine the line gives the layout DIVBLUR_TRAIN_SHARDS and DIVBLUR_CONV_PRECISION ask for', async (t) => {
  const probe = await trainingBackendLine(loadConfig({ DIVBLUR_BACKEND: 'native', DIVBLUR_TRAIN_SHARDS: '1', DIVBLUR_CONV_PRECISION: 'f32' })).catch(() => null);
  if (probe === null) return t.skip('the native engine is not built here');
  assert.match(probe, /: 1 shard × every core, f32 convolutions\n$/);
});

test('the wasm fallback chosen by default says how to get the fast path', () => {
  const line = describeTrainingBackend('wasm', 'auto');
  assert.match(line, /^training backend: wasm, the fallback, about 7× slower per step/);
  assert.match(line, /scripts\/setup\.sh && npm ci/);
});

test('the wasm fallback asked for by DIVBLUR_BACKEND says so instead', () => {
  const line = describeTrainingBackend('wasm', 'wasm');
  assert.match(line, /DIVBLUR_BACKEND=wasm asks for; unset DIVBLUR_BACKEND/);
  assert.doesNotMatch(line, /setup\.sh/);
});

test('the line names the engine the trainer would pick in this environment', async () => {
  const line = await trainingBackendLine(loadConfig({ DIVBLUR_BACKEND: 'wasm' }));
  assert.match(line, /^training backend: wasm, the fallback/);
});
