import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from './addon.ts';
import { contractLoss, disposeStepData, initParams, randomStepData, type ContractVaeConfig } from './contract-vae.ts';
import { assertClose, assertRanNatively, bothPaths } from './testing.ts';

await tf.setBackend('cpu');
const skip = loadAddon() ? false : 'addon not built here';
const small: ContractVaeConfig = { depth: 2, filters: [4, 8], latentChannels: 8, kernelSize: 3 };

for (const convStyle of ['plain', 'fused'] as const) {
  test(`loss and every gradient of a small VAE step (${convStyle} convs) equal tfjs's to 1e-4`, { skip }, () => {
    const params = initParams(small, 3);
    const data = randomStepData(small, 2, 24, 5, 11, convStyle);
    const names = [...params.keys()];
    const { reference, native, counts } = bothPaths(() => {
      const { value, grads } = tf.variableGrads(() => contractLoss(small, params, data));
      return [value, ...names.map((n) => grads[n])];
    });
    assertClose(native[0], reference[0], 1e-4, 'loss');
    names.forEach((name, i) => assertClose(native[i + 1], reference[i + 1], 1e-4, `d loss / d ${name}`));
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'Step', 'Sum']) {
      assertRanNatively(counts, k, counts.get(k)?.fallbacks);
    }
    disposeStepData(data);
    tf.dispose([...params.values()]);
  });
}
