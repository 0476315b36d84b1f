/**
 * The physical pixel size a microscopy TIFF declares, in the three ways such files carry it: ImageJ's
 * description (`ImageJ=…`, `unit=micron`; XResolution = pixels per unit, as Fiji and tifffile's `imagej=True` write
 * it), OME-XML in the first page's description (`PhysicalSizeX`, `PhysicalSizeXUnit`, default µm), or XResolution
 * with ResolutionUnit = centimetre. A resolution in inches (TIFF's default unit) is ignored: generic writers put
 * 72 dpi there, which is no pixel size. The z (or time) spacing ImageJ records is returned too, so that an output
 * stack can declare what its input did.
 */
import { decode as decodeIfds } from 'tiff';
import { ImageFormatError } from './errors.ts';

export interface TiffPixelSize {
  /** Physical side of a pixel (x; y is assumed equal), nm; null when the file declares none. */
  readonly pixelSizeNm: number | null;
  /** ImageJ's `spacing` between pages (z step), nm; null when absent. */
  readonly spacingNm: number | null;
  readonly source: 'imagej' | 'ome' | 'resolution' | null;
}

const NM_PER_UNIT: Record<string, number> = {
  nm: 1, nanometer: 1, nanometre: 1,
  um: 1e3, 'µm': 1e3, 'μm': 1e3, micron: 1e3, microns: 1e3, micrometer: 1e3, micrometre: 1e3, '\\u00b5m': 1e3,
  mm: 1e6, millimeter: 1e6, millimetre: 1e6, cm: 1e7, centimeter: 1e7, m: 1e9, meter: 1e9,
};

/** nm per `unit`, case-insensitive; null for a unit it does not know (pixel, inch…). */
export function nanometresPerUnit(unit: string): number | null {
  return NM_PER_UNIT[unit.trim().toLowerCase()] ?? null;
}

/** The pixel size of a TIFF's first full-resolution page (the stack's), from the bytes of the file. */
export function readTiffPixelSize(bytes: Uint8Array): TiffPixelSize {
  let ifd;
  try {
    ifd = decodeIfds(bytes, { ignoreImageData: true, pages: [0] })[0];
  } catch (error) {
    throw new ImageFormatError('TIFF_CORRUPT', `the TIFF's first page could not be read (${(error as Error).message}): the file is corrupt or truncated`);
  }
  const description = typeof ifd.imageDescription === 'string' ? utf8(ifd.imageDescription).replace(/\0+$/, '') : '';
  const xResolution = Number(ifd.xResolution);
  const perPixel = (nmPerUnit: number) => (xResolution > 0 && Number.isFinite(xResolution) ? nmPerUnit / xResolution : null);
  if (description.startsWith('ImageJ=')) {
    const fields = new Map(description.split('\n').map((line) => line.split('=', 2) as [string, string]).filter((pair) => pair.length === 2));
    const unit = nanometresPerUnit(fields.get('unit') ?? '');
    const spacing = Number(fields.get('spacing'));
    return {
      pixelSizeNm: unit === null ? null : perPixel(unit),
      spacingNm: unit !== null && spacing > 0 ? spacing * unit : null,
      source: unit === null ? null : 'imagej',
    };
  }
  if (description.startsWith('<?xml') || description.startsWith('<OME')) {
    const pixels = /<(?:\w+:)?Pixels\b[^>]*>/.exec(description)?.[0] ?? '';
    const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(pixels)?.[1];
    const size = Number(attribute('PhysicalSizeX'));
    const unit = nanometresPerUnit(attribute('PhysicalSizeXUnit') ?? 'µm');
    const zSize = Number(attribute('PhysicalSizeZ'));
    const zUnit = nanometresPerUnit(attribute('PhysicalSizeZUnit') ?? 'µm');
    const known = size > 0 && unit !== null;
    return { pixelSizeNm: known ? size * unit : null, spacingNm: zSize > 0 && zUnit !== null ? zSize * zUnit : null, source: known ? 'ome' : null };
  }
  if (ifd.resolutionUnit === 3) {
    const pixelSizeNm = perPixel(1e7);
    return { pixelSizeNm, spacingNm: null, source: pixelSizeNm === null ? null : 'resolution' };
  }
  return { pixelSizeNm: null, spacingNm: null, source: null };
}

/** The `tiff` package gives ASCII fields one character per byte; OME-XML is UTF-8 (`µm` is two bytes). */
function utf8(text: string): string {
  if (!/[\u0080-\u00ff]/.test(text) || /[^\u0000-\u00ff]/.test(text)) return text;
  const decoded = Buffer.from(text, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? text : decoded;
}
