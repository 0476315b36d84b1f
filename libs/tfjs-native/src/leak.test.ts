import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from './addon.ts';
import { contractLoss, disposeStepData, initParams, randomStepData, type ContractVaeConfig } from './contract-vae.ts';
import { registerNativeKernels } from './register.ts';

await tf.setBackend('cpu');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const skip = loadAddon() ? false : 'addon not built here';
const tiny: ContractVaeConfig = { depth: 2, filters: [2, 4], latentChannels: 4, kernelSize: 3 };

test('1000 native training steps of a small VAE leave tensor count and RSS flat', { skip }, () => {
  const kernels = registerNativeKernels();
  assert.ok(kernels);
  try {
    const params = initParams(tiny, 5);
    const data = randomStepData(tiny, 2, 8, 3, 13, 'fused');
    const optimizer = tf.train.adam(1e-3);
    const step = (): void => { tf.dispose(optimizer.minimize(() => contractLoss(tiny, params, data), true) ?? []); };
    // RSS settles within the first few hundred steps (allocator arenas, JIT code); a leak keeps growing.
    for (let i = 0; i < 300; i++) step();
    gc();
    kernels.addon.trimMemory();
    const tensorsAfterWarmup = tf.memory().numTensors;
    const before = process.memoryUsage();
    for (let i = 0; i < 700; i++) step();
    gc();
    kernels.addon.trimMemory();
    const after = process.memoryUsage();
    assert.equal(tf.memory().numTensors, tensorsAfterWarmup, 'tensor count grew');
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    // RSS minus V8's reserved heap is native memory (addon, oneDNN, typed-array stores); V8 grows and shrinks
    // its reservation (heapTotal) on its own schedule, so live JS memory is judged by heapUsed instead.
    const nativeGrowth = (after.rss - after.heapTotal) - (before.rss - before.heapTotal);
    assert.ok(nativeGrowth < 16 * 2 ** 20, `native memory (RSS − V8 heap) grew ${mib(nativeGrowth)} MiB over 700 steps`);
    assert.ok(after.heapUsed - before.heapUsed < 4 * 2 ** 20, `JS heap grew ${mib(after.heapUsed - before.heapUsed)} MiB`);
    assert.ok((kernels.counts().get('Conv2DBackpropFilter')?.calls ?? 0) >= 1000 * 13, 'native filter gradient not used');
    optimizer.dispose();
    disposeStepData(data);
    tf.dispose([...params.values()]);
  } finally {
    kernels.unregister();
  }
});
