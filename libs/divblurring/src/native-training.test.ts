import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, CONV_RELU_BACKPROP, loadAddon, registerNativeKernels } from '@divblur/tfjs-native';
import { assertClose, assertRanNatively, bothPaths } from '@divblur/tfjs-native/testing';
import { useFusedConvolutions } from './conv.ts';
import { gaussianNoise, Random } from './imaging.ts';
import { divblurLoss, psfFilter } from './loss.ts';
import { decode, encode, initParams, sampleLatent } from './model.ts';
import { BOX_PSF_3, tinyImages, tinyOptions } from './test-fixtures.ts';
import { createTrainer } from './train.ts';

// The oneDNN kernels (libs/tfjs-native) end to end, on the product's own model, loss and trainer.
await tf.setBackend('cpu');
const skip = loadAddon() ? false : 'addon not built here';

const small = { depth: 2, filters: [4, 8], latentChannels: 8, kernelSize: 3, output: 'linear' as const };

for (const fused of [false, true]) {
  test(`loss and every gradient of the model's training objective (${fused ? 'fused' : 'plain'} convs) equal tfjs's kernels' to 1e-4`, { skip }, () => {
    useFusedConvolutions(fused);
    const params = initParams(small, new Random(3));
    const names = Object.keys(params);
    const batch = 2;
    const side = 24;
    const y = tf.tensor4d(tinyImages(batch, side, 11).data, [batch, side, side, 1]);
    const eps = tf.randomNormal([batch, side / 4, side / 4, small.latentChannels], 0, 1, 'float32', 12) as tf.Tensor4D;
    const psf = psfFilter({ data: new Float32Array(25).fill(1 / 25), height: 5, width: 5 });
    const normalisation = { mean: 0.1, std: 0.3 };
    try {
      const { reference, native, counts } = bothPaths(() => {
        const { value, grads } = tf.variableGrads(() => {
          const { mu, logvar } = encode(params, small, normalisation, y);
          const x = decode(params, small, normalisation, sampleLatent(mu, logvar, eps));
          return divblurLoss({ y, x, mu, logvar, psf, noiseModel: gaussianNoise(0.05), beta: 1, freeBitsNats: 0.01, penalty: { name: 'none', lambda: 0, kappa: 0 } }).objective;
        }, Object.values(params));
        return [value, ...names.map((n) => grads[params[n].name])];
      });
      assertClose(native[0], reference[0], 1e-4, 'loss');
      names.forEach((name, i) => assertClose(native[i + 1], reference[i + 1], 1e-4, `d loss / d ${name}`));
      const kernels = fused ? ['FusedConv2D', CONV_RELU_BACKPROP] : ['Conv2D', 'Step'];
      for (const k of [...kernels, 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'Sum']) {
        assertRanNatively(counts, k, counts.get(k)?.fallbacks);
      }
    } finally {
      useFusedConvolutions(true);
      tf.dispose([y, eps, psf, ...Object.values(params)]);
    }
  });
}

test('1100 native steps of the trainer (fused convs, fused Adam) leave tensor count and native memory flat', { skip }, () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const kernels = registerNativeKernels();
  assert.ok(kernels);
  try {
    const trainer = createTrainer(tinyOptions({
      model: { depth: 2, filters: [2, 4], latentChannels: 4, kernelSize: 3, output: 'linear' },
      images: tinyImages(4, 16, 13), psf: BOX_PSF_3, batchSize: 2, patchSize: 8, steps: 2000,
    }));
    const steps = (count: number): void => {
      for (let i = 0; i < count; i++) trainer.train(trainer.nextBatch());
    };
    // RSS minus V8's reserved heap is native memory (addon, oneDNN, typed-array stores); V8 grows and shrinks
    // its reservation (heapTotal) on its own schedule, so live JS memory is judged by heapUsed instead.
    const sample = (): { native: number; heapUsed: number } => {
      gc();
      kernels.addon.trimMemory();
      const m = process.memoryUsage();
      return { native: m.rss - m.heapTotal, heapUsed: m.heapUsed };
    };
    // RSS settles within the first few hundred steps (allocator arenas, JIT code), then wanders by a few MiB from
    // sample to sample; a leak keeps growing. So: medians of three samples at the start and at the end of 800
    // further steps (a leak of 40 kB a step, retained Buffers, shows as 19 MiB and fails).
    steps(300);
    const tensorsAfterWarmup = tf.memory().numTensors;
    const filterGradientsOf = (): number => (kernels.counts().get('Conv2DBackpropFilter')?.calls ?? 0) + (kernels.counts().get(CONV_RELU_BACKPROP)?.calls ?? 0);
    const filterGradients = filterGradientsOf();
    const samples: Array<{ native: number; heapUsed: number }> = [];
    for (let i = 0; i < 9; i++) {
      if (i > 0) steps(100);
      samples.push(sample());
    }
    assert.equal(tf.memory().numTensors, tensorsAfterWarmup, 'tensor count grew');
    const median = (values: number[]): number => values.sort((a, b) => a - b)[1];
    const growth = (key: 'native' | 'heapUsed') => median(samples.slice(-3).map((s) => s[key])) - median(samples.slice(0, 3).map((s) => s[key]));
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    assert.ok(growth('native') < 16 * 2 ** 20, `native memory (RSS − V8 heap) grew ${mib(growth('native'))} MiB over 600 steps`);
    assert.ok(growth('heapUsed') < 4 * 2 ** 20, `JS heap grew ${mib(growth('heapUsed'))} MiB over 600 steps`);
    // 11 'same' convs per step, each with a filter gradient (alone, or in the fused relu-conv backward), and Adam as one
    // kernel per parameter.
    const filterGradientsPerStep = (filterGradientsOf() - filterGradients) / 800;
    assert.ok(filterGradientsPerStep >= 11, `native filter gradient ran ${filterGradientsPerStep} times a step`);
    assert.ok((kernels.counts().get(ADAM_UPDATE)?.calls ?? 0) > 0, 'fused Adam did not run');
    trainer.dispose();
  } finally {
    kernels.unregister();
  }
});
