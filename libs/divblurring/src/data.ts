/**
 * Training patches: a random image, a random position, one of the 8 symmetries of the square
 * (the dihedral group D4: 4 rotations × optional mirror), all drawn from one seeded generator.
 */
import type { Image, Random, Stack } from './imaging.ts';
import { DivblurConfigError } from './errors.ts';

/** The 8 dihedral transforms, numbered as below. */
export const ALL_TRANSFORMS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7];

/** What is wrong with a list of transforms (empty, repeated, or outside 0..7), or null when nothing is. */
export function transformListProblem(transforms: readonly number[]): string | null {
  const valid = transforms.length > 0 && new Set(transforms).size === transforms.length && transforms.every((k) => ALL_TRANSFORMS.includes(k));
  return valid ? null : `must list distinct transforms among 0..7, got [${transforms.join(', ')}]`;
}

/** Shape of an image after dihedral transform k ∈ 0..7 (bit 2 = transpose). */
export function dihedralShape(height: number, width: number, k: number): [number, number] {
  return k & 4 ? [width, height] : [height, width];
}

/**
 * Source index (row-major, in the untransformed image) of pixel (i, j) of the transformed one:
 * flip rows (bit 0), flip columns (bit 1) in transformed coordinates, then transpose (bit 2).
 */
function sourceIndex(i: number, j: number, k: number, height: number, width: number): number {
  const [transformedHeight, transformedWidth] = dihedralShape(height, width, k);
  let a = k & 1 ? transformedHeight - 1 - i : i;
  let b = k & 2 ? transformedWidth - 1 - j : j;
  if (k & 4) [a, b] = [b, a];
  return a * width + b;
}

/** The image under dihedral transform k. */
export function dihedral(image: Image, k: number): Image {
  const [height, width] = dihedralShape(image.height, image.width, k);
  const data = new Float32Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) data[i * width + j] = image.data[sourceIndex(i, j, k, image.height, image.width)];
  }
  return { data, height, width };
}

/** Undoes `dihedral(·, k)`: `undoDihedral(dihedral(x, k), k)` equals x. */
export function undoDihedral(transformed: Image, k: number): Image {
  const [height, width] = dihedralShape(transformed.height, transformed.width, k); // k's shape map is an involution
  const data = new Float32Array(height * width);
  for (let i = 0; i < transformed.height; i++) {
    for (let j = 0; j < transformed.width; j++) {
      data[sourceIndex(i, j, k, height, width)] = transformed.data[i * transformed.width + j];
    }
  }
  return { data, height, width };
}

/**
 * Random augmented patches of `patchSize`² from a stack, [B·P·P] row-major (NHWC with C = 1), each turned by one
 * of `transforms` (default all 8; with all 8 the random sequence is the one before the option existed).
 */
export function samplePatches(images: Stack, patchSize: number, batchSize: number, random: Random, transforms: readonly number[] = ALL_TRANSFORMS): Float32Array {
  const { count, height, width } = images;
  if (patchSize > height || patchSize > width) {
    throw new DivblurConfigError(`patch size ${patchSize} exceeds the training images (${height}×${width})`);
  }
  const patchPixels = patchSize * patchSize;
  const batch = new Float32Array(batchSize * patchPixels);
  for (let n = 0; n < batchSize; n++) {
    const image = random.integer(0, count - 1);
    const top = random.integer(0, height - patchSize);
    const left = random.integer(0, width - patchSize);
    const k = transforms[random.integer(0, transforms.length - 1)];
    const base = image * height * width + top * width + left;
    for (let i = 0; i < patchSize; i++) {
      for (let j = 0; j < patchSize; j++) {
        const source = sourceIndex(i, j, k, patchSize, patchSize);
        const row = Math.floor(source / patchSize);
        batch[n * patchPixels + i * patchSize + j] = images.data[base + row * width + (source - row * patchSize)];
      }
    }
  }
  return batch;
}
