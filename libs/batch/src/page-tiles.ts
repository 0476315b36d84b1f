/**
 * How a page becomes jobs: whole, when one decode of it fits the memory budget (as libs/onnx's `mmse` would decode
 * it), else cut into tiles, one job each, so that every worker can take part of a large page. A tile owns a core of
 * the page's pixels (the cores partition the page) and reads a window: the core and, on every side inside the page,
 * a context of the network's receptive field plus the PSF's radius. Each window is deconvolved as an image of its
 * own by the same `mmse` (which reflects at its edges as it does at a page's), so a core pixel sees as much real
 * image around it as in the whole page; the tiles' noise streams differ (page-task.ts), so the estimate equals the
 * whole page's within Monte-Carlo error, not to the bit.
 */
import { decodeBytesPerPixel, receptiveMarginPx } from '@divblur/onnx';
import { defaultContextMargin } from '@divblur/divblurring/mmse-core';
import type { ModelConfig } from '@divblur/divblurring/contract';
import { BatchPlanError } from './errors.ts';

export interface Rect {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

export interface PageTile {
  readonly tile: number;
  readonly tileCount: number;
  /** The page pixels this tile's result covers. */
  readonly core: Rect;
  /** What it reads: the core and its context, clipped to the page. */
  readonly window: Rect;
}

export interface TileModel {
  readonly config: ModelConfig;
  /** The model's PSF (its size decides the context); null for A = identity. */
  readonly psf: { readonly height: number; readonly width: number } | null;
}

/** Bytes one decode of an image of this size takes in `mmse` (its reflect margin and the 2^depth grid included). */
export function decodeBytes(height: number, width: number, model: TileModel): number {
  const cell = 2 ** model.config.depth;
  const margin = defaultContextMargin(model.psf, height, width, cell);
  const side = (n: number) => Math.ceil((n + 2 * margin) / cell) * cell;
  return side(height) * side(width) * decodeBytesPerPixel(model.config);
}

/** Context around a core, px: the receptive field (on the 2^depth grid) and the PSF's radius. */
export function tileContextPx(model: TileModel): number {
  const psfRadius = model.psf === null ? 0 : Math.ceil((Math.max(model.psf.height, model.psf.width) - 1) / 2);
  return receptiveMarginPx(model.config) + psfRadius;
}

/** The tiles of a height × width page under `memoryBudgetBytes` (one tile: the whole page). */
export function planPageTiles(height: number, width: number, model: TileModel, memoryBudgetBytes: number): PageTile[] {
  const whole = { top: 0, left: 0, height, width };
  if (decodeBytes(height, width, model) <= memoryBudgetBytes) return [{ tile: 0, tileCount: 1, core: whole, window: whole }];
  const context = tileContextPx(model);
  const cell = 2 ** model.config.depth;
  const psfMargin = model.psf === null ? 0 : Math.ceil((Math.max(model.psf.height, model.psf.width) - 1) / 2);
  // A window of core + 2·context, widened to the grid on both sides, plus mmse's reflect margin and its rounding
  // to the grid, must fit the budget.
  const side = Math.floor(Math.sqrt(memoryBudgetBytes / decodeBytesPerPixel(model.config)));
  const core = side - 2 * context - 2 * (cell - 1) - 2 * psfMargin - cell;
  if (core < 2 * cell) {
    throw new BatchPlanError('MEMORY_BUDGET',
      `a memory budget of ${memoryBudgetBytes} B leaves no tile: this model needs ${decodeBytesPerPixel(model.config)} B per pixel and ${context} px of context on each side of a tile`);
  }
  const rows = axisSplit(height, core);
  const columns = axisSplit(width, core);
  const tiles: PageTile[] = [];
  for (const [top, coreHeight] of rows) {
    const [windowTop, windowBottom] = windowSpan(top, top + coreHeight, height, context, cell);
    for (const [left, coreWidth] of columns) {
      const [windowLeft, windowRight] = windowSpan(left, left + coreWidth, width, context, cell);
      tiles.push({
        tile: tiles.length, tileCount: rows.length * columns.length,
        core: { top, left, height: coreHeight, width: coreWidth },
        window: { top: windowTop, left: windowLeft, height: windowBottom - windowTop, width: windowRight - windowLeft },
      });
    }
  }
  return tiles;
}

/**
 * A window's [start, end) along one axis: the core and `context` on each side, widened so that both ends sit on the
 * page's 2^depth grid as seen from either end of the page. The network pools by 2^depth and is not shift-invariant:
 * a window off the page's grid (in any of the turns and mirrors of test-time averaging) decodes another function of
 * the same pixels (the tests saw 40× the Monte-Carlo variance from a random model).
 */
function windowSpan(start: number, end: number, length: number, context: number, cell: number): [number, number] {
  const first = Math.max(0, Math.floor((start - context) / cell) * cell);
  const last = Math.min(length, length - Math.floor((length - end - context) / cell) * cell);
  return [first, last];
}

/** [0, length) in near-equal runs of at most `core` pixels. */
function axisSplit(length: number, core: number): [number, number][] {
  const count = Math.ceil(length / core);
  return Array.from({ length: count }, (_, k) => {
    const start = Math.round((length * k) / count);
    return [start, Math.round((length * (k + 1)) / count) - start] as [number, number];
  });
}
