/**
 * Images are row-major Float32Array with their shape beside them. A stack holds `count`
 * images of the same height × width, contiguous (shape (N, H, W), C order).
 */
export interface Image {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

export interface Stack {
  readonly data: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** A view (no copy) of image `index` of a stack. */
export function stackImage(stack: Stack, index: number): Image {
  if (!Number.isInteger(index) || index < 0 || index >= stack.count) {
    throw new RangeError(`image index ${index} out of range: the stack has ${stack.count} images`);
  }
  const size = stack.height * stack.width;
  return { data: stack.data.subarray(index * size, (index + 1) * size), height: stack.height, width: stack.width };
}

/** Copies images of one shape into a new stack. */
export function toStack(images: readonly Image[]): Stack {
  if (images.length === 0) throw new RangeError('toStack needs at least one image');
  const { height, width } = images[0];
  const size = height * width;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    if (image.height !== height || image.width !== width) {
      throw new RangeError(`image ${i} is ${image.height}×${image.width}, expected ${height}×${width} like image 0`);
    }
    data.set(image.data, i * size);
  });
  return { data, count: images.length, height, width };
}

export function imagesOf(stack: Stack): Image[] {
  return Array.from({ length: stack.count }, (_, i) => stackImage(stack, i));
}
