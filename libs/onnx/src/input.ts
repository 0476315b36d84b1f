/** Checks of an image before it meets a session: rank, size, finiteness; typed errors that say what is right. */
import type { Image } from '@divblur/imaging';
import { OnnxInputError } from './errors.ts';

/** Smallest side the encoder accepts: two 2×2 poolings need ≥ 4 px, the 3×3 convs want context beyond that. */
export const MIN_SIDE_PX = 8;

/** An image from a flat array and a shape; accepts [H,W], [1,H,W] and [1,1,H,W] (one single-channel image). */
export function imageFromShape(data: Float32Array, shape: readonly number[]): Image {
  const squeezed = shape.length > 2 && shape.slice(0, -2).every((d) => d === 1) ? shape.slice(-2) : shape;
  if (squeezed.length !== 2) {
    throw new OnnxInputError('WRONG_RANK', `expected one 2-D image (shape [H, W], [1, H, W] or [1, 1, H, W]), got shape [${shape.join(', ')}] (rank ${shape.length})`);
  }
  const [height, width] = squeezed;
  const image = { data, height, width };
  checkImage(image);
  return image;
}

export function checkImage(image: Image): void {
  const { data, height, width } = image;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < MIN_SIDE_PX || width < MIN_SIDE_PX) {
    throw new OnnxInputError('IMAGE_TOO_SMALL', `image is ${height}×${width}; the model needs at least ${MIN_SIDE_PX}×${MIN_SIDE_PX} pixels`);
  }
  if (data.length !== height * width) {
    throw new OnnxInputError('SHAPE_MISMATCH', `image data has ${data.length} values, but ${height}×${width} needs ${height * width}`);
  }
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (value - value !== 0) {
      throw new OnnxInputError('NON_FINITE', `image contains ${value} at row ${Math.floor(i / width)}, column ${i % width}: every pixel must be a finite number`);
    }
  }
}
