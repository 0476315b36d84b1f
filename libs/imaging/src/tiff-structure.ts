import { ImageFormatError } from './errors.ts';

/**
 * Checks on the raw structure of a TIFF before any decoder trusts it: the header, and the chain
 * of image file directories (IFDs), so that a truncated upload, a BigTIFF or a looping IFD chain
 * gets a typed error instead of an exception from deep inside a decoder (or an endless loop).
 * TIFF 6.0 specification, section 2 ("Image File Header", "Image File Directory").
 */

export interface TiffHeader {
  readonly littleEndian: boolean;
  /** Byte offsets of the IFDs of the main chain, in page order. */
  readonly ifdOffsets: readonly number[];
}

const headerBytes = 8;
const ifdEntryBytes = 12;

export function parseTiffHeader(bytes: Uint8Array): TiffHeader {
  if (bytes.length === 0) {
    throw new ImageFormatError('TIFF_EMPTY', 'the file is empty (0 bytes): expected a TIFF image; was the upload cut off?');
  }
  const littleEndian = checkMagic(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ifdOffsets: number[] = [];
  const seen = new Set<number>();
  let offset = view.getUint32(4, littleEndian);
  while (offset !== 0) {
    if (seen.has(offset)) {
      throw new ImageFormatError('TIFF_CORRUPT', `the IFD chain loops back to byte ${offset}: the file is corrupt`);
    }
    seen.add(offset);
    if (offset < headerBytes || offset + 2 > bytes.length) {
      throw truncated(`IFD ${ifdOffsets.length} is said to start at byte ${offset}`, bytes.length);
    }
    const entries = view.getUint16(offset, littleEndian);
    const end = offset + 2 + entries * ifdEntryBytes + 4;
    if (end > bytes.length) {
      throw truncated(`IFD ${ifdOffsets.length} (${entries} entries) ends at byte ${end}`, bytes.length);
    }
    ifdOffsets.push(offset);
    offset = view.getUint32(end - 4, littleEndian);
  }
  if (ifdOffsets.length === 0) {
    throw new ImageFormatError('TIFF_CORRUPT', 'the TIFF has no image directory (first IFD offset is 0): it holds no image');
  }
  return { littleEndian, ifdOffsets };
}

/** Throws `TIFF_TRUNCATED` unless every [offset, offset + count) range lies inside the file. */
export function checkRangesInFile(
  offsets: readonly number[],
  byteCounts: readonly number[],
  fileBytes: number,
  what: string,
): void {
  if (offsets.length === 0) {
    throw new ImageFormatError('TIFF_CORRUPT', `${what} has no strip or tile offsets: the image data cannot be located`);
  }
  if (byteCounts.length !== offsets.length) {
    throw new ImageFormatError(
      'TIFF_CORRUPT',
      `${what} lists ${offsets.length} strip/tile offsets but ${byteCounts.length} byte counts; they must match`,
    );
  }
  offsets.forEach((offset, i) => {
    const end = offset + byteCounts[i];
    if (end > fileBytes) throw truncated(`${what}: strip/tile ${i} ends at byte ${end}`, fileBytes);
  });
}

function checkMagic(bytes: Uint8Array): boolean {
  if (bytes.length < headerBytes) {
    throw new ImageFormatError(
      'TIFF_TRUNCATED',
      `the file has only ${bytes.length} bytes; a TIFF starts with an 8-byte header: the file is truncated`,
    );
  }
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0x49 && b1 === 0x49 && b3 === 0 && (b2 === 42 || b2 === 43)) return bigTiffCheck(b2, true);
  if (b0 === 0x4d && b1 === 0x4d && b2 === 0 && (b3 === 42 || b3 === 43)) return bigTiffCheck(b3, false);
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageFormatError(
    'TIFF_BAD_MAGIC',
    `not a TIFF: the file starts with bytes ${hex}${guessFormat(bytes)}; ` +
      'a TIFF starts with 49 49 2a 00 ("II*", little endian) or 4d 4d 00 2a ("MM*", big endian)',
  );
}

function bigTiffCheck(version: number, littleEndian: boolean): boolean {
  if (version === 43) {
    throw new ImageFormatError(
      'TIFF_UNSUPPORTED',
      'the file is a BigTIFF (version 43), which is not supported: save it as a classic TIFF (< 4 GiB) or as .npy',
    );
  }
  return littleEndian;
}

function guessFormat(bytes: Uint8Array): string {
  const ascii = String.fromCharCode(...bytes.subarray(0, 8));
  if (ascii.startsWith('\x89PNG')) return ' (a PNG image)';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return ' (a JPEG image)';
  if (ascii.startsWith('\x93NUMPY')) return ' (a NumPy .npy file)';
  if (ascii.startsWith('PK')) return ' (a ZIP archive, e.g. .npz)';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return ' (a gzip file)';
  return '';
}

function truncated(what: string, fileBytes: number): ImageFormatError {
  return new ImageFormatError(
    'TIFF_TRUNCATED',
    `${what} but the file has only ${fileBytes} bytes: the TIFF is truncated (incomplete upload or copy?)`,
  );
}
