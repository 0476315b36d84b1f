import { ImageValueError } from './errors.ts';
import type { Stack } from './image.ts';
import { BYTES_PER_SAMPLE, checkEncodableStack, concatChunks, rankToWrite, sampleBytes, type OutputDtype } from './image-codec.ts';

/**
 * A small baseline TIFF writer (TIFF 6.0): little endian, one IFD per page, float32 samples
 * (SampleFormat 3; or uint16/uint8, SampleFormat 1), uncompressed, one strip per page. The first page's ImageDescription is
 * tifffile's JSON `{"shape": [...]}`, so tifffile and divblur read the rank back; ImageJ/Fiji
 * open the file as a stack. With a pixel size it is ImageJ's description instead (`ImageJ=…`, `unit=micron`,
 * XResolution = YResolution = pixels per µm, ResolutionUnit none, as tifffile's `imagej=True` writes it), so that
 * Fiji, tifffile and napari open the stack at its scale (tiff-metadata.ts reads it back).
 */
export interface EncodeTiffOptions {
  /** Shape written to the description: 2 = (H, W) (only for one image), 3 = (N, H, W). Default: 3 when count > 1. */
  readonly rank?: 2 | 3;
  /** Sample type (default float32); integer types round and clamp (image-codec.ts). */
  readonly dtype?: OutputDtype;
  /** Physical pixel side, nm: written as ImageJ metadata (then the rank follows from the page count). */
  readonly pixelSizeNm?: number;
  /** With pixelSizeNm: the step between pages (z), nm, as ImageJ's `spacing`. */
  readonly spacingNm?: number;
}

/** The shape of a stack without its pixels (for a stack written page by page). */
export interface StackShape {
  readonly count: number;
  readonly height: number;
  readonly width: number;
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
  const layout = new TiffLayout(checkEncodableStack(stack, options.rank), options);
  yield layout.header();
  const { count, height, width } = stack;
  for (let page = 0; page < count; page++) {
    yield layout.pageIfd(page);
    yield sampleBytes(stack.data.subarray(page * height * width, (page + 1) * height * width), layout.dtype);
  }
}

/**
 * The same file from pages that arrive one at a time (read from a blob store, say), so that a stack larger than
 * memory is written holding one page: `pages` yields `shape.count` images of height × width values, in order.
 */
export async function* encodeTiffPages(
  shape: StackShape, pages: AsyncIterable<Float32Array> | Iterable<Float32Array>, options: EncodeTiffOptions = {},
): AsyncGenerator<Uint8Array> {
  const { count, height, width } = shape;
  checkEncodableStack({ data: { length: count * height * width } as Float32Array, count, height, width }, options.rank);
  const layout = new TiffLayout(shape, options);
  yield layout.header();
  let page = 0;
  for await (const pixels of pages) {
    if (page >= count) throw new ImageValueError('SHAPE_MISMATCH', `more than the ${count} pages the shape declares`);
    if (pixels.length !== height * width) {
      throw new ImageValueError('SHAPE_MISMATCH', `page ${page} has ${pixels.length} values; the shape needs ${height}×${width}`);
    }
    yield layout.pageIfd(page);
    yield sampleBytes(pixels, layout.dtype);
    page += 1;
  }
  if (page !== count) throw new ImageValueError('SHAPE_MISMATCH', `${page} pages arrived; the shape declares ${count}`);
}

/** Where each page's IFD and pixels go: pages are laid out in order, so offsets follow from the ones before. */
class TiffLayout {
  readonly dtype: OutputDtype;
  private readonly pixelBytes: number;
  private readonly description: Uint8Array;
  private readonly resolution: Uint8Array;
  private offset = 8;

  constructor(private readonly shape: StackShape, options: EncodeTiffOptions) {
    const { count, height, width } = shape;
    this.dtype = options.dtype ?? 'float32';
    this.pixelBytes = height * width * BYTES_PER_SAMPLE[this.dtype];
    const { pixelSizeNm, spacingNm } = options;
    if (pixelSizeNm === undefined) {
      const dims = rankToWrite(count, options.rank) === 2 ? [height, width] : [count, height, width];
      this.description = new TextEncoder().encode(`${JSON.stringify({ shape: dims })}\0`);
      this.resolution = rational(1, 1);
    } else {
      if (!(pixelSizeNm > 0 && Number.isFinite(pixelSizeNm))) throw new ImageValueError('PIXEL_SIZE', `pixelSizeNm must be a finite number > 0, got ${pixelSizeNm}`);
      const lines = ['ImageJ=1.11a', `images=${count}`, ...(count > 1 ? [`slices=${count}`] : []), 'unit=micron',
        ...(spacingNm !== undefined && spacingNm > 0 ? [`spacing=${spacingNm / 1000}`] : []), 'loop=false'];
      this.description = new TextEncoder().encode(`${lines.join('\n')}\n\0`);
      this.resolution = rationalOf(1000 / pixelSizeNm);
    }
  }

  header(): Uint8Array {
    const header = new DataView(new ArrayBuffer(8));
    header.setUint16(0, 0x4949, true); // "II": little endian
    header.setUint16(2, 42, true);
    header.setUint32(4, 8, true);
    return new Uint8Array(header.buffer);
  }

  /** Page `page`'s IFD (and the alignment before its pixels); call once per page, in order. */
  pageIfd(page: number): Uint8Array {
    const { height, width, count } = this.shape;
    const entries = pageEntries(height, width, this.pixelBytes, this.dtype, page === 0 ? this.description : undefined, this.resolution);
    const ifdBytes = 2 + entries.length * entryBytes + 4;
    const extraBytes = entries.reduce((sum, e) => sum + (e.value instanceof Uint8Array ? align(e.value.length, 2) : 0), 0);
    const pixelOffset = align(this.offset + ifdBytes + extraBytes, 16);
    const nextIfd = page + 1 < count ? pixelOffset + this.pixelBytes : 0;
    if (pixelOffset + this.pixelBytes > maxClassicTiffBytes) {
      throw new ImageValueError('IMAGE_TOO_LARGE', `the stack needs more than 4 GiB as a classic TIFF: write fewer images per file, or .npy`);
    }
    const chunk = ifdChunk(entries, this.offset, ifdBytes, pixelOffset, nextIfd);
    this.offset = nextIfd;
    return chunk;
  }
}

function pageEntries(
  height: number, width: number, pixelBytes: number, dtype: OutputDtype, description: Uint8Array | undefined, resolution: Uint8Array,
): Entry[] {
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
    { tag: 282, type: type.rational, count: 1, value: resolution }, // XResolution
    { tag: 283, type: type.rational, count: 1, value: resolution }, // YResolution
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

/** A positive value as a RATIONAL with as many digits as 32 bits allow. */
function rationalOf(value: number): Uint8Array {
  const denominator = Math.max(1, Math.min(0xffffffff, Math.floor(0xffffffff / Math.max(value, 1))));
  return rational(Math.max(1, Math.round(value * denominator)), denominator);
}

function align(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
