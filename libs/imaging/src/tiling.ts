import { ImageValueError, ParameterError } from './errors.ts';
import type { Image, Stack } from './image.ts';

/**
 * Overlapping tiles of one fixed size over an image, and their blend back with linear ramps in
 * the overlaps (a partition of unity: the weights of all tiles covering a pixel sum to 1; a
 * pixel that one tile alone covers, e.g. at the image border, has weight 1). Used to run a
 * fully convolutional model on images larger than it was exported or batched for.
 */

export interface TilingOptions {
  /** Every tile side is a multiple of this (the VAE downsamples twice: 4). Default 1. */
  readonly multipleOf?: number;
  /**
   * When the image is smaller than a tile along an axis, shrink the tile to the image side
   * rounded up to `multipleOf` (less padding, less work). Default true; false keeps `tileSize`.
   */
  readonly shrinkToImage?: boolean;
}

export interface Tile {
  readonly index: number;
  /** Top-left corner in image pixels. */
  readonly y: number;
  readonly x: number;
}

export interface TilePlan {
  readonly height: number;
  readonly width: number;
  readonly tileHeight: number;
  readonly tileWidth: number;
  readonly overlap: number;
  /** Top rows of the tile rows, left columns of the tile columns. */
  readonly rowStarts: readonly number[];
  readonly columnStarts: readonly number[];
  /** Row-major: tile r·columns + c is at (rowStarts[r], columnStarts[c]). */
  readonly tiles: readonly Tile[];
}

export function planTiles(height: number, width: number, tileSize: number, overlap: number, options: TilingOptions = {}): TilePlan {
  const multipleOf = options.multipleOf ?? 1;
  requireInteger('height', height, 1);
  requireInteger('width', width, 1);
  requireInteger('tileSize', tileSize, 1);
  requireInteger('overlap', overlap, 0);
  requireInteger('multipleOf', multipleOf, 1);
  if (overlap >= tileSize) {
    throw new ParameterError('BAD_TILING', `overlap ${overlap} must be smaller than tileSize ${tileSize} (tiles advance by tileSize − overlap ≥ 1 pixel)`);
  }
  if (tileSize % multipleOf !== 0) {
    throw new ParameterError('BAD_TILING', `tileSize ${tileSize} must be a multiple of ${multipleOf}: try ${Math.max(multipleOf, Math.round(tileSize / multipleOf) * multipleOf)}`);
  }
  const extent = (side: number) => (options.shrinkToImage ?? true ? Math.min(tileSize, Math.ceil(side / multipleOf) * multipleOf) : tileSize);
  const tileHeight = extent(height);
  const tileWidth = extent(width);
  const rowStarts = axisStarts(height, tileHeight, overlap);
  const columnStarts = axisStarts(width, tileWidth, overlap);
  const tiles = rowStarts.flatMap((y, r) => columnStarts.map((x, c) => ({ index: r * columnStarts.length + c, y, x })));
  return { height, width, tileHeight, tileWidth, overlap, rowStarts, columnStarts, tiles };
}

/**
 * Starts along one axis: every `tile − overlap` pixels, the last one shifted inward to end at
 * the image edge (so its overlap with its neighbour may exceed `overlap`). One tile at 0 when
 * the image is not longer than a tile.
 */
function axisStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = tile - overlap;
  const count = Math.ceil((length - tile) / stride) + 1;
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? length - tile : i * stride));
}

/**
 * The tiles of one image as a stack (count = plan.tiles.length). Where a tile reaches past a
 * smaller image it is filled by mirror reflection (…c b a | a b c… | c b a…), which keeps
 * intensities and avoids the edge a zero border would put into a deconvolution.
 */
export function splitTiles(image: Image, plan: TilePlan): Stack {
  checkImage(image, plan);
  const { tileHeight, tileWidth, tiles } = plan;
  const tileSize = tileHeight * tileWidth;
  const data = new Float32Array(tiles.length * tileSize);
  const columnIndex = new Int32Array(tileWidth);
  tiles.forEach((tile, t) => {
    for (let u = 0; u < tileWidth; u++) columnIndex[u] = mirror(tile.x + u, image.width);
    for (let v = 0; v < tileHeight; v++) {
      const row = mirror(tile.y + v, image.height) * image.width;
      const out = t * tileSize + v * tileWidth;
      for (let u = 0; u < tileWidth; u++) data[out + u] = image.data[row + columnIndex[u]];
    }
  });
  return { data, count: tiles.length, height: tileHeight, width: tileWidth };
}

/** Symmetric reflection of index i into [0, n): period 2n, edge samples repeated. */
function mirror(i: number, n: number): number {
  const m = i % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** One axis's ramp weights of the tile starting at `starts[k]`: linear over each overlap, 1 elsewhere. */
export function axisWeights(starts: readonly number[], k: number, tile: number): Float64Array {
  const weights = new Float64Array(tile).fill(1);
  const left = k > 0 ? starts[k - 1] + tile - starts[k] : 0;
  const right = k + 1 < starts.length ? starts[k] + tile - starts[k + 1] : 0;
  // Pixel centres: in an overlap of L pixels one side gets (j + ½)/L and the other 1 − that, sum 1.
  for (let j = 0; j < left; j++) weights[j] = Math.min(weights[j], (j + 0.5) / left);
  for (let j = 0; j < right; j++) weights[tile - 1 - j] = Math.min(weights[tile - 1 - j], (j + 0.5) / right);
  return weights;
}

/**
 * Accumulates tiles (in any order, in batches) into the blended image:
 * x̂(p) = Σ_t w_t(p) x_t(p) / Σ_t w_t(p), with w_t = ramp_rows ⊗ ramp_columns. Dividing by
 * Σ w keeps the blend exact where the last, shifted tile overlaps more than `overlap`.
 */
export class TileBlender {
  readonly #plan: TilePlan;
  readonly #sum: Float64Array;
  readonly #weight: Float64Array;
  readonly #added: Uint8Array;

  constructor(plan: TilePlan) {
    this.#plan = plan;
    this.#sum = new Float64Array(plan.height * plan.width);
    this.#weight = new Float64Array(plan.height * plan.width);
    this.#added = new Uint8Array(plan.tiles.length);
  }

  add(tileIndex: number, tile: Float32Array): void {
    const { tiles, tileHeight, tileWidth, height, width, rowStarts, columnStarts } = this.#plan;
    if (!Number.isInteger(tileIndex) || tileIndex < 0 || tileIndex >= tiles.length) {
      throw new ParameterError('BAD_TILE', `tile index ${tileIndex} is out of range: the plan has ${tiles.length} tiles`);
    }
    if (tile.length !== tileHeight * tileWidth) {
      throw new ImageValueError('SHAPE_MISMATCH', `tile ${tileIndex} has ${tile.length} values, expected ${tileHeight}×${tileWidth}`);
    }
    if (this.#added[tileIndex]) throw new ParameterError('BAD_TILE', `tile ${tileIndex} was already added`);
    this.#added[tileIndex] = 1;
    const { y, x } = tiles[tileIndex];
    const rowWeights = axisWeights(rowStarts, Math.floor(tileIndex / columnStarts.length), tileHeight);
    const columnWeights = axisWeights(columnStarts, tileIndex % columnStarts.length, tileWidth);
    const rows = Math.min(tileHeight, height - y);
    const columns = Math.min(tileWidth, width - x);
    for (let v = 0; v < rows; v++) {
      const out = (y + v) * width + x;
      for (let u = 0; u < columns; u++) {
        const w = rowWeights[v] * columnWeights[u];
        this.#sum[out + u] += w * tile[v * tileWidth + u];
        this.#weight[out + u] += w;
      }
    }
  }

  /** The blended image; every tile must have been added. */
  result(): Image {
    const missing = this.#added.indexOf(0);
    if (missing >= 0) throw new ParameterError('BAD_TILE', `tile ${missing} of ${this.#added.length} was never added`);
    const data = new Float32Array(this.#sum.length);
    for (let i = 0; i < data.length; i++) data[i] = this.#sum[i] / this.#weight[i];
    return { data, height: this.#plan.height, width: this.#plan.width };
  }
}

/** Blends a whole stack of tiles (as `splitTiles` returns them) back into one image. */
export function blendTiles(tiles: Stack, plan: TilePlan): Image {
  if (tiles.count !== plan.tiles.length || tiles.height !== plan.tileHeight || tiles.width !== plan.tileWidth) {
    throw new ImageValueError(
      'SHAPE_MISMATCH',
      `the tiles are ${tiles.count} × ${tiles.height}×${tiles.width} but the plan needs ${plan.tiles.length} × ${plan.tileHeight}×${plan.tileWidth}`,
    );
  }
  const blender = new TileBlender(plan);
  const size = plan.tileHeight * plan.tileWidth;
  for (let t = 0; t < tiles.count; t++) blender.add(t, tiles.data.subarray(t * size, (t + 1) * size));
  return blender.result();
}

function checkImage(image: Image, plan: TilePlan): void {
  if (image.height !== plan.height || image.width !== plan.width || image.data.length !== image.height * image.width) {
    throw new ImageValueError('SHAPE_MISMATCH', `the image is ${image.height}×${image.width} (${image.data.length} values) but the plan is for ${plan.height}×${plan.width}`);
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ParameterError('BAD_TILING', `${name} must be an integer ≥ ${min}, got ${value}`);
  }
}
