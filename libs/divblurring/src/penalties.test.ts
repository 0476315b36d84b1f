import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { checkPenalty, penaltyPerImage, type PenaltyName } from './penalties.ts';

before(async () => {
  await initBackend('cpu');
});

const values = [1.5, -2, 0.25, -0.5];
const x = (): tf.Tensor4D => tf.tensor4d(values, [1, 2, 2, 1]);
const lambda = 0.3;
const kappa = 2;

// value and dR/dx of each penalty, by hand
const expected: Record<PenaltyName, { value: number; gradient: number[] }> = {
  none: { value: 0, gradient: [0, 0, 0, 0] },
  l1: { value: lambda * 4.25, gradient: values.map((v) => lambda * Math.sign(v)) },
  l2: { value: lambda * (2.25 + 4 + 0.0625 + 0.25), gradient: values.map((v) => 2 * lambda * v) },
  positivity: { value: lambda * (4 + 0.25), gradient: values.map((v) => (v < 0 ? 2 * lambda * v : 0)) },
  positivity_l1: {
    value: kappa * (4 + 0.25) + lambda * 4.25,
    gradient: values.map((v) => (v < 0 ? 2 * kappa * v : 0) + lambda * Math.sign(v)),
  },
};

for (const [name, { value, gradient }] of Object.entries(expected) as Array<[PenaltyName, (typeof expected)[PenaltyName]]>) {
  test(`penalty ${name}: value and gradient in data units`, () => {
    const penalty = { name, lambda, kappa };
    const [result] = penaltyPerImage(penalty, x()).arraySync() as number[];
    assert.ok(Math.abs(result - value) < 1e-5, `${result} ≠ ${value}`);
    // + 0·Σx keeps x on the tape for the constant penalty none
    const grad = tf.grad((t: tf.Tensor) => tf.add(tf.sum(penaltyPerImage(penalty, t as tf.Tensor4D)), tf.mul(tf.sum(t), 0)))(x());
    Array.from(grad.dataSync()).forEach((g, i) => assert.ok(Math.abs(g - gradient[i]) < 1e-5, `∂R/∂x${i}: ${g} ≠ ${gradient[i]}`));
  });
}

test('penalty is summed per image, not over the batch', () => {
  const batch = tf.tensor4d([1, -1, 2, -2], [2, 1, 2, 1]);
  assert.deepEqual(Array.from(penaltyPerImage({ name: 'l1', lambda: 1, kappa: 0 }, batch).dataSync()), [2, 4]);
});

test('rejects an unknown penalty and a negative λ', () => {
  assert.throws(() => checkPenalty({ name: 'tv' as PenaltyName, lambda: 1, kappa: 0 }), /penalty must be one of/);
  assert.throws(() => checkPenalty({ name: 'l1', lambda: -1, kappa: 0 }), /lambda must be finite and ≥ 0/);
});
