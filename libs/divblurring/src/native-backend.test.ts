import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '@divblur/tfjs-native';
import { tryLoadNativeBackend } from './native-backend.ts';

test('the fallback path: disabled, it returns null and leaves tfjs\'s own cpu kernels in place', async () => {
  const before = tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
  assert.equal(await tryLoadNativeBackend({ enabled: false }), null);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc, before);
});

test('where the addon is built, it selects cpu with oneDNN kernels and a positive thread count', { skip: loadAddon() ? false : 'addon not built here' }, async () => {
  const js = tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
  const loaded = await tryLoadNativeBackend();
  assert.ok(loaded);
  assert.match(loaded.name, /^onednn-\d+\.\d+/);
  assert.ok(loaded.threads >= 1);
  assert.equal(tf.getBackend(), 'cpu');
  assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc, js);
  const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dw = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same').sum())(w);
  assert.deepEqual(dw.shape, [3, 3, 2, 4]);
  assert.ok(dw.dataSync().every(Number.isFinite));
});

test("convPrecision 'auto' takes bf16 in the backward passes on AMX and f32 elsewhere; the addon says which ISA it has", async () => {
  const { autoConvPrecision } = await import('./native-backend.ts');
  assert.equal(autoConvPrecision('amx'), 'bf16-backward');
  assert.equal(autoConvPrecision('avx512_bf16'), 'f32');
  assert.equal(autoConvPrecision('none'), 'f32');
  const { loadAddon } = await import('@divblur/tfjs-native');
  const addon = loadAddon();
  if (addon) assert.match(addon.convBf16Isa(), /^(amx|avx512_bf16|none)$/);
});
