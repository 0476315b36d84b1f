import { readFile } from 'node:fs/promises';
import { decode as decodeIfds, type TiffIfd } from 'tiff';
import { ImageFormatError, ImageValueError, ImagingError } from './errors.ts';
import { checkPixelLimit, finishDecode, type DecodedImage, type DecodeImageOptions } from './image-codec.ts';
import type { Stack } from './image.ts';
import { checkRangesInFile, parseTiffHeader } from './tiff-structure.ts';
import { copyLibrarySamples, decodedByLibrary, pageDtype, readInteger32Page, type TiffDtype } from './tiff-samples.ts';
import { encodeTiffChunks, type EncodeTiffOptions } from './tiff-encode.ts';
import { writeFileAtomic } from './atomic-write.ts';

export { encodeTiff, encodeTiffChunks, encodeTiffPages, type EncodeTiffOptions, type StackShape } from './tiff-encode.ts';

/**
 * Decodes a single-channel TIFF (one page → rank 2, several → rank 3) to float32 with the
 * `tiff` package (strips or tiles; none, LZW, Deflate compression; horizontal predictor), plus
 * an own reader for 32-bit integer pages. Reduced-resolution pages (thumbnails, NewSubfileType
 * bit 0) are skipped. Throws `ImageFormatError` / `ImageValueError` saying what is wrong.
 */
export function decodeTiff(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const { littleEndian } = parseTiffHeader(bytes);
  const ifds = libraryCall(() => decodeIfds(bytes, { ignoreImageData: true }));
  const pages = fullResolutionPages(ifds);
  const { width, height } = pages[0].ifd;
  const dtypes = pages.map(({ ifd, page }) => checkPage(ifd, page, bytes.length, pages[0].ifd));
  checkPixelLimit(pages.length, height, width, options, 'the TIFF');
  const data = new Float32Array(pages.length * height * width);
  const pageSize = height * width;
  const libraryPages = pages.flatMap(({ page }, i) => (decodedByLibrary(dtypes[i]) ? [page] : []));
  const decoded = libraryPages.length > 0 ? libraryCall(() => decodeIfds(bytes, { pages: libraryPages })) : [];
  let next = 0;
  pages.forEach(({ ifd, page }, i) => {
    const out = data.subarray(i * pageSize, (i + 1) * pageSize);
    const dtype = dtypes[i];
    if (dtype === 'uint32' || dtype === 'int32') readInteger32Page(bytes, ifd, dtype, littleEndian, out, page);
    else copyLibrarySamples(decoded[next++].data, dtype, out);
  });
  const stack: Stack = { data, count: pages.length, height, width };
  const rank = pages.length > 1 || declaresStack(pages[0].ifd) ? 3 : 2;
  return finishDecode({ stack, rank, sourceDtype: [...new Set(dtypes)].join('+') }, options, 'the TIFF');
}

export async function readTiff(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  return decodeTiff(await readFile(path), options);
}

/** Writes a float32 TIFF atomically (temporary file, fsync, rename): nothing half-written on failure. */
export async function writeTiff(path: string, stack: Stack, options: EncodeTiffOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeTiffChunks(stack, options));
}

interface Page {
  readonly ifd: TiffIfd;
  /** Index in the file's IFD chain. */
  readonly page: number;
}

function fullResolutionPages(ifds: readonly TiffIfd[]): Page[] {
  const all = ifds.map((ifd, page) => ({ ifd, page }));
  const full = all.filter(({ ifd }) => ((ifd.newSubfileType ?? 0) & 1) === 0);
  return full.length > 0 ? full : all;
}

function checkPage(ifd: TiffIfd, page: number, fileBytes: number, first: TiffIfd): TiffDtype {
  const { width, height } = ifd;
  if (!(width > 0 && height > 0)) {
    throw new ImageFormatError('TIFF_CORRUPT', `page ${page} has size ${height}×${width}: width and height must be at least 1`);
  }
  if (ifd.samplesPerPixel !== 1) {
    throw new ImageFormatError(
      'TIFF_UNSUPPORTED',
      `page ${page} has ${ifd.samplesPerPixel} samples per pixel (RGB or multi-channel): divblur reads single-channel images; save each channel as its own file`,
    );
  }
  if (ifd.type !== undefined && ifd.type !== 0 && ifd.type !== 1) {
    throw new ImageFormatError(
      'TIFF_UNSUPPORTED',
      `page ${page} has photometric interpretation ${ifd.type} (${ifd.type === 3 ? 'palette' : 'colour'}): divblur reads grayscale intensities (BlackIsZero)`,
    );
  }
  if (width !== first.width || height !== first.height) {
    throw new ImageValueError(
      'PAGE_SIZE_MISMATCH',
      `page ${page} is ${height}×${width} (height×width) but page 0 is ${first.height}×${first.width}: all pages of a stack must have one size`,
    );
  }
  const dtype = pageDtype(ifd, page);
  checkImageData(ifd, page, fileBytes, dtype);
  return dtype;
}

function checkImageData(ifd: TiffIfd, page: number, fileBytes: number, dtype: TiffDtype): void {
  const bytesPerSample = ifd.bitsPerSample / 8;
  const offsets = (ifd.tiled ? ifd.tileOffsets : ifd.stripOffsets) ?? [];
  let counts = (ifd.tiled ? ifd.tileByteCounts : ifd.stripByteCounts) ?? [];
  const rowsPerStrip = Math.min(ifd.rowsPerStrip, ifd.height);
  if (counts.length === 0 && ifd.compression === 1 && !ifd.tiled) {
    counts = offsets.map(() => rowsPerStrip * ifd.width * bytesPerSample);
  }
  checkRangesInFile(offsets, counts, fileBytes, `page ${page}`);
  if (ifd.compression !== 1) return;
  const expected = ifd.tiled
    ? offsets.map(() => (ifd.tileWidth ?? 0) * (ifd.tileHeight ?? 0) * bytesPerSample)
    : offsets.map((_, strip) => Math.max(0, Math.min(rowsPerStrip, ifd.height - strip * rowsPerStrip)) * ifd.width * bytesPerSample);
  expected.forEach((bytes, i) => {
    if (counts[i] < bytes) {
      throw new ImageFormatError(
        'TIFF_TRUNCATED',
        `page ${page}, ${ifd.tiled ? 'tile' : 'strip'} ${i} holds ${counts[i]} bytes but needs ${bytes} for its ${dtype} samples: the image data is truncated`,
      );
    }
  });
}

/** True when the ImageDescription is tifffile's JSON `{"shape": [1, H, W]}` for a one-image stack. */
function declaresStack(ifd: TiffIfd): boolean {
  const description = ifd.imageDescription;
  if (typeof description !== 'string' || !description.startsWith('{')) return false;
  try {
    const shape: unknown = JSON.parse(description.replace(/\0+$/, '')).shape;
    return Array.isArray(shape) && shape.length === 3 && shape[0] === 1;
  } catch {
    return false;
  }
}

/** Runs a `tiff` package call, turning its plain Errors into typed ones. */
function libraryCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof ImagingError) throw error;
    const message = (error as Error).message;
    const unsupported = /unsupported|not supported|predictor/i.test(message);
    throw new ImageFormatError(
      unsupported ? 'TIFF_UNSUPPORTED' : 'TIFF_CORRUPT',
      unsupported
        ? `the TIFF uses a feature the reader does not support (${message}): save it uncompressed or with LZW/Deflate, orientation top-left`
        : `the TIFF could not be decoded (${message}): the file is corrupt or truncated`,
    );
  }
}
