import { readFile } from 'node:fs/promises';
import { ImageFormatError, ImageValueError } from './errors.ts';
import type { Stack } from './image.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { halfToFloat } from './tiff-samples.ts';
import {
  checkEncodableStack,
  checkPixelLimit,
  concatChunks,
  finishDecode,
  hostIsLittleEndian,
  rankToWrite,
  sampleBytes,
  type DecodedImage,
  type DecodeImageOptions,
  type OutputDtype,
} from './image-codec.ts';

/**
 * NumPy `.npy` files (format versions 1.0–3.0, numpy/lib/format.py): magic `\x93NUMPY`, version,
 * header length, a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W), }`
 * padded to a multiple of 64 bytes, then the raw array. Read: little-endian numbers in C order, shape
 * (H, W) or (N, H, W). Written: float32 (or uint16/uint8) C order, version 1.0.
 */

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Little-endian / byte-order-free dtypes a microscope or NumPy pipeline plausibly writes. */
const dtypes: Record<string, { name: string; bytes: number }> = {
  f2: { name: 'float16', bytes: 2 },
  f4: { name: 'float32', bytes: 4 },
  f8: { name: 'float64', bytes: 8 },
  u1: { name: 'uint8', bytes: 1 },
  i1: { name: 'int8', bytes: 1 },
  u2: { name: 'uint16', bytes: 2 },
  i2: { name: 'int16', bytes: 2 },
  u4: { name: 'uint32', bytes: 4 },
  i4: { name: 'int32', bytes: 4 },
};

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  readonly dataOffset: number;
}

export interface EncodeNpyOptions {
  /** Shape written: 2 = (H, W) (only for one image), 3 = (N, H, W). Default: 3 when count > 1. */
  readonly rank?: 2 | 3;
  /**
   * The shape written, any rank, C order, instead of `rank`'s: a model's tensor such as (1, 1, H, W) or
   * (1, C, H, W) (bioimage.io test tensors). Its product must be count·height·width.
   */
  readonly shape?: readonly number[];
  /** Sample type (default float32); integer types round and clamp (image-codec.ts). */
  readonly dtype?: OutputDtype;
}

const DESCRIPTORS: Record<OutputDtype, string> = { float32: '<f4', uint16: '<u2', uint8: '|u1' };

export function decodeNpy(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const header = parseHeader(bytes);
  const code = header.descr.slice(1);
  const dtype = dtypes[code];
  if (header.descr[0] === '>' && dtype !== undefined && dtype.bytes > 1) {
    throw new ImageFormatError('NPY_UNSUPPORTED', `the .npy array is big-endian ('${header.descr}'): save it little-endian, e.g. np.save(path, a.astype('<${code}'))`);
  }
  if (dtype === undefined || !['<', '|'].includes(header.descr[0]) || (header.descr[0] === '|' && dtype.bytes > 1)) {
    throw new ImageFormatError(
      'NPY_UNSUPPORTED',
      `the .npy dtype '${header.descr}' is not supported: save as little-endian float16/32/64, uint8/16/32 or int8/16/32`,
    );
  }
  if (header.fortranOrder) {
    throw new ImageFormatError('NPY_UNSUPPORTED', 'the .npy array is in Fortran (column-major) order: save it in C order, e.g. np.save(path, np.ascontiguousarray(a))');
  }
  const shape = header.shape;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new ImageValueError('BAD_RANK', `the .npy array has shape (${shape.join(', ')}): expected (H, W) or (N, H, W)`);
  }
  const [count, height, width] = shape.length === 2 ? [1, shape[0], shape[1]] : shape;
  if (count < 1 || height < 1 || width < 1) {
    throw new ImageValueError('EMPTY_IMAGE', `the .npy array has shape (${shape.join(', ')}): every side must be at least 1`);
  }
  checkPixelLimit(count, height, width, options, 'the .npy array');
  const dataBytes = count * height * width * dtype.bytes;
  const available = bytes.length - header.dataOffset;
  if (available !== dataBytes) {
    throw new ImageFormatError(
      available < dataBytes ? 'NPY_TRUNCATED' : 'NPY_CORRUPT',
      `the .npy header promises ${dataBytes} bytes of ${dtype.name} data for shape (${shape.join(', ')}) but the file has ${available}: ` +
        (available < dataBytes ? 'the file is truncated' : 'the shape does not match the data'),
    );
  }
  const data = toFloat32(bytes.subarray(header.dataOffset), code, count * height * width);
  const stack: Stack = { data, count, height, width };
  return finishDecode({ stack, rank: shape.length === 2 ? 2 : 3, sourceDtype: dtype.name }, options, 'the .npy array');
}

export async function readNpy(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  return decodeNpy(await readFile(path), options);
}

/** The file as chunks: the header, then a view of the float32 data (no copy on little-endian hosts). */
export function* encodeNpyChunks(stack: Stack, options: EncodeNpyOptions = {}): Generator<Uint8Array> {
  const { count, height, width } = checkEncodableStack(stack, options.rank);
  if (options.shape && options.shape.reduce((a, b) => a * b, 1) !== count * height * width) {
    throw new ImageValueError('SHAPE_MISMATCH', `shape (${options.shape.join(', ')}) does not hold the stack's ${count}×${height}×${width} values`);
  }
  const shape = options.shape ? `(${options.shape.join(', ')}${options.shape.length === 1 ? ',' : ''})`
    : rankToWrite(count, options.rank) === 2 ? `(${height}, ${width})` : `(${count}, ${height}, ${width})`;
  const dtype = options.dtype ?? 'float32';
  const dict = `{'descr': '${DESCRIPTORS[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Version 1.0: 10 bytes of preamble, then the dict padded with spaces and ended by '\n' to a multiple of 64.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const preamble = new Uint8Array(10 + headerLength);
  preamble.set(magic, 0);
  preamble.set([1, 0], 6);
  new DataView(preamble.buffer).setUint16(8, headerLength, true);
  preamble.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), 10);
  yield preamble;
  yield sampleBytes(stack.data, dtype);
}

export function encodeNpy(stack: Stack, options: EncodeNpyOptions = {}): Uint8Array {
  return concatChunks(encodeNpyChunks(stack, options));
}

/** Writes a float32 .npy atomically (temporary file, fsync, rename). */
export async function writeNpy(path: string, stack: Stack, options: EncodeNpyOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpyChunks(stack, options));
}

function parseHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length === 0) throw new ImageFormatError('NPY_EMPTY', 'the file is empty (0 bytes): expected a .npy array; was the upload cut off?');
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) {
    throw new ImageFormatError('NPY_BAD_MAGIC', 'not a .npy file: it does not start with "\\x93NUMPY" (np.save writes that; .npz archives are not supported)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new ImageFormatError('NPY_UNSUPPORTED', `.npy format version ${major}.${bytes[7]} is not supported: expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new ImageFormatError('NPY_TRUNCATED', 'the .npy file ends inside its preamble: the file is truncated');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > bytes.length) throw new ImageFormatError('NPY_TRUNCATED', `the .npy header needs ${dataOffset} bytes but the file has ${bytes.length}: the file is truncated`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ImageFormatError('NPY_UNSUPPORTED', `the .npy header ${JSON.stringify(text.trim())} is not a plain array header (structured dtypes are not supported)`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) throw new ImageFormatError('NPY_CORRUPT', `the .npy shape (${shapeText}) is not a tuple of integers`);
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset };
}

/**
 * Raw little-endian samples → a new Float32Array. Copies into a fresh buffer first so the typed
 * array is aligned (and not a view of a pooled Node Buffer, whose `slice` does not copy).
 */
function toFloat32(raw: Uint8Array, code: string, length: number): Float32Array {
  if (!hostIsLittleEndian) return toFloat32ViaDataView(raw, code, length);
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  const buffer = copy.buffer;
  switch (code) {
    case 'f4': return new Float32Array(buffer);
    case 'f8': return Float32Array.from(new Float64Array(buffer));
    case 'f2': return Float32Array.from(new Uint16Array(buffer), halfToFloat);
    case 'u1': return Float32Array.from(new Uint8Array(buffer));
    case 'i1': return Float32Array.from(new Int8Array(buffer));
    case 'u2': return Float32Array.from(new Uint16Array(buffer));
    case 'i2': return Float32Array.from(new Int16Array(buffer));
    case 'u4': return Float32Array.from(new Uint32Array(buffer));
    default: return Float32Array.from(new Int32Array(buffer));
  }
}

function toFloat32ViaDataView(raw: Uint8Array, code: string, length: number): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read: Record<string, (i: number) => number> = {
    f4: (i) => view.getFloat32(4 * i, true),
    f8: (i) => view.getFloat64(8 * i, true),
    f2: (i) => halfToFloat(view.getUint16(2 * i, true)),
    u1: (i) => view.getUint8(i),
    i1: (i) => view.getInt8(i),
    u2: (i) => view.getUint16(2 * i, true),
    i2: (i) => view.getInt16(2 * i, true),
    u4: (i) => view.getUint32(4 * i, true),
    i4: (i) => view.getInt32(4 * i, true),
  };
  return Float32Array.from({ length }, (_, i) => read[code](i));
}
