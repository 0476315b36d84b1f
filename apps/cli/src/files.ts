import { readImageFile, psfFromImage, stackImage, ImageValueError } from '@divblur/imaging';
import type { Image, Stack } from '@divblur/imaging';

/** Reads a .tif/.tiff/.npy image or stack; keeps the rank and the stored dtype so outputs can have the input's shape and type. */
export async function readStack(path: string): Promise<{ stack: Stack; rank: 2 | 3; sourceDtype: string }> {
  const { stack, rank, sourceDtype } = await readImageFile(path);
  return { stack, rank, sourceDtype };
}

/** Reads a PSF file: one 2-D image, validated (odd sides, finite, non-negative, not all zero) and normalised. */
export async function readPsf(path: string): Promise<Image> {
  const { stack } = await readImageFile(path);
  if (stack.count !== 1) {
    throw new ImageValueError('PSF_NOT_2D', `${path} holds ${stack.count} images; a PSF must be one 2-D image (a 3-D PSF is not supported yet)`);
  }
  return psfFromImage(stackImage(stack, 0));
}
