/**
 * An image as an 8-bit grayscale PNG for people to look at (the API's /v1/runs/:id/images): values mapped linearly
 * from [min, max] to 0…255 and clipped, v ↦ round(255 · (v − min)/(max − min)), NaN → 0; the limits in the image's
 * own units, given or taken at percentiles. The encoder is the PNG spec's smallest conforming file (W3C PNG, 2nd ed.:
 * signature, IHDR colour type 0 bit depth 8, one zlib IDAT with filter type 0 on every row, IEND; CRC-32 of each
 * chunk): node:zlib's deflate and crc32 do the work, so no dependency is needed.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import type { Image } from './image.ts';
import { ParameterError } from './errors.ts';

export interface ContrastLimits { readonly min: number; readonly max: number }

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** Largest side accepted (PNG allows 2³¹ − 1; an image this service stores is far below). */
const MAX_SIDE = 65_535;

/** The values at the given percentiles (0…100; nearest rank of the sorted finite values); NaN for an image of none. */
export function percentiles(data: ArrayLike<number>, at: readonly number[]): number[] {
  for (const p of at) if (!(p >= 0 && p <= 100)) throw new ParameterError('PERCENTILE', `a percentile is between 0 and 100, got ${p}`);
  const finite = Float64Array.from(Array.prototype.filter.call(data, (v: number) => Number.isFinite(v)) as number[]).sort();
  if (finite.length === 0) return at.map(() => Number.NaN);
  return at.map((p) => finite[Math.min(finite.length - 1, Math.round((p / 100) * (finite.length - 1)))]);
}

/** 8-bit gray levels of the image with these limits; max ≤ min (a flat image) maps everything ≥ min to 255. */
export function toGray8(image: Image, { min, max }: ContrastLimits): Uint8Array {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new ParameterError('CONTRAST', `contrast limits must be finite, got ${min}, ${max}`);
  const out = new Uint8Array(image.data.length);
  const scale = max > min ? 255 / (max - min) : Infinity;
  for (let i = 0; i < out.length; i++) {
    const v = image.data[i];
    if (Number.isNaN(v)) continue;
    const level = scale === Infinity ? (v >= min ? 255 : 0) : Math.round((v - min) * scale);
    out[i] = level < 0 ? 0 : level > 255 ? 255 : level;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** A grayscale PNG of 8-bit levels, row-major `height × width`. */
export function encodeGray8Png(levels: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new ParameterError('SHAPE', `a PNG is 1…${MAX_SIDE} pixels a side, got ${height}×${width}`);
  }
  if (levels.length !== width * height) throw new ParameterError('SHAPE', `${levels.length} levels for ${height}×${width} pixels`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (gray), deflate, adaptive filtering, no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let r = 0; r < height; r++) raw.set(levels.subarray(r * width, (r + 1) * width), r * (width + 1) + 1); // filter 0
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

export function encodeImagePng(image: Image, limits: ContrastLimits): Buffer {
  return encodeGray8Png(toGray8(image, limits), image.width, image.height);
}

/** Reads back what encodeGray8Png writes (8-bit gray, filter 0 rows), CRCs checked: for tests and tools. */
export function decodeGray8Png(png: Buffer): { width: number; height: number; levels: Uint8Array } {
  if (png.length < 8 || Buffer.compare(png.subarray(0, 8), SIGNATURE) !== 0) throw new ParameterError('PNG', 'not a PNG: the signature is missing');
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (png.readUInt32BE(at + 8 + length) !== crc32(png.subarray(at + 4, at + 8 + length)) >>> 0) throw new ParameterError('PNG', `bad CRC of chunk ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 0 || data[12] !== 0) throw new ParameterError('PNG', 'only 8-bit gray, not interlaced, is read');
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const levels = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) {
    if (raw[r * (width + 1)] !== 0) throw new ParameterError('PNG', 'only filter type 0 is read');
    levels.set(raw.subarray(r * (width + 1) + 1, (r + 1) * (width + 1)), r * width);
  }
  return { width, height, levels };
}
