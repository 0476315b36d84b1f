import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dihedral, samplePatches, undoDihedral } from './data.ts';
import { Random } from './imaging.ts';

const image = { data: Float32Array.from({ length: 6 }, (_, i) => i), height: 2, width: 3 };

test('the 8 dihedral transforms are distinct and each is undone by undoDihedral', () => {
  const seen = new Set<string>();
  for (let k = 0; k < 8; k++) {
    const transformed = dihedral(image, k);
    seen.add(`${transformed.height}x${transformed.width}:${Array.from(transformed.data)}`);
    assert.deepEqual(undoDihedral(transformed, k), image);
  }
  assert.equal(seen.size, 8);
  assert.deepEqual(Array.from(dihedral(image, 4).data), [0, 3, 1, 4, 2, 5]); // transpose
  assert.deepEqual(Array.from(dihedral(image, 2).data), [2, 1, 0, 5, 4, 3]); // mirror left-right
});

test('patches are augmented crops of the images and the same seed gives the same batch', () => {
  const side = 5;
  const stack = { data: Float32Array.from({ length: 2 * side * side }, (_, i) => i), count: 2, height: side, width: side };
  const a = samplePatches(stack, 3, 16, new Random(1));
  const b = samplePatches(stack, 3, 16, new Random(1));
  assert.deepEqual(a, b);
  for (let n = 0; n < 16; n++) {
    const patch = Array.from(a.subarray(n * 9, n * 9 + 9)).sort((x, y) => x - y);
    // whatever the symmetry, the sorted values are a 3×3 block starting at some (image, top, left)
    const first = patch[0];
    const expected = [0, 1, 2, 5, 6, 7, 10, 11, 12].map((d) => first + d);
    assert.deepEqual(patch, expected);
  }
  assert.notDeepEqual(a, samplePatches(stack, 3, 16, new Random(2)));
});

test('patches are turned only by the transforms given: with the column mirror alone, every patch is a crop or its mirror', () => {
  const side = 5;
  const stack = { data: Float32Array.from({ length: side * side }, (_, i) => i), count: 1, height: side, width: side };
  const seen = new Set<number>();
  const patches = samplePatches(stack, 3, 64, new Random(3), [0, 2]);
  for (let n = 0; n < 64; n++) {
    const patch = Array.from(patches.subarray(n * 9, n * 9 + 9));
    const origin = Math.min(...patch); // top-left of the crop in the image
    const crop = [0, 1, 2, 5, 6, 7, 10, 11, 12].map((d) => origin + d);
    const mirrored = [2, 1, 0, 7, 6, 5, 12, 11, 10].map((d) => origin + d);
    if (patch.join() === crop.join()) seen.add(0);
    else if (patch.join() === mirrored.join()) seen.add(2);
    else assert.fail(`patch ${n} is neither the crop at ${origin} nor its mirror: ${patch}`);
  }
  assert.deepEqual([...seen].sort(), [0, 2]);
  // all 8 given explicitly draws exactly what the default draws
  assert.deepEqual(samplePatches(stack, 3, 16, new Random(4), [0, 1, 2, 3, 4, 5, 6, 7]), samplePatches(stack, 3, 16, new Random(4)));
});
