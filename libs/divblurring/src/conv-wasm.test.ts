import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { backendHasConvFilterGradient, conv2dSame } from './conv.ts';
import { initBackend } from './backend.ts';

// The wasm backend has no Conv2DBackpropFilter: conv2dSame must pick the forward-conv gradients there
// and give the cpu backend kernels' numbers.
test('on wasm, conv2dSame trains with custom gradients equal to the cpu kernels (1e-5 relative)', async () => {
  const shapes = { x: [2, 9, 7, 3], w: [3, 3, 3, 5], b: [5], r: [2, 9, 7, 5] };
  const values = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, Array.from({ length: s.reduce((a, b) => a * b) }, (_, j) => Math.sin(1 + j * (i + 1.7)))]));
  const gradientsOn = async (backend: 'cpu' | 'wasm'): Promise<number[][]> => {
    await initBackend(backend);
    const [x, w, b, r] = (['x', 'w', 'b', 'r'] as const).map((k) => tf.tensor(values[k], shapes[k]));
    const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(r, tf.square(conv2dSame(xx as tf.Tensor4D, ww, bb))));
    return tf.grads(loss)([x, w, b]).map((g) => Array.from(g.dataSync()));
  };
  const reference = await gradientsOn('cpu');
  const wasm = await gradientsOn('wasm');
  assert.equal(backendHasConvFilterGradient(), false);
  wasm.forEach((g, i) => {
    const diff = Math.hypot(...g.map((v, j) => v - reference[i][j]));
    const norm = Math.hypot(...reference[i]);
    assert.ok(diff / norm < 1e-5, `gradient ${i}: relative error ${diff / norm}`);
  });
});
