import { ImageValueError } from './errors.ts';
import type { Stack } from './image.ts';
import { BYTES_PER_SAMPLE, checkEncodableStack, concatChunks, rankToWrite, sampleBytes, type OutputDtype } from './image-codec.ts';

/**
 * A small baseline TIFF writer (TIFF 6.0): little endian, one IFD per page, float32 samples
 * (SampleFormat 3; or uint16/uint8, SampleFormat 1), uncompressed, one strip per page. The first page's ImageDescription is
 * tifffile's JSON `{"shape": [...]}`, so tifffile and divblur read the rank back; ImageJ/Fiji
 * open the file as a stack.
 */
export interface EncodeTiffOptions {
  /** Shape written to the description: 2 = (H, W) (only for one image), 3 = (N, H, W). Default: 3 when count > 1. */
  readonly rank?: 2 | 3;
  /** Sample type (default float32); integer types round and clamp (image-codec.ts). */
  readonly dtype?: OutputDtype;
}

const type = { ascii: 2, short: 3, long: 4, rational: 5 } as const;
const entryBytes = 12;
const maxClassicTiffBytes = 2 ** 32 - 1;

interface Entry {
  readonly tag: number;
  readonly type: (typeof type)[keyof typeof type];
  readonly count: number;
  /** Inline value (SHORT/LONG), or the bytes that go after the IFD when larger than 4. */
  readonly value: number | Uint8Array;
}

/** The whole file in one buffer. */
export function encodeTiff(stack: Stack, options: EncodeTiffOptions = {}): Uint8Array {
  return concatChunks(encodeTiffChunks(stack, options));
}

/** The file as chunks (header, then per page its IFD and a view of its pixels): no full copy. */
export function* encodeTiffChunks(stack: Stack, options: EncodeTiffOptions = {}): Generator<Uint8Array> {
  const { count, height, width } = checkEncodableStack(stack, options.rank);
  const shape = rankToWrite(count, options.rank) === 2 ? [height, width] : [count, height, width];
  const description = new TextEncoder().encode(`${JSON.stringify({ shape })}\0`);
  const dtype = options.dtype ?? 'float32';
  const pixelBytes = height * width * BYTES_PER_SAMPLE[dtype];

  const header = new DataView(new ArrayBuffer(8));
  header.setUint16(0, 0x4949, true); // "II": little endian
  header.setUint16(2, 42, true);
  header.setUint32(4, 8, true);
  yield new Uint8Array(header.buffer);

  let offset = 8;
  for (let page = 0; page < count; page++) {
    const entries = pageEntries(height, width, pixelBytes, dtype, page === 0 ? description : undefined);
    const ifdBytes = 2 + entries.length * entryBytes + 4;
    const extraBytes = entries.reduce((sum, e) => sum + (e.value instanceof Uint8Array ? align(e.value.length, 2) : 0), 0);
    const pixelOffset = align(offset + ifdBytes + extraBytes, 16);
    const nextIfd = page + 1 < count ? pixelOffset + pixelBytes : 0;
    if (pixelOffset + pixelBytes > maxClassicTiffBytes) {
      throw new ImageValueError('IMAGE_TOO_LARGE', `the stack needs more than 4 GiB as a classic TIFF: write fewer images per file, or .npy`);
    }
    yield ifdChunk(entries, offset, ifdBytes, pixelOffset, nextIfd);
    const pixels = stack.data.subarray(page * height * width, (page + 1) * height * width);
    yield sampleBytes(pixels, dtype);
    offset = nextIfd;
  }
}

function pageEntries(height: number, width: number, pixelBytes: number, dtype: OutputDtype, description: Uint8Array | undefined): Entry[] {
  const one = rational(1, 1);
  const entries: Entry[] = [
    { tag: 254, type: type.long, count: 1, value: 0 }, // NewSubfileType: full-resolution page
    { tag: 256, type: type.long, count: 1, value: width },
    { tag: 257, type: type.long, count: 1, value: height },
    { tag: 258, type: type.short, count: 1, value: 8 * BYTES_PER_SAMPLE[dtype] }, // BitsPerSample
    { tag: 259, type: type.short, count: 1, value: 1 }, // Compression: none
    { tag: 262, type: type.short, count: 1, value: 1 }, // Photometric: BlackIsZero
    { tag: 273, type: type.long, count: 1, value: 0 }, // StripOffsets: patched in ifdChunk
    { tag: 277, type: type.short, count: 1, value: 1 }, // SamplesPerPixel
    { tag: 278, type: type.long, count: 1, value: height }, // RowsPerStrip: one strip
    { tag: 279, type: type.long, count: 1, value: pixelBytes }, // StripByteCounts
    { tag: 282, type: type.rational, count: 1, value: one }, // XResolution
    { tag: 283, type: type.rational, count: 1, value: one }, // YResolution
    { tag: 284, type: type.short, count: 1, value: 1 }, // PlanarConfiguration: chunky
    { tag: 296, type: type.short, count: 1, value: 1 }, // ResolutionUnit: none
    { tag: 339, type: type.short, count: 1, value: dtype === 'float32' ? 3 : 1 }, // SampleFormat: IEEE float or unsigned
  ];
  if (description !== undefined) entries.push({ tag: 270, type: type.ascii, count: description.length, value: description });
  return entries.sort((a, b) => a.tag - b.tag); // TIFF 6.0: entries in ascending tag order
}

function ifdChunk(entries: readonly Entry[], ifdOffset: number, ifdBytes: number, pixelOffset: number, nextIfd: number): Uint8Array {
  const bytes = new Uint8Array(pixelOffset - ifdOffset);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, entries.length, true);
  let extraOffset = ifdBytes;
  entries.forEach((entry, i) => {
    const at = 2 + i * entryBytes;
    view.setUint16(at, entry.tag, true);
    view.setUint16(at + 2, entry.type, true);
    view.setUint32(at + 4, entry.count, true);
    if (entry.value instanceof Uint8Array) {
      bytes.set(entry.value, extraOffset);
      view.setUint32(at + 8, ifdOffset + extraOffset, true);
      extraOffset += align(entry.value.length, 2);
    } else {
      const value = entry.tag === 273 ? pixelOffset : entry.value;
      if (entry.type === type.short) view.setUint16(at + 8, value, true);
      else view.setUint32(at + 8, value, true);
    }
  });
  view.setUint32(2 + entries.length * entryBytes, nextIfd, true);
  return bytes;
}

function rational(numerator: number, denominator: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, numerator, true);
  view.setUint32(4, denominator, true);
  return bytes;
}

function align(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
