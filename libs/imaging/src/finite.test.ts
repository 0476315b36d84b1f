import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFinite, firstNonFiniteIndex } from './finite.ts';
import { ImageValueError } from './errors.ts';

test('firstNonFiniteIndex finds NaN and ±Infinity, -1 when all finite', () => {
  assert.equal(firstNonFiniteIndex(new Float32Array([0, -1e30, 3.4e38])), -1);
  assert.equal(firstNonFiniteIndex(new Float32Array([0, 1, Number.NaN, Infinity])), 2);
  assert.equal(firstNonFiniteIndex(new Float64Array([0, -Infinity])), 1);
});

test('assertFinite names the image, row and column of the first bad value', () => {
  const data = new Float32Array(2 * 3 * 4);
  data[1 * 12 + 2 * 4 + 1] = Number.NaN;
  data[1 * 12 + 2 * 4 + 3] = Infinity;
  assert.throws(
    () => assertFinite({ data, count: 2, height: 3, width: 4 }, 'the uploaded stack'),
    (error: unknown) =>
      error instanceof ImageValueError &&
      error.code === 'NON_FINITE' &&
      /the uploaded stack contains NaN at image 1, row 2, column 1 \(flat index 21\)/.test(error.message),
  );
});

test('assertFinite accepts finite data and reports a single image without an image index', () => {
  assert.doesNotThrow(() => assertFinite({ data: new Float32Array([1, 2, 3, 4]), height: 2, width: 2 }, 'x'));
  assert.throws(
    () => assertFinite({ data: new Float32Array([1, 2, 3, -Infinity]), height: 2, width: 2 }, 'the PSF'),
    /the PSF contains -Infinity at row 1, column 1/,
  );
});
