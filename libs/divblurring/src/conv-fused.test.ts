import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, CONV_RELU_BACKPROP, loadAddon, registerNativeKernels } from '@divblur/tfjs-native';
import { conv2dBiasRelu, conv2dSameBuiltin } from './conv.ts';
import { initBackend } from './backend.ts';
import { relativeError, tinyOptions } from './test-fixtures.ts';
import { createTrainer } from './train.ts';

before(async () => {
  await initBackend('cpu');
});

// relu(x ⋆ W + b) the way tfjs composes it, with tfjs's own gradients for every op.
const composed = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b));
const fused = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => conv2dBiasRelu(x as tf.Tensor4D, w, b);

/** The value and the gradients w.r.t. x, W and b of Σ r ⊙ f(x, W, b)², as flat arrays. */
function valueAndGrads(f: typeof fused, shapes: { x: number[]; w: number[] }): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal(shapes.x, 0, 1, 'float32', 1);
    const w = tf.randomNormal(shapes.w, 0, 0.5, 'float32', 2);
    const b = tf.randomNormal([shapes.w[3]], 0, 0.5, 'float32', 3);
    const r = tf.randomUniform([...shapes.x.slice(0, 3), shapes.w[3]], -1, 1, 'float32', 4);
    const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(r, tf.square(f(xx, ww, bb))));
    return [f(x, w, b), ...tf.grads(loss)([x, w, b])].map((t) => Float32Array.from(t.dataSync()));
  });
}

const shapes = { x: [3, 12, 10, 4], w: [3, 3, 4, 6] };

test('conv2dBiasRelu equals relu(conv2d + b) in value and in its three gradients (tfjs cpu kernels)', () => {
  const ours = valueAndGrads(fused, shapes);
  const reference = valueAndGrads(composed, shapes);
  ours.forEach((values, i) => assert.ok(relativeError(values, reference[i]) < 1e-5, `output ${i}: relative error ${relativeError(values, reference[i])}`));
  assert.ok(ours[0].some((v) => v === 0) && ours[0].some((v) => v > 0), 'the test must cover both sides of the relu');
});

test('linear conv2dSameBuiltin (one fused kernel) equals conv2d + b in value and gradients', () => {
  const linear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => conv2dSameBuiltin(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D);
  const plain = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b);
  const ours = valueAndGrads(linear, shapes);
  const reference = valueAndGrads(plain, shapes);
  ours.forEach((values, i) => assert.ok(relativeError(values, reference[i]) < 1e-5, `output ${i}`));
});

test('on the oneDNN kernels, conv2dBiasRelu runs one fused kernel each way and matches tfjs\'s composition', { skip: loadAddon() ? false : 'addon not built here' }, () => {
  const reference = valueAndGrads(composed, { x: [4, 32, 32, 8], w: [3, 3, 8, 16] });
  const kernels = registerNativeKernels();
  assert.ok(kernels);
  try {
    const ours = valueAndGrads(fused, { x: [4, 32, 32, 8], w: [3, 3, 8, 16] });
    ours.forEach((values, i) => assert.ok(relativeError(values, reference[i]) < 1e-4, `output ${i}: relative error ${relativeError(values, reference[i])}`));
    const counts = kernels.counts();
    // Forward one FusedConv2D, backward one DivblurConvReluBackprop (dz, db and both conv gradients).
    for (const name of [CONV_RELU_BACKPROP, 'FusedConv2D']) {
      const count = counts.get(name);
      assert.ok(count && count.calls > count.fallbacks, `${name} did not run natively`);
    }
    assert.equal(counts.get('Relu')?.calls, 0, 'no separate Relu kernel');
    assert.equal(counts.get('Conv2DBackpropFilter')?.calls, 0, 'no separate filter gradient kernel');
    assert.equal(counts.get('Step')?.calls, 0, 'no separate Step kernel');
  } finally {
    kernels.unregister();
  }
});

test('on the oneDNN kernels, training (fused convs, fused Adam) follows tfjs\'s own kernels step for step and leaks no tensor', { skip: loadAddon() ? false : 'addon not built here' }, () => {
  const losses = (): number[] => {
    const trainer = createTrainer(tinyOptions({ steps: 8, klHoldFraction: 0, klRampFraction: 0 }));
    const out = [trainer.train(trainer.nextBatch()).total];
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 7; i++) out.push(trainer.train(trainer.nextBatch()).total);
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew over training steps');
    trainer.dispose();
    return out;
  };
  const reference = losses();
  const kernels = registerNativeKernels();
  assert.ok(kernels);
  try {
    const ours = losses();
    ours.forEach((loss, i) => assert.ok(Math.abs(loss - reference[i]) <= 1e-4 * Math.abs(reference[i]), `step ${i + 1}: ${loss} vs ${reference[i]}`));
    for (const name of [ADAM_UPDATE, CONV_RELU_BACKPROP]) assert.ok((kernels.counts().get(name)?.calls ?? 0) > 0, `${name} did not run`);
  } finally {
    kernels.unregister();
  }
});
