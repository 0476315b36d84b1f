import { ImageValueError } from './errors.ts';

/** Index of the first NaN or ±Infinity in `data`, or -1 when every value is finite. */
export function firstNonFiniteIndex(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    // `v - v` is 0 for finite values and NaN for NaN/±Infinity: one comparison per value.
    const value = data[i];
    if (value - value !== 0) return i;
  }
  return -1;
}

/**
 * Throws `ImageValueError` (code `NON_FINITE`) naming the first NaN/Infinity of a stack or
 * image by its (image, row, column) position. `what` names the data in the message
 * ("the uploaded stack", "tile 3").
 */
export function assertFinite(
  image: { readonly data: ArrayLike<number>; readonly height: number; readonly width: number; readonly count?: number },
  what: string,
): void {
  const index = firstNonFiniteIndex(image.data);
  if (index < 0) return;
  const size = image.height * image.width;
  const imageIndex = Math.floor(index / size);
  const row = Math.floor((index % size) / image.width);
  const column = index % image.width;
  const where = image.count === undefined ? `row ${row}, column ${column}` : `image ${imageIndex}, row ${row}, column ${column}`;
  throw new ImageValueError(
    'NON_FINITE',
    `${what} contains ${String(image.data[index])} at ${where} (flat index ${index}); ` +
      'every value must be a finite number: replace NaN/Infinity (e.g. masked pixels) with a real intensity first',
  );
}
