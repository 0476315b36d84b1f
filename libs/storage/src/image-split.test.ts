import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluationSplitOf, selectImages, splitImages } from './image-split.ts';

test('holds out the last fifth of the images, at least one, and trains on the rest', () => {
  assert.deepEqual(splitImages(8), { trainIndices: [0, 1, 2, 3, 4, 5], evalIndices: [6, 7], imageSet: 'heldout' });
  assert.deepEqual(splitImages(2), { trainIndices: [0], evalIndices: [1], imageSet: 'heldout' });
  for (let count = 2; count < 40; count++) {
    const { trainIndices, evalIndices } = splitImages(count);
    assert.equal(trainIndices.length + evalIndices.length, count);
    assert.ok(trainIndices.length >= 1 && evalIndices.length >= 1);
    assert.ok(!evalIndices.some((i) => trainIndices.includes(i)));
  }
});

test('a one-image dataset is evaluated on its training image and says so', () => {
  assert.deepEqual(splitImages(1), { trainIndices: [0], evalIndices: [0], imageSet: 'train' });
});

test('selectImages copies the chosen pages in order', () => {
  const stack = { data: Float32Array.from({ length: 3 * 4 }, (_, i) => i), count: 3, height: 2, width: 2 };
  const picked = selectImages(stack, [2, 0]);
  assert.deepEqual(Array.from(picked.data), [8, 9, 10, 11, 0, 1, 2, 3]);
  assert.equal(picked.count, 2);
});

test('the evaluation reads the split the trainer recorded in the model meta, and all images when it records none', () => {
  const split = splitImages(10);
  assert.deepEqual(evaluationSplitOf({ evaluation: split, steps: 5 }, 10), { imageSet: 'heldout', evalIndices: [8, 9] });
  assert.deepEqual(evaluationSplitOf({}, 3), { imageSet: 'all', evalIndices: [0, 1, 2] });
  assert.deepEqual(evaluationSplitOf({ evaluation: { imageSet: 'heldout', evalIndices: [8, 9] } }, 5), { imageSet: 'all', evalIndices: [0, 1, 2, 3, 4] },
    'indices beyond the dataset are not trusted');
});
