import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from './addon.ts';
import { registerNativeKernels } from './register.ts';
import { ADAM_UPDATE, CONV_RELU_BACKPROP, RELU_BIAS_BACKPROP } from './kernels/fused.ts';
import { assertClose, assertRanNatively, bothPaths } from './testing.ts';

await tf.setBackend('cpu');
const skip = loadAddon() ? false : 'addon not built here (apt-get install -y libdnnl-dev, then npm ci)';
const rtol = 1e-4;

/** Compares both paths; `natively` lists kernels that must have run natively (name or [name, fallbacks]). */
function check(what: string, compute: () => tf.Tensor | tf.Tensor[], natively: Array<string | [string, number]> = []): void {
  const { reference, native, counts } = bothPaths(compute);
  assert.equal(native.length, reference.length);
  native.forEach((values, i) => assertClose(values, reference[i], rtol, `${what} [${i}]`));
  for (const k of natively) typeof k === 'string' ? assertRanNatively(counts, k) : assertRanNatively(counts, k[0], k[1]);
}

const rand = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);

test('conv2d and its input/filter gradients match tfjs for the strides, pads and dilations in use', { skip }, () => {
  const cases: Array<{ x: number[]; k: number[]; stride: number | [number, number]; pad: 'same' | 'valid' | number; dilation: number }> = [
    { x: [2, 9, 8, 3], k: [3, 3, 3, 5], stride: 1, pad: 'same', dilation: 1 },
    { x: [2, 9, 8, 3], k: [3, 3, 3, 5], stride: 2, pad: 'same', dilation: 1 },
    { x: [2, 9, 8, 3], k: [3, 3, 3, 5], stride: [2, 1], pad: 'valid', dilation: 1 },
    { x: [1, 12, 12, 1], k: [11, 11, 1, 1], stride: 1, pad: 'valid', dilation: 1 },
    { x: [2, 8, 8, 4], k: [3, 3, 4, 2], stride: 1, pad: 1, dilation: 1 },
    { x: [1, 10, 10, 2], k: [3, 3, 2, 3], stride: 1, pad: 'same', dilation: 2 },
  ];
  for (const [i, c] of cases.entries()) {
    const x = rand(c.x, 10 + i);
    const w = rand(c.k, 20 + i);
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Tensor =>
      tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation);
    check(`conv2d case ${i}`, () => f(x, w), ['Conv2D']);
    if (c.dilation === 1) {
      check(`conv2d grads case ${i}`, () => tf.grads((xx: tf.Tensor, ww: tf.Tensor) => f(xx, ww).square().sum())([x, w]),
        ['Conv2DBackpropInput', 'Conv2DBackpropFilter']);
    }
  }
});

test('fused conv2d with bias and relu or linear matches tfjs', { skip }, () => {
  const x = rand([2, 8, 8, 3], 1) as tf.Tensor4D;
  const w = rand([3, 3, 3, 4], 2) as tf.Tensor4D;
  const b = rand([4], 3) as tf.Tensor1D;
  for (const activation of ['relu', 'linear'] as const) {
    check(`fused ${activation}`, () => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation }), ['FusedConv2D']);
  }
  check('fused elu falls back', () => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'elu' }));
  assert.equal(bothPaths(() => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'elu' })).counts.get('FusedConv2D')?.fallbacks, 1);
});

test('conv2dTranspose (2×2 stride 2 and 3×3 stride 2) and its gradients match tfjs', { skip }, () => {
  const z = rand([2, 4, 4, 6], 4) as tf.Tensor4D;
  const up2 = rand([2, 2, 3, 6], 5) as tf.Tensor4D;
  const up3 = rand([3, 3, 3, 6], 6) as tf.Tensor4D;
  check('transpose 2x2', () => tf.conv2dTranspose(z, up2, [2, 8, 8, 3], 2, 'same'), ['Conv2DBackpropInput']);
  check('transpose 3x3', () => tf.conv2dTranspose(z, up3, [2, 7, 7, 3], 2, 'same'));
  check('transpose grads', () => tf.grads((zz: tf.Tensor, ww: tf.Tensor) =>
    tf.conv2dTranspose(zz as tf.Tensor4D, ww as tf.Tensor4D, [2, 8, 8, 3], 2, 'same').square().sum())([z, up2]), ['Conv2D', 'Conv2DBackpropFilter']);
});

test('max pooling and its gradient match tfjs, including ties and overlapping windows', { skip }, () => {
  const x = rand([2, 7, 9, 3], 7) as tf.Tensor4D;
  const ties = tf.relu(rand([2, 8, 8, 3], 8)) as tf.Tensor4D;
  for (const [name, input, size, stride] of [['2x2', x, 2, 2], ['ties', ties, 2, 2], ['3x3 s1', x, 3, 1]] as const) {
    check(`maxPool ${name}`, () => tf.maxPool(input, size, stride, 'valid'), ['MaxPool']);
    check(`maxPool grad ${name}`, () => tf.grad((xx: tf.Tensor) => tf.maxPool(xx as tf.Tensor4D, size, stride, 'valid').mul(tf.range(1, 1 + tf.maxPool(input, size, stride, 'valid').size).reshape(tf.maxPool(input, size, stride, 'valid').shape)).sum())(input), ['MaxPoolGrad']);
  }
  check('maxPool same (falls back)', () => tf.maxPool(x, 2, 2, 'same'));
  assert.equal(bothPaths(() => tf.maxPool(x, 2, 2, 'same')).counts.get('MaxPool')?.fallbacks, 1);
});

test('binary ops match tfjs for equal shapes, scalars, bias broadcasts and other broadcasts', { skip }, () => {
  const a = rand([2, 3, 4, 5], 9);
  const pairs: Array<[string, tf.Tensor, tf.Tensor]> = [
    ['same', a, rand([2, 3, 4, 5], 10)], ['b scalar', a, tf.scalar(1.5)], ['a scalar', tf.scalar(-2), a],
    ['bias', a, rand([5], 11)], ['a rows', rand([4, 5], 12), a], ['middle broadcast (fallback)', a, rand([2, 1, 4, 5], 13)],
  ];
  for (const [name, p, q] of pairs) {
    const fallbacks = name.includes('fallback') ? 1 : 0;
    check(`binary ${name}`, () => [tf.add(p, q), tf.sub(p, q), tf.mul(p, q), tf.div(p, q)],
      fallbacks ? [] : [['Add', 0], ['Sub', 0], ['Multiply', 0], ['RealDiv', 0]]);
  }
  check('int32 (fallback)', () => tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3, 4], [2], 'int32')).toFloat());
});

test('unary ops match tfjs, NaN included', { skip }, () => {
  const x = tf.concat([rand([1000], 14), tf.tensor1d([0, NaN, Infinity, -Infinity])]);
  const positive = tf.abs(x);
  check('unary', () => [tf.relu(x), tf.step(x), tf.step(x, 0.3), tf.neg(x), tf.exp(x), tf.square(x), tf.sqrt(positive), tf.log(positive)],
    ['Relu', 'Step', 'Neg', 'Exp', 'Square', 'Sqrt', 'Log']);
});

test('sum and mean over leading, trailing, middle and all axes, and slices, match tfjs', { skip }, () => {
  const x = rand([3, 5, 6, 7], 15);
  check('sum', () => [tf.sum(x, [0, 1, 2]), tf.sum(x, 3), tf.sum(x), tf.sum(x, [1, 2], true), tf.sum(x, [0, 2])], [['Sum', 1]]);
  check('mean', () => [tf.mean(x, [0, 1, 2]), tf.mean(x), tf.mean(x, 3, true), tf.mean(x, [0, 2])], [['Mean', 1]]);
  check('slice', () => [tf.slice(x, [0, 1, 2, 0], [-1, 3, 3, -1]), tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]), tf.slice(x, [0, 0, 0, 2], [3, 5, 6, 4])], [['Slice', 1]]);
});

test('batch matmul (transposes, batch broadcast) and transposes (chunked and element-wise) match tfjs', { skip }, () => {
  const a = rand([3, 4, 5], 16);
  const b = rand([3, 5, 6], 17);
  check('matmul', () => [tf.matMul(a, b), tf.matMul(tf.transpose(a, [0, 2, 1]), b, true, false),
    tf.matMul(a, tf.transpose(b, [0, 2, 1]), false, true), tf.matMul(rand([7, 5], 18), rand([5, 3], 19)),
    tf.matMul(a, rand([1, 5, 2], 20)), tf.matMul(rand([5, 4], 21), rand([2, 5], 22), true, true)], ['BatchMatMul']);
  const x = rand([2, 3, 4, 2, 2, 5], 23);
  check('transpose', () => [tf.transpose(x, [0, 1, 3, 2, 4, 5]), tf.transpose(x, [5, 4, 3, 2, 1, 0]),
    tf.transpose(rand([6, 7], 24)), tf.transpose(x, [0, 1, 2, 3, 4, 5])], ['Transpose']);
  check('matmul middle broadcast (fallback)', () => tf.matMul(rand([2, 1, 3, 4], 25), rand([1, 2, 4, 3], 26)));
});

test('the fused relu-and-bias backward pass equals Step · dy and its column sums, NaN and zeros included', { skip }, () => {
  // What libs/divblurring's conv2dBiasRelu runs: the kernel where it is registered, tfjs's composition otherwise.
  const reluBiasBackprop = (dy: tf.Tensor, y: tf.Tensor): tf.Tensor[] => {
    if (tf.getKernel(RELU_BIAS_BACKPROP, 'cpu')) return tf.engine().runKernel(RELU_BIAS_BACKPROP, { dy, y }) as unknown as tf.Tensor[];
    const dz = tf.mul(dy, tf.step(y));
    return [dz, tf.sum(dz, [0, 1, 2])];
  };
  for (const [i, shape] of [[2, 3, 4, 5], [4, 32, 32, 8]].entries()) { // the second crosses the parallel threshold
    const y = tf.relu(rand(shape, 30 + i)); // exact zeros where the pre-activation was negative
    const dy = rand(shape, 40 + i);
    check(`relu bias backprop ${shape}`, () => reluBiasBackprop(dy, y), [RELU_BIAS_BACKPROP]);
  }
  const withNaN = tf.tensor4d([1, 0, NaN, 2, 3, 0], [1, 1, 3, 2]);
  check('relu bias backprop NaN', () => reluBiasBackprop(tf.onesLike(withNaN), withNaN), [RELU_BIAS_BACKPROP]);
});

test('the fused Adam step equals tfjs\'s composed update of m, v and the parameter', { skip }, () => {
  const settings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), secondMomentCorrection: 1 / (1 - 0.999 ** 3) };
  const adam = (p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor): tf.Tensor[] => {
    if (tf.getKernel(ADAM_UPDATE, 'cpu')) return tf.engine().runKernel(ADAM_UPDATE, { p, m, v, g }, settings) as unknown as tf.Tensor[];
    const { beta1, beta2, epsilon, stepSize, secondMomentCorrection } = settings;
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    return [tf.sub(p, tf.mul(tf.div(m1, tf.add(tf.sqrt(tf.mul(v1, secondMomentCorrection)), epsilon)), stepSize)), m1, v1];
  };
  for (const [i, shape] of [[3, 3, 4, 5], [3, 3, 64, 64]].entries()) { // the second crosses the parallel threshold
    const g = rand(shape, 50 + i);
    check(`adam ${shape}`, () => adam(rand(shape, 60 + i), tf.mul(rand(shape, 70 + i), 0.01), tf.square(tf.mul(rand(shape, 80 + i), 0.01)), g), [ADAM_UPDATE]);
  }
});

const addon = loadAddon();
const bf16Skip = skip || (addon?.setConvBf16(1) && !addon.setConvBf16(0) ? false : 'this CPU has no optimised bf16 convolutions');

test('bf16 convolutions: ≥ 16 channels within bf16 rounding of f32 (and not equal to it), 1-channel layers exactly f32', { skip: bf16Skip }, () => {
  if (!addon) return;
  const x = rand([2, 12, 12, 16], 31) as tf.Tensor4D;
  const w = rand([3, 3, 16, 16], 32) as tf.Tensor4D;
  const x1 = rand([2, 20, 20, 1], 33) as tf.Tensor4D;
  const psf = rand([11, 11, 1, 1], 34) as tf.Tensor4D;
  const wide = (): tf.Tensor[] => tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
    tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same').square().sum())([x, w]).concat(tf.conv2d(x, w, 1, 'same'));
  const narrow = (): tf.Tensor[] => tf.grads((xx: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, psf, 1, 'valid').square().sum())([x1])
    .concat(tf.conv2d(x1, psf, 1, 'valid'));
  const f32 = { wide: bothPaths(wide).native, narrow: bothPaths(narrow).native };
  assert.equal(addon.setConvBf16(1), 1);
  try {
    assert.equal(addon.convBf16(), 1);
    assert.match(addon.convImplNames([2, 12, 12, 16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]), /bf16/);
    const bf16 = { wide: bothPaths(wide).native, narrow: bothPaths(narrow).native };
    bf16.wide.forEach((values, i) => {
      assertClose(values, f32.wide[i], 2e-2, `bf16 wide [${i}]`); // bf16 keeps 8 bits of mantissa: ≈ 4e-3 per product
      assert.ok(values.some((v, j) => v !== f32.wide[i][j]), `bf16 wide [${i}] equals f32: the bf16 path did not run`);
    });
    bf16.narrow.forEach((values, i) => assert.deepEqual(values, f32.narrow[i], `1-channel layer [${i}] must stay f32`));
    // Mode 2: the forward (the last of `wide`'s outputs) exactly f32, the gradients in bf16.
    assert.equal(addon.setConvBf16(2), 2);
    const backward = bothPaths(wide).native;
    assert.deepEqual(backward[2], f32.wide[2], 'forward stays f32 in mode 2');
    assert.ok(backward[0].some((v, j) => v !== f32.wide[0][j]), 'input gradient in bf16 in mode 2');
  } finally {
    addon.setConvBf16(0);
  }
});

test('the fused backward of relu(conv + b) equals tfjs\'s composed dz = dy·[y > 0], conv gradients and Σ dz, in f32 and with bf16', { skip }, () => {
  const x = rand([2, 10, 10, 16], 41) as tf.Tensor4D;
  const w = rand([3, 3, 16, 24], 42) as tf.Tensor4D;
  const b = rand([24], 43) as tf.Tensor1D;
  const dy = rand([2, 10, 10, 24], 44) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as const;
  // Reference: tfjs's own kernels, composed the way libs/divblurring does where the fused kernel is absent.
  const reference = tf.tidy(() => {
    const y = tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), b));
    const dz = tf.mul(dy, tf.step(y));
    return [tf.conv2dTranspose(dz as tf.Tensor4D, w, x.shape, 1, 'same'),
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...attrs, filterShape: w.shape }) as tf.Tensor, tf.sum(dz, [0, 1, 2])]
      .map((t) => Float32Array.from(t.dataSync()));
  });
  const kernels = registerNativeKernels();
  assert.ok(kernels);
  try {
    // One y (f32) for every variant: in bf16 a recomputed forward would move the relu mask where y ≈ 0.
    const y = tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), b));
    const fused = (): Float32Array[] => tf.tidy(() =>
      (tf.engine().runKernel(CONV_RELU_BACKPROP, { dy, y, x, filter: w }, attrs) as unknown as tf.Tensor[]).map((t) => Float32Array.from(t.dataSync())));
    fused().forEach((values, i) => assertClose(values, reference[i], rtol, `fused backward f32 [${i}]`));
    if (kernels.addon.setConvBf16(1)) {
      try {
        fused().forEach((values, i) => assertClose(values, reference[i], 2e-2, `fused backward bf16 [${i}]`));
      } finally {
        kernels.addon.setConvBf16(0);
      }
    }
    assert.ok((kernels.counts().get(CONV_RELU_BACKPROP)?.calls ?? 0) >= 1);
    assert.throws(() => tf.engine().runKernel(CONV_RELU_BACKPROP, { dy: tf.zeros([2, 9, 10, 24]), y: dy, x, filter: w }, attrs), /dy and y of the output's shape/);
  } finally {
    kernels.unregister();
  }
});
