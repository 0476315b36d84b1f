/**
 * An input of a batch as its bytes arrive: decoded to float32 pages (libs/imaging's TIFF reader, so every dtype it
 * reads), its sample type and pixel size (tiff-metadata.ts). Non-finite pixels are kept: the page that holds them
 * fails alone, with its reason, and the rest of the stack is deconvolved.
 */
import { decodeTiff, readTiffPixelSize, type Stack } from '@divblur/imaging';

export interface InputStack {
  readonly stack: Stack;
  readonly dtype: string;
  /** From the file, else the caller's (a dataset's pixel size), else null. */
  readonly pixelSizeNm: number | null;
  readonly spacingNm: number | null;
}

export function decodeInputStack(bytes: Uint8Array, knownPixelSizeNm: number | null = null): InputStack {
  const decoded = decodeTiff(bytes, { allowNonFinite: true });
  const size = readTiffPixelSize(bytes);
  return { stack: decoded.stack, dtype: decoded.sourceDtype, pixelSizeNm: size.pixelSizeNm ?? knownPixelSizeNm, spacingNm: size.spacingNm };
}

/** A blob-key-safe file stem of a name (the outputs are named after it): the extension dropped, odd characters as `_`. */
export function inputStem(name: string): string {
  const base = name.split('/').pop()!.replace(/\.(ome\.)?tiff?$/i, '');
  const safe = base.replace(/[^A-Za-z0-9._()!'*&$@=;:+,~ -]/g, '_').replace(/^[.]+/, '_').trim();
  return safe.length > 0 ? safe.slice(0, 200) : 'input';
}

/** Stems of `names`, made unique by the position where two would collide (`a.tif`, `a.tiff` → `a`, `a-1`). */
export function uniqueStems(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name, i) => {
    let stem = inputStem(name);
    if (seen.has(stem)) stem = `${stem}-${i}`;
    seen.add(stem);
    return stem;
  });
}
