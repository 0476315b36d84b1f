import { ImageValueError } from './errors.ts';
import { assertFinite } from './finite.ts';
import type { Stack } from './image.ts';

/** Shared pieces of the TIFF and NPY codecs: decode results and options, limits, byte order. */

/** A decoded image file: float32 pixels, the rank the file declared, and what the file stored. */
export interface DecodedImage {
  readonly stack: Stack;
  /** 2 for one (H, W) image, 3 for an (N, H, W) stack. */
  readonly rank: 2 | 3;
  /** NumPy-style name of the stored sample type, e.g. `uint16`; `a+b` when TIFF pages differ. */
  readonly sourceDtype: string;
}

export interface DecodeImageOptions {
  /** Accept NaN/±Infinity instead of throwing `NON_FINITE` (default false). */
  readonly allowNonFinite?: boolean;
  /** Refuse files with more pixels than this (default 2^29, i.e. 2 GiB of float32). */
  readonly maxPixels?: number;
}

export const defaultMaxPixels = 2 ** 29;

/** Throws `IMAGE_TOO_LARGE` before a decoder allocates count × height × width floats. */
export function checkPixelLimit(count: number, height: number, width: number, options: DecodeImageOptions, what: string): void {
  const pixels = count * height * width;
  const limit = options.maxPixels ?? defaultMaxPixels;
  if (pixels > limit) {
    throw new ImageValueError(
      'IMAGE_TOO_LARGE',
      `${what} holds ${count} × ${height} × ${width} = ${pixels} pixels, more than the limit of ${limit}: split the acquisition into smaller files`,
    );
  }
}

/** The last step of every decoder: the finiteness check (unless allowed off). */
export function finishDecode(decoded: DecodedImage, options: DecodeImageOptions, what: string): DecodedImage {
  if (!options.allowNonFinite) assertFinite(decoded.stack, what);
  return decoded;
}

export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32 samples as little-endian bytes: a view on little-endian hosts, a swapped copy otherwise. */
export function littleEndianBytes(values: Float32Array): Uint8Array {
  if (hostIsLittleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(4 * i, value, true));
  return bytes;
}

/**
 * Sample types the writers write: float32 (the default: exact for every value), or an unsigned integer type of
 * camera data, each value rounded to the nearest integer and clamped to the type's range (an estimate written in
 * the input's dtype).
 */
export const OUTPUT_DTYPES = ['float32', 'uint16', 'uint8'] as const;
export type OutputDtype = (typeof OUTPUT_DTYPES)[number];

export const BYTES_PER_SAMPLE: Record<OutputDtype, number> = { float32: 4, uint16: 2, uint8: 1 };

/** The writable dtype of a decoded file's `sourceDtype` (typed error naming the writable ones otherwise). */
export function writableDtype(sourceDtype: string): OutputDtype {
  if ((OUTPUT_DTYPES as readonly string[]).includes(sourceDtype)) return sourceDtype as OutputDtype;
  throw new ImageValueError('DTYPE_NOT_WRITABLE', `cannot write ${sourceDtype} samples: the writers write ${OUTPUT_DTYPES.join(', ')}; write float32`);
}

/** Values as little-endian samples of `dtype` (integer types: rounded, clamped to [0, max]). */
export function sampleBytes(values: Float32Array, dtype: OutputDtype): Uint8Array {
  if (dtype === 'float32') return littleEndianBytes(values);
  const max = dtype === 'uint16' ? 65535 : 255;
  const bytes = new Uint8Array(values.length * BYTES_PER_SAMPLE[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    const sample = Math.round(Math.min(Math.max(values[i], 0), max)) || 0;
    if (dtype === 'uint16') view.setUint16(2 * i, sample, true);
    else bytes[i] = sample;
  }
  return bytes;
}

/** Concatenates chunks into one buffer. */
export function concatChunks(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of list) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Throws `ImageValueError` unless the stack's data fits its shape and `rank` fits its count. */
export function checkEncodableStack(stack: Stack, rank: 2 | 3 | undefined): Stack {
  const { count, height, width, data } = stack;
  if (![count, height, width].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ImageValueError('EMPTY_IMAGE', `cannot write a stack of shape (${count}, ${height}, ${width}): every side must be an integer ≥ 1`);
  }
  if (data.length !== count * height * width) {
    throw new ImageValueError('SHAPE_MISMATCH', `the stack has ${data.length} values but its shape (${count}, ${height}, ${width}) needs ${count * height * width}`);
  }
  if (rank === 2 && count !== 1) {
    throw new ImageValueError('SHAPE_MISMATCH', `rank 2 describes one (H, W) image but the stack has ${count}: use rank 3`);
  }
  return stack;
}

/** The rank to write: the one asked for, else 3 for several images and 2 for one. */
export function rankToWrite(count: number, rank: 2 | 3 | undefined): 2 | 3 {
  return rank ?? (count > 1 ? 3 : 2);
}
