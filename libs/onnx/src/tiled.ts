/**
 * How an image meets the graphs: reflect-padded to a multiple of 2^depth, then either whole (when a decode of one
 * sample fits the memory budget) or cut into overlapping tiles. Each tile owns a core of output pixels and reads a
 * margin of context around it at least as wide as the network's receptive field, on the 2^depth grid; with the
 * position-keyed noise field (noise.ts) a tile's core is then exactly the whole-image result: no seams, no blending.
 */
import type { Image } from '@divblur/imaging';
import { receptiveReachPx, type ModelConfig as NetworkConfig } from '@divblur/divblurring/contract';
import { OnnxOptionError } from './errors.ts';

export interface Tile {
  /** The window fed to the encoder, in padded-image pixels (multiples of 2^depth). */
  readonly inputTop: number;
  readonly inputLeft: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  /** The output pixels this tile owns, in padded-image pixels; cores partition the padded image. */
  readonly coreTop: number;
  readonly coreLeft: number;
  readonly coreHeight: number;
  readonly coreWidth: number;
}

export interface TilePlan {
  readonly height: number;
  readonly width: number;
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  readonly tiles: readonly Tile[];
  /** Samples decoded per sampler call. */
  readonly batchSize: number;
  readonly marginPx: number;
}

export interface PlanOptions {
  readonly memoryBudgetBytes: number;
  readonly samples: number;
  /** Upper bound on samples per call: past ~8, bigger batches buy no speed on CPU and cost memory. */
  readonly maxBatch?: number;
  /** Force a tile core size (px, multiple of 2^depth), for tests; default from the budget. */
  readonly tileCorePx?: number;
}

/** Receptive-field margin (px) on the 2^depth grid: the network's reach (the model contract's, any kernel size)
 *  rounded up to whole cells, and one more cell of safety. */
export function receptiveMarginPx(config: NetworkConfig): number {
  const cell = 2 ** config.depth;
  return cell * Math.ceil(receptiveReachPx(config) / cell) + cell;
}

/** Working memory of one decoded sample per output pixel (bytes): the live activations at each scale (two
 *  feature maps and a re-layout copy) plus latent noise, z and the output, all float32. */
export function decodeBytesPerPixel(config: NetworkConfig): number {
  let floats = 4 + (3 * config.latentChannels) / 4 ** config.depth;
  config.filters.forEach((f, i) => (floats += (3 * f) / 4 ** i));
  return 4 * floats;
}

export function planTiles(height: number, width: number, config: NetworkConfig, options: PlanOptions): TilePlan {
  const cell = 2 ** config.depth;
  const paddedHeight = Math.ceil(height / cell) * cell;
  const paddedWidth = Math.ceil(width / cell) * cell;
  const perPixel = decodeBytesPerPixel(config);
  const marginPx = receptiveMarginPx(config);
  const maxBatch = options.maxBatch ?? 8;
  const batchFor = (pixels: number) => Math.max(1, Math.min(options.samples, maxBatch, Math.floor(options.memoryBudgetBytes / (pixels * perPixel))));
  if (options.tileCorePx === undefined && paddedHeight * paddedWidth * perPixel <= options.memoryBudgetBytes) {
    const whole: Tile = { inputTop: 0, inputLeft: 0, inputHeight: paddedHeight, inputWidth: paddedWidth,
      coreTop: 0, coreLeft: 0, coreHeight: paddedHeight, coreWidth: paddedWidth };
    return { height, width, paddedHeight, paddedWidth, tiles: [whole], batchSize: batchFor(paddedHeight * paddedWidth), marginPx };
  }
  let core = options.tileCorePx ?? cell * Math.floor((Math.sqrt(options.memoryBudgetBytes / perPixel) - 2 * marginPx) / cell);
  if (core < cell || core % cell !== 0) {
    throw new OnnxOptionError('MEMORY_BUDGET', `memory budget ${options.memoryBudgetBytes} B leaves no tile: one sample needs ${perPixel} B per pixel and tiles carry a ${marginPx}-px margin`);
  }
  const rows = axisSplit(paddedHeight, core, cell);
  const columns = axisSplit(paddedWidth, core, cell);
  const tiles: Tile[] = [];
  for (const [coreTop, coreHeight] of rows) {
    for (const [coreLeft, coreWidth] of columns) {
      const inputTop = Math.max(0, coreTop - marginPx);
      const inputLeft = Math.max(0, coreLeft - marginPx);
      tiles.push({ coreTop, coreLeft, coreHeight, coreWidth, inputTop, inputLeft,
        inputHeight: Math.min(paddedHeight, coreTop + coreHeight + marginPx) - inputTop,
        inputWidth: Math.min(paddedWidth, coreLeft + coreWidth + marginPx) - inputLeft });
    }
  }
  const largest = Math.max(...tiles.map((t) => t.inputHeight * t.inputWidth));
  return { height, width, paddedHeight, paddedWidth, tiles, batchSize: batchFor(largest), marginPx };
}

/** Splits [0, length) into near-equal runs of at most `core`, each a multiple of `cell` (length is one too). */
function axisSplit(length: number, core: number, cell: number): [number, number][] {
  const count = Math.ceil(length / core);
  const cells = length / cell;
  const runs: [number, number][] = [];
  for (let k = 0, start = 0; k < count; k++) {
    const end = Math.round((cells * (k + 1)) / count) * cell;
    runs.push([start, end - start]);
    start = end;
  }
  return runs;
}

/**
 * Reflect padding (numpy 'reflect': the edge pixel is not repeated): `margin` pixels on every side, then to
 * paddedHeight × paddedWidth at the bottom and right. The image sits at (margin, margin) in the result.
 */
export function reflectPad(image: Image, paddedHeight: number, paddedWidth: number, margin = 0): Float32Array {
  const { data, height, width } = image;
  if (margin === 0 && paddedHeight === height && paddedWidth === width) return data;
  const reflect = (i: number, n: number) => (i < 0 ? -i : i < n ? i : 2 * (n - 1) - i);
  const out = new Float32Array(paddedHeight * paddedWidth);
  for (let r = 0; r < paddedHeight; r++) {
    const source = reflect(r - margin, height) * width;
    for (let c = 0; c < paddedWidth; c++) out[r * paddedWidth + c] = data[source + reflect(c - margin, width)];
  }
  return out;
}

/** The window [top, top+height) × [left, left+width) of a row-major image as a new array. */
export function cropWindow(data: ArrayLike<number>, rowStride: number, top: number, left: number, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) out[r * width + c] = data[(top + r) * rowStride + left + c];
  }
  return out;
}
