import { inflateSync } from 'node:zlib';
import type { TiffIfd } from 'tiff';
import { ImageFormatError } from './errors.ts';

/** The sample types a single-channel TIFF page may hold, named like NumPy dtypes. */
export type TiffDtype = 'uint8' | 'int8' | 'uint16' | 'int16' | 'float16' | 'uint32' | 'int32' | 'float32' | 'float64';

const dtypes: Record<string, TiffDtype> = {
  '8/1': 'uint8',
  '8/2': 'int8',
  '16/1': 'uint16',
  '16/2': 'int16',
  '16/3': 'float16',
  '32/1': 'uint32',
  '32/2': 'int32',
  '32/3': 'float32',
  '64/3': 'float64',
};

const sampleFormatNames: Record<number, string> = { 1: 'unsigned integer', 2: 'signed integer', 3: 'floating point', 4: 'undefined' };

/** The dtype of a page from BitsPerSample and SampleFormat (TIFF 6.0 p. 80; default 1 = unsigned). */
export function pageDtype(ifd: TiffIfd, page: number): TiffDtype {
  const bits = ifd.bitsPerSample;
  const sampleFormat = ifd.sampleFormat;
  const dtype = dtypes[`${bits}/${sampleFormat}`];
  if (dtype === undefined) {
    throw new ImageFormatError(
      'TIFF_UNSUPPORTED_SAMPLE_FORMAT',
      `page ${page} has ${bits}-bit ${sampleFormatNames[sampleFormat] ?? `sample format ${sampleFormat}`} samples, ` +
        'which are not supported: save as uint8, int8, uint16, int16, uint32, int32, float16, float32 or float64',
    );
  }
  return dtype;
}

/** Whether the `tiff` package decodes this dtype itself (it reads 32-bit integers not at all). */
export function decodedByLibrary(dtype: TiffDtype): boolean {
  return dtype !== 'uint32' && dtype !== 'int32';
}

/** What `tiff` puts in `ifd.data`. */
export type LibrarySamples = Uint8Array | Uint16Array | Float32Array | Float64Array;

/**
 * Copies the samples that `tiff` decoded into `out` as float32. The package returns raw
 * Uint8Array/Uint16Array by bit depth whatever the SampleFormat, so signed and half-float
 * pages are reinterpreted here from the same bytes.
 */
export function copyLibrarySamples(data: LibrarySamples, dtype: TiffDtype, out: Float32Array): void {
  const length = out.length;
  if (data.length < length) {
    throw new ImageFormatError('TIFF_TRUNCATED', `a page decoded to ${data.length} samples, expected ${length}: the image data is truncated`);
  }
  if (dtype === 'int8') out.set(new Int8Array(data.buffer, data.byteOffset, length));
  else if (dtype === 'int16') out.set(new Int16Array(data.buffer, data.byteOffset, length));
  else if (dtype === 'float16') for (let i = 0; i < length; i++) out[i] = halfToFloat(data[i]);
  else out.set(data.subarray(0, length));
}

/** IEEE 754 binary16 bits → number (subnormals, ±Infinity and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Reads a strip-organised page of 32-bit integers (which `tiff` cannot), uncompressed or
 * Deflate-compressed, no predictor, into `out` as float32.
 */
export function readInteger32Page(bytes: Uint8Array, ifd: TiffIfd, dtype: 'uint32' | 'int32', littleEndian: boolean, out: Float32Array, page: number): void {
  if (ifd.tiled) throw unsupported(page, 'tiled 32-bit integer pages', 'save it in strips, or as float32');
  if (ifd.predictor !== 1) throw unsupported(page, `predictor ${ifd.predictor} on 32-bit integers`, 'save it without a predictor');
  if (ifd.type === 0) throw unsupported(page, 'WhiteIsZero 32-bit integers', 'save it as BlackIsZero (min-is-black)');
  const compression = ifd.compression;
  if (compression !== 1 && compression !== 8 && compression !== 32946) {
    throw unsupported(page, `compression ${compression} on 32-bit integers`, 'save it uncompressed or with zlib/Deflate');
  }
  const offsets = ifd.stripOffsets;
  const counts = ifd.stripByteCounts;
  let written = 0;
  for (let strip = 0; strip < offsets.length && written < out.length; strip++) {
    const raw = bytes.subarray(offsets[strip], offsets[strip] + counts[strip]);
    const plain = compression === 1 ? raw : inflate(raw, page, strip);
    const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    const samples = Math.min(Math.floor(plain.byteLength / 4), out.length - written);
    for (let i = 0; i < samples; i++) {
      out[written + i] = dtype === 'int32' ? view.getInt32(4 * i, littleEndian) : view.getUint32(4 * i, littleEndian);
    }
    written += samples;
  }
  if (written < out.length) {
    throw new ImageFormatError('TIFF_TRUNCATED', `page ${page} holds ${written} of its ${out.length} samples: the image data is truncated`);
  }
}

function inflate(raw: Uint8Array, page: number, strip: number): Uint8Array {
  try {
    return inflateSync(raw);
  } catch (error) {
    throw new ImageFormatError('TIFF_CORRUPT', `page ${page}, strip ${strip}: Deflate data does not decompress (${(error as Error).message}); the file is corrupt or truncated`);
  }
}

function unsupported(page: number, what: string, fix: string): ImageFormatError {
  return new ImageFormatError('TIFF_UNSUPPORTED', `page ${page} uses ${what}, which is not supported: ${fix}`);
}
