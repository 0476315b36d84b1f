import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { KERNEL_SIZES } from '@divblur/divblurring/contract';
import { Network } from '@divblur/queue';

// The experiment spec (libs/queue, no dependency on the method library) lists its kernel sizes itself; the model
// contract's KERNEL_SIZES are the ones that train and export (libs/onnx trained-export.test.ts). A size the spec
// accepted but export refused would train a whole run and then fail.
test('the experiment spec accepts exactly the kernel sizes the model contract trains and exports', () => {
  for (const kernelSize of [...KERNEL_SIZES, 0, 2, 9, 11]) {
    const network = { depth: 2, latentChannels: 64, kernelSize, output: 'linear' };
    assert.equal(Value.Check(Network, network), KERNEL_SIZES.includes(kernelSize), `kernelSize ${kernelSize}`);
  }
});
