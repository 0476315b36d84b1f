/**
 * One job of a batch: the MMSE of a page, or of one tile's window (page-tiles.ts), through libs/onnx's `mmse` with
 * the batch's options, cropped to the tile's core, and the figures of its manifest row:
 * - samples used and the RMS Monte-Carlo standard error over the core, √(mean s²/N) (s the per-pixel sample std);
 * - GT-free quality: the data-fit discrepancy ‖A x̂ − y‖²/(Nσ²) (χ²/N for a camera's Poisson–Gaussian model) over the
 *   N core pixels where the PSF fits inside the page (imaging's `dataFitDiscrepancy` on the core widened by the PSF's
 *   radius, so that tiles add up to the page), and the mean posterior std.
 * A tile's noise stream is its own (`tileSeed`); a page that is one tile keeps the batch's seed, so that it equals
 * `mmse(page)` with the same options to the bit.
 */
import { dataFitDiscrepancy, type Image, type NoiseModel } from '@divblur/imaging';
import { cropWindow, mmse, type ModelSessions, type SessionOptions } from '@divblur/onnx';
import type { PageTile, Rect } from './page-tiles.ts';

export interface PageTaskOptions {
  readonly samples: number;
  readonly seed: number;
  readonly dihedral: boolean;
  readonly memoryBudgetBytes: number;
  /** Absolute (data units); undefined: every sample. */
  readonly tolerance?: number;
  /** The model's noise model (the discrepancy's σ, or its variance per pixel for camera data). */
  readonly noise: NoiseModel;
  /** The model's PSF (A); null: A = identity. */
  readonly psf: Image | null;
}

export interface PageTaskStats {
  readonly core: Rect;
  readonly samplesUsed: number;
  readonly stoppedEarly: boolean;
  readonly standardError: number;
  /** Null when no core pixel has the PSF's whole support inside the page. */
  readonly discrepancy: number | null;
  /** The pixels the discrepancy is the mean over. */
  readonly discrepancyPixels: number;
  readonly meanStd: number;
  readonly durationMs: number;
}

export interface PageTaskResult extends PageTaskStats {
  /** The core's MMSE and per-pixel posterior std, row-major core.height × core.width. */
  readonly mmse: Float32Array;
  readonly std: Float32Array;
}

/**
 * Samples per sampler call when a tolerance may stop the page. The stop is checked after each call, and with the
 * default 8 per call and 8 views of test-time averaging a page could stop only at 64 samples or run all 100
 * (bench/tolerance.ts saw exactly that); ONNX Runtime decodes 2 per call as fast per sample as 8 or 100
 * (ENVIRONMENT.md's table), and the samples are the same either way (the noise is keyed by sample and position).
 */
export const TOLERANCE_CHECK_BATCH = 2;

/**
 * The ONNX sessions a batch page runs on (the inference workers' and `divblur deconvolve --in`'s): without ONNX
 * Runtime's memory pattern, which took a third of a 2048² page's peak for no speed (libs/onnx SessionOptions;
 * bench/results/batch.md: 1420–1486 MB per worker at 2048², 2013–2068 MB with it).
 */
export const BATCH_SESSION_OPTIONS: SessionOptions = { memoryPattern: false };

/** Tile t's noise seed (t > 0 of a tiled page): unrelated to the batch seed's stream and to the views' (mmse-core's viewSeed). */
export function tileSeed(seed: number, tile: PageTile): number {
  return tile.tileCount === 1 ? seed : (seed + Math.imul(tile.tile + 1, 0x2545f491)) >>> 0;
}

export async function deconvolvePageTask(sessions: ModelSessions, page: Image, tile: PageTile, options: PageTaskOptions): Promise<PageTaskResult> {
  const started = performance.now();
  const { window, core } = tile;
  const whole = window.height === page.height && window.width === page.width;
  const input: Image = whole ? page : { data: cropWindow(page.data, page.width, window.top, window.left, window.height, window.width), height: window.height, width: window.width };
  const estimate = await mmse(sessions, input, {
    samples: options.samples, seed: tileSeed(options.seed, tile), dihedral: options.dihedral, memoryBudgetBytes: options.memoryBudgetBytes,
    ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance, maxBatch: TOLERANCE_CHECK_BATCH }),
  });
  const inWindow = { top: core.top - window.top, left: core.left - window.left, height: core.height, width: core.width };
  const crop = (data: Float32Array, rect: Rect) => cropWindow(data, window.width, rect.top, rect.left, rect.height, rect.width);
  const mmseCore = crop(estimate.mmse, inWindow);
  const stdCore = crop(estimate.std, inWindow);
  let squares = 0;
  let stdSum = 0;
  for (const s of stdCore) {
    squares += s * s;
    stdSum += s;
  }
  const pixels = stdCore.length;
  const n = estimate.samplesUsed;
  const fit = coreDiscrepancy(input, estimate.mmse, inWindow, options.psf, options.noise);
  return {
    core, mmse: mmseCore, std: stdCore, samplesUsed: n, stoppedEarly: estimate.stoppedEarly,
    standardError: n > 1 ? Math.sqrt(squares / pixels / n) : Infinity,
    discrepancy: fit.discrepancy, discrepancyPixels: fit.pixels, meanStd: stdSum / pixels,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The discrepancy over the core's 'valid' pixels: the core widened by the PSF's radius where the window allows; a
 * side that is the page's edge stays unwidened, so that (like dataFitDiscrepancy on the page) it loses a radius.
 */
function coreDiscrepancy(window: Image, estimate: Float32Array, core: Rect, psf: Image | null, noise: NoiseModel): { discrepancy: number | null; pixels: number } {
  const radiusY = psf === null ? 0 : (psf.height - 1) / 2;
  const radiusX = psf === null ? 0 : (psf.width - 1) / 2;
  const top = Math.max(0, core.top - radiusY);
  const left = Math.max(0, core.left - radiusX);
  const rect = {
    top, left,
    height: Math.min(window.height, core.top + core.height + radiusY) - top,
    width: Math.min(window.width, core.left + core.width + radiusX) - left,
  };
  const pixels = (rect.height - 2 * radiusY) * (rect.width - 2 * radiusX);
  if (pixels <= 0) return { discrepancy: null, pixels: 0 }; // a core thinner than the PSF, at the page's edge
  const cut = (data: Float32Array): Image => ({ data: cropWindow(data, window.width, rect.top, rect.left, rect.height, rect.width), height: rect.height, width: rect.width });
  return { discrepancy: dataFitDiscrepancy(cut(window.data), cut(estimate), psf, noise), pixels };
}
