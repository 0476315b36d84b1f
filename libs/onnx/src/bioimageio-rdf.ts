/**
 * rdf.yaml of a divblur model package in the bioimage.io model description format 0.5 (bioimageio.spec 0.5.7.2,
 * model format 0.5.7: github.com/bioimage-io/spec-bioimage-io, src/bioimageio/spec/model/v0_5.py). The weights are
 * the MMSE graph (mmse-graph.ts: raw → mmse, std); the (y, ε) → x graph rides along as an attachment. Pure: files
 * and their sha256 come in, the description goes out; package.ts writes the zip.
 */
import type { ModelManifest } from '@divblur/divblurring/contract';
import type { NoiseModel } from '@divblur/imaging';
import type { MmseGraph } from './mmse-graph.ts';
import { MMSE_GRAPH_OPSET } from './mmse-graph.ts';
import { ONNX_FORMAT_VERSION } from './export.ts';

export const BIOIMAGEIO_FORMAT_VERSION = '0.5.7';
/** The version of bioimage.io's dataset description (generic 0.3) the inline training data uses. */
export const BIOIMAGEIO_DATASET_FORMAT_VERSION = '0.3.0';

export interface BioimageioAuthor {
  readonly name: string;
  readonly affiliation?: string;
  readonly orcid?: string;
  readonly github_user?: string;
}

/** The two works a user of the model cites (cite entries need a DOI or a URL). */
export const CITATIONS = [
  {
    text: 'Prakash M, Krull A, Jug F. Fully Unsupervised Diversity Denoising with Convolutional Variational Autoencoders (DivNoising). ICLR 2021.',
    doi: '10.48550/arXiv.2006.06072',
  },
  {
    text: 'Muttavarapu S. DivBlurring: deblurring and denoising fluorescence microscopy images with a variational autoencoder (report and code).',
    url: 'https://github.com/saimuttavarapu/DivBlurring',
  },
] as const;

/** A file of the package: its name in the zip and its sha256 (hex). */
export interface PackagedFile {
  readonly source: string;
  readonly sha256: string;
}

export interface RdfInputs {
  readonly manifest: ModelManifest;
  readonly graph: MmseGraph;
  readonly name: string;
  readonly description: string;
  readonly authors: readonly BioimageioAuthor[];
  readonly license: string;
  readonly runId?: string;
  readonly timestamp: string;
  readonly files: {
    readonly weights: PackagedFile; readonly sampleGraph: PackagedFile; readonly documentation: string; readonly cover: string;
    readonly testInput: PackagedFile; readonly testMmse: PackagedFile; readonly testStd: PackagedFile;
    readonly sampleInput: PackagedFile; readonly sampleMmse: PackagedFile; readonly sampleStd: PackagedFile;
    readonly sampleEps: PackagedFile; readonly sampleOutput: PackagedFile; readonly psf: PackagedFile | null;
  };
  /** Largest |value| of each test output: the reproducibility tolerance is stated relative to it. */
  readonly peaks: { readonly mmse: number; readonly std: number };
}

/** A bioimage.io name: letters, digits, `_+- ()`, 5 to 128 characters (other characters become '-'). */
export function bioimageioName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_+\- ()]/g, '-').slice(0, 128).trim();
  return cleaned.length >= 5 ? cleaned : `${cleaned} model`.trim().padEnd(5, '-');
}

/** The contract's noise model in words, data units (the model's inputs and outputs are in them too). */
export function describeNoise(noise: NoiseModel): string {
  const offset = noise.offset === 0 ? '' : `, offset o = ${noise.offset}`;
  return noise.kind === 'gaussian'
    ? `additive Gaussian, sigma = ${noise.sigma}${offset}`
    : `Poisson-Gaussian y = a*Poisson(s/a) + N(0, r^2) + o with gain a = ${noise.gain} ADU per electron, read noise r = ${noise.readNoise} ADU${offset}`;
}

function psfWords(manifest: ModelManifest): string {
  const { psf } = manifest;
  return psf ? `${psf.height}x${psf.width} px, normalised to sum 1 (psf.npy)` : 'none (DivNoising: denoising only)';
}

function spaceAxes(graph: MmseGraph, output: boolean): object[] {
  return (['y', 'x'] as const).map((id) => output
    ? { type: 'space', id, halo: graph.haloPx, size: { tensor_id: 'raw', axis_id: id } }
    : { type: 'space', id, size: { min: graph.minSidePx, step: 1 } });
}

function output(id: 'mmse' | 'std', description: string, graph: MmseGraph, test: PackagedFile, sample: PackagedFile): object {
  return {
    id, description,
    axes: [{ type: 'batch' }, { type: 'channel', channel_names: [id] }, ...spaceAxes(graph, true)],
    data: { type: 'float32' },
    test_tensor: test, sample_tensor: sample,
  };
}

/** The description, as a plain object in the order rdf.yaml lists it. */
export function bioimageioRdf(inputs: RdfInputs): Record<string, unknown> {
  const { manifest, graph, files } = inputs;
  const { config, normalisation, training } = manifest;
  const noise = describeNoise(manifest.noiseModel);
  const parameters = manifest.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const tags = ['fluorescence-light-microscopy', '2d', 'image-restoration', 'denoising', 'deconvolution', 'vae', 'uncertainty', 'onnx',
    manifest.method];
  return {
    type: 'model',
    format_version: BIOIMAGEIO_FORMAT_VERSION,
    name: inputs.name,
    description: inputs.description,
    authors: inputs.authors,
    cite: CITATIONS,
    license: inputs.license,
    tags,
    covers: [files.cover],
    documentation: files.documentation,
    timestamp: inputs.timestamp,
    inputs: [{
      id: 'raw',
      description: 'raw image in the training data\'s units (no preprocessing: the graph normalises)',
      axes: [{ type: 'batch' }, { type: 'channel', channel_names: ['intensity'] }, ...spaceAxes(graph, false)],
      data: { type: 'float32' },
      test_tensor: files.testInput, sample_tensor: files.sampleInput,
    }],
    outputs: [
      output('mmse', `MMSE deconvolution: mean of ${graph.samples} posterior samples, data units`, graph, files.testMmse, files.sampleMmse),
      output('std', 'per-pixel std of the posterior samples (uncertainty), data units', graph, files.testStd, files.sampleStd),
    ],
    weights: {
      onnx: {
        ...files.weights, opset_version: MMSE_GRAPH_OPSET,
        comment: `divblur ${manifest.divblurVersion} MMSE graph: ${graph.samples} samples in an ONNX Loop, noise drawn in the graph (seed ${graph.seed})`,
      },
    },
    attachments: [files.sampleGraph, files.sampleEps, files.sampleOutput, ...(files.psf ? [files.psf] : [])],
    training_data: {
      type: 'dataset',
      format_version: BIOIMAGEIO_DATASET_FORMAT_VERSION,
      name: bioimageioName(`divblur training data${inputs.runId ? ` run ${inputs.runId}` : ''}`),
      description: `Noisy, blurred 2-D fluorescence images, no ground truth. Noise: ${noise} (data units). PSF: ${psfWords(manifest)}. ` +
        `Normalised inside the graphs by mean ${normalisation.mean}, std ${normalisation.std}.`,
      authors: inputs.authors, license: inputs.license, tags: ['fluorescence-light-microscopy', '2d'],
    },
    config: {
      bioimageio: {
        reproducibility_tolerance: (['mmse', 'std'] as const).map((id) => ({
          output_ids: [id], relative_tolerance: 1e-4, absolute_tolerance: Number((1e-4 * inputs.peaks[id]).toPrecision(2)), mismatched_elements_per_million: 0,
        })),
        architecture_type: 'VAE',
        architecture_description: `fully convolutional VAE, depth ${config.depth}, filters [${config.filters.join(', ')}], ${config.latentChannels} latent channels, ${config.kernelSize}x${config.kernelSize} convolutions, ${config.output} output`,
        modality: 'fluorescence microscopy',
        task: manifest.method === 'divnoising' ? 'denoising' : 'deconvolution and denoising',
        model_parameter_count: parameters,
      },
      divblur: {
        version: manifest.divblurVersion,
        onnx_format_version: ONNX_FORMAT_VERSION,
        run_id: inputs.runId ?? null,
        method: manifest.method,
        network: config,
        normalisation,
        noise_model: manifest.noiseModel,
        noise_sigma: manifest.noiseSigma,
        psf: manifest.psf && { height: manifest.psf.height, width: manifest.psf.width, source: files.psf?.source },
        penalty: { name: manifest.penalty, lambda: manifest.lambda, kappa: manifest.kappa },
        training,
        mmse: {
          samples: graph.samples, seed: graph.seed, views: graph.views, context_margin_px: graph.contextMarginPx, halo_px: graph.haloPx,
          noise: 'counter-based in the graph: murmur3 fmix32 of (seed, sample, channel, position), Box-Muller',
        },
        sample_graph: {
          source: files.sampleGraph.source, inputs: { y: '[N, 1, H, W], H and W multiples of ' + 2 ** config.depth, eps: `[N, ${config.latentChannels}, H/${2 ** config.depth}, W/${2 ** config.depth}] ~ N(0, 1)` },
          outputs: { x: 'one posterior sample x = g(mu(y) + sigma(y) * eps)' }, test_inputs: [files.testInput.source, files.sampleEps.source], test_output: files.sampleOutput.source,
        },
      },
    },
  };
}
