import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ImageFormatError } from './errors.ts';
import type { Stack } from './image.ts';
import type { DecodedImage, DecodeImageOptions, OutputDtype } from './image-codec.ts';
import { decodeNpy, writeNpy } from './npy.ts';
import { decodeTiff, writeTiff } from './tiff.ts';

/** Image files by extension: `.tif`/`.tiff` (TIFF) and `.npy` (NumPy), case-insensitive. */
export type ImageFileFormat = 'tiff' | 'npy';

export function imageFormatOf(path: string): ImageFileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.tif' || extension === '.tiff') return 'tiff';
  if (extension === '.npy') return 'npy';
  throw new ImageFormatError(
    'UNKNOWN_EXTENSION',
    `cannot tell the image format of "${path}" from its extension "${extension}": use .tif, .tiff or .npy`,
  );
}

export async function readImageFile(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const format = imageFormatOf(path);
  const bytes = await readFile(path);
  return format === 'tiff' ? decodeTiff(bytes, options) : decodeNpy(bytes, options);
}

/** Writes TIFF or .npy by extension, atomically, float32 unless `dtype` says otherwise. `rank` 2 writes one image as (H, W). */
export async function writeImageFile(path: string, stack: Stack, options: { readonly rank?: 2 | 3; readonly dtype?: OutputDtype } = {}): Promise<void> {
  const format = imageFormatOf(path);
  if (format === 'tiff') await writeTiff(path, stack, options);
  else await writeNpy(path, stack, options);
}

/** Decodes bytes whose format is told by their first bytes (uploads have no trustworthy name). */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') return decodeNpy(bytes, options);
  const tiffMagic = (bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d);
  if (bytes.length > 0 && !tiffMagic) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ImageFormatError('UNKNOWN_FORMAT', `the data (starting ${hex}) is neither a TIFF nor a .npy file: upload a TIFF stack or a NumPy .npy array`);
  }
  return decodeTiff(bytes, options); // also reports an empty or truncated TIFF
}
