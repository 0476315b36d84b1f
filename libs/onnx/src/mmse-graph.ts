/**
 * The served MMSE as one ONNX graph, y (input `raw`) → (mmse, std), for consumers that feed one tensor and read one (deepImageJ,
 * bioimageio.core): what libs/onnx `mmse()` computes with the MMSE core's defaults, N fixed at export.
 * Per view T_k of test-time averaging (mmse-core.ts: the samples split over the views, each view its own seed):
 *   v = T_k(y), reflect-padded by the context margin (the PSF radius) and to the 2^depth grid (tiled.ts reflectPad);
 *   μ, log σ² = encoder(v) once; then an ONNX Loop over the view's samples s:
 *     ε_s drawn in-graph (graph-noise.ts), x_s = decoder(μ + σ·ε_s), cropped, turned back by T_k⁻¹,
 *     Welford in float64 over every sample of every view: n += 1, δ = x − x̂, x̂ += δ/n, M2 += δ(x − x̂).
 * mmse = x̂, std = √(M2/(N − 1)) (the pooled sample std, as `pooledMmse`). The Loop carries only x̂ and M2, so
 * memory is one decode's activations plus two float64 images, whatever N (bench/mmse-graph.ts measures it).
 * Not noise.ts's ε: the estimate agrees with `mmse()` within Monte-Carlo error, not to the bit.
 */
import type { Image } from '@divblur/imaging';
import { defaultContextMargin, receptiveReachPx, type SavedModel } from '@divblur/divblurring/contract';
import { DEFAULT_SAMPLES, DEFAULT_SEED, SERVED_DIHEDRAL, mmseOptionProblem, mmseViews, splitSamples, viewSeed } from '@divblur/divblurring/mmse-core';
import { testTimeTransforms } from '@divblur/divblurring/symmetry';
import { GraphBuilder, encodeModel } from './onnx-builder.ts';
import { addDecoder, addEncoder, addReparameterisation } from './network-graph.ts';
import { addNormalNoise, addPositionCounters } from './graph-noise.ts';
import { META_ROLE, modelMetadata, type ExportOptions } from './export.ts';
import { OnnxModelError, OnnxOptionError } from './errors.ts';
import { MIN_SIDE_PX } from './input.ts';

/** BitwiseXor, which the in-graph noise needs, is opset 18 (ONNX 1.13; onnxruntime ≥ 1.14). */
export const MMSE_GRAPH_OPSET = 18;

export interface MmseGraphOptions extends ExportOptions {
  /** Posterior samples, fixed in the graph (default DEFAULT_SAMPLES). */
  readonly samples?: number;
  readonly seed?: number;
  /** Test-time averaging, as `mmse()`'s option (default SERVED_DIHEDRAL, what the service serves). */
  readonly dihedral?: boolean | readonly number[];
}

export interface MmseGraph {
  readonly bytes: Uint8Array;
  readonly samples: number;
  readonly seed: number;
  /** The views T_k averaged (data.ts numbering) and the samples each one decodes. */
  readonly views: readonly { readonly transform: number; readonly samples: number; readonly seed: number }[];
  /** Reflected context around the input inside the graph (px): the PSF radius. */
  readonly contextMarginPx: number;
  /** What a tile's output loses at its border (px): the network's receptive reach plus the PSF radius. */
  readonly haloPx: number;
  /** Smallest input side (px): a multiple of 2^depth above 2·halo, so that a tile keeps a core. */
  readonly minSidePx: number;
}

const INT64_MIN = -(2 ** 63);

function int64s(b: GraphBuilder, values: readonly number[]): string {
  return b.typedConstant(`mmse.i64_${values.join('_')}`, [values.length], values, 'int64');
}

function flip(b: GraphBuilder, x: string, axis: number): string {
  return b.node('Slice', [x, int64s(b, [-1]), int64s(b, [INT64_MIN]), int64s(b, [axis]), int64s(b, [-1])]);
}

/** T_k as data.ts `dihedral` numbers it: transpose (bit 2) first, then flip rows (bit 0) and columns (bit 1). */
export function addDihedral(b: GraphBuilder, x: string, k: number): string {
  if (k & 4) x = b.node('Transpose', [x], { perm: [0, 1, 3, 2] });
  if (k & 1) x = flip(b, x, 2);
  if (k & 2) x = flip(b, x, 3);
  return x;
}

/** T_k⁻¹ (data.ts `undoDihedral`): the flips, then the transpose. */
export function addUndoDihedral(b: GraphBuilder, x: string, k: number): string {
  if (k & 1) x = flip(b, x, 2);
  if (k & 2) x = flip(b, x, 3);
  if (k & 4) x = b.node('Transpose', [x], { perm: [0, 1, 3, 2] });
  return x;
}

/** The contract's PSF as an image (symmetry.ts takes one). */
function psfImage(model: SavedModel): Image | null {
  const { psf } = model.manifest;
  return psf && { height: psf.height, width: psf.width, data: Float32Array.from(psf.data) };
}

/** The geometry a consumer needs: margin, halo and smallest side (what rdf.yaml states and the graph assumes). */
export function mmseGraphGeometry(model: SavedModel): { contextMarginPx: number; haloPx: number; minSidePx: number } {
  const { config, psf } = model.manifest;
  const cell = 2 ** config.depth;
  // The service's margin uncapped: the cap (images smaller than margin + 2^depth + 1) never binds above minSidePx.
  const contextMarginPx = defaultContextMargin(psf, Infinity, Infinity, cell);
  if (!Number.isInteger(contextMarginPx)) {
    throw new OnnxModelError('MODEL_PSF', `the model's PSF is ${psf?.height}×${psf?.width}: the MMSE graph needs odd sides (a whole-pixel radius)`);
  }
  const haloPx = receptiveReachPx(config) + contextMarginPx;
  const minSidePx = Math.max(MIN_SIDE_PX, cell * Math.ceil((2 * haloPx + 1) / cell));
  return { contextMarginPx, haloPx, minSidePx };
}

/** The MMSE graph of a saved model. */
export function buildMmseGraph(model: SavedModel, options: MmseGraphOptions = {}): MmseGraph {
  const { manifest, params } = model;
  const { config, normalisation } = manifest;
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  const transforms = mmseViews(options.dihedral ?? SERVED_DIHEDRAL, () => testTimeTransforms({ psf: psfImage(model), training: manifest.training }));
  const problem = mmseOptionProblem({ samples }, transforms);
  if (problem) throw new OnnxOptionError(problem.code, problem.message);
  const counts = splitSamples(samples, transforms.length);
  // Each view its own stream (pooledMmse's rule; the identity keeps the seed).
  const views = transforms.map((transform, t) => ({ transform, samples: counts[t], seed: viewSeed(seed, transform) }))
    .filter((view) => view.samples > 0);
  const geometry = mmseGraphGeometry(model);
  const margin = geometry.contextMarginPx;
  const cell = 2 ** config.depth;
  const latent = config.latentChannels;

  const b = new GraphBuilder('divblur_mmse');
  const y = b.input('raw', ['N', 1, 'H', 'W']);
  const double = (name: string, value: number) => b.typedConstant(name, [], [value], 'double');
  let count = double('mmse.zero', 0);
  let mean = b.node('Expand', [count, b.node('Shape', [y])]);
  let m2 = mean;
  for (const view of views) {
    const v = addDihedral(b, y, view.transform);
    const sides = b.node('Slice', [b.node('Shape', [v]), int64s(b, [2]), int64s(b, [4])]);
    // Bottom/right to the grid: (cell − (side + 2m) mod cell) mod cell, as tiled.ts pads after the margin.
    const cells = int64s(b, [cell, cell]);
    const toGrid = b.node('Mod', [b.node('Sub', [cells, b.node('Mod', [b.node('Add', [sides, int64s(b, [2 * margin, 2 * margin])]), cells])]), cells]);
    const pads = b.node('Concat', [int64s(b, [0, 0, margin, margin, 0, 0]), b.node('Add', [toGrid, int64s(b, [margin, margin])])], { axis: 0 });
    const padded = b.node('Pad', [v, pads], { mode: 'reflect' });
    const mu = b.fresh('mu');
    const logvar = b.fresh('logvar');
    addEncoder(b, params, config, normalisation, padded, { mu, logvar });
    const positions = addPositionCounters(b, b.node('Shape', [mu]));
    const cropEnd = b.node('Add', [sides, int64s(b, [margin, margin])]);

    const body = b.subgraph(`divblur_mmse_view_${view.transform}`);
    const iteration = body.input(body.fresh('sample'), [], 'int64');
    const condition = body.input(body.fresh('condition'), [], 'bool');
    const countIn = body.input(body.fresh('count'), [], 'double');
    const meanIn = body.input(body.fresh('mean'), null, 'double');
    const m2In = body.input(body.fresh('m2'), null, 'double');
    const eps = addNormalNoise(body, view.seed, latent, iteration, positions);
    const decoded = body.fresh('x');
    addDecoder(body, params, config, normalisation, addReparameterisation(body, mu, logvar, eps), decoded);
    const core = body.node('Slice', [decoded, int64s(b, [margin, margin]), cropEnd, int64s(b, [2, 3])]);
    const x = body.node('Cast', [addUndoDihedral(body, core, view.transform)], { to: 11 });
    const countOut = body.node('Add', [countIn, double('mmse.one', 1)]);
    const delta = body.node('Sub', [x, meanIn]);
    const meanOut = body.node('Add', [meanIn, body.node('Div', [delta, countOut])]);
    const m2Out = body.node('Add', [m2In, body.node('Mul', [delta, body.node('Sub', [x, meanOut])])]);
    body.output(body.node('Identity', [condition]), [], 'bool');
    body.output(countOut, [], 'double');
    body.output(meanOut, null, 'double');
    body.output(m2Out, null, 'double');

    const trips = b.typedConstant(`mmse.trips_${view.samples}`, [], [view.samples], 'int64');
    const carried = [b.fresh('count'), b.fresh('mean'), b.fresh('m2')];
    b.node('Loop', [trips, b.typedConstant('mmse.true', [], [1], 'bool'), count, mean, m2], { body: { graph: body.graph() } }, carried);
    [count, mean, m2] = carried;
  }
  b.node('Cast', [mean], { to: 1 }, [b.output('mmse', ['N', 1, 'H', 'W'])]);
  // std 0 for a single sample, like WelfordImage.
  const variance = b.node(samples > 1 ? 'Div' : 'Mul', [m2, double(`mmse.variance_scale`, samples > 1 ? samples - 1 : 0)]);
  b.node('Cast', [b.node('Sqrt', [variance])], { to: 1 }, [b.output('std', ['N', 1, 'H', 'W'])]);

  const metadata = {
    ...modelMetadata(manifest, 'sample', options),
    [META_ROLE]: 'mmse',
    'divblur.mmse.samples': String(samples),
    'divblur.mmse.seed': String(seed),
    'divblur.mmse.views': JSON.stringify(views),
    'divblur.mmse.context_margin_px': String(margin),
  };
  const doc = `divblur MMSE graph raw → (mmse, std): ${samples} posterior samples over ${views.length} view(s), noise drawn in the graph (NCHW float32; any H, W ≥ ${geometry.minSidePx})`;
  return { bytes: encodeModel(b.graph(), metadata, manifest.divblurVersion, doc, MMSE_GRAPH_OPSET), samples, seed, views, ...geometry };
}
