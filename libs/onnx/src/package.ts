/**
 * A bioimage.io model package (format 0.5, bioimageio-rdf.ts) a microscopist opens in Fiji (deepImageJ) or napari
 * (bioimageio.core) without divblur: rdf.yaml; the weights, mmse.onnx (raw → mmse, std: the served MMSE in one
 * graph, mmse-graph.ts); the test tensors as .npy (float32, C order, NCHW) with their outputs computed by that graph in
 * ONNX Runtime; sample images as float32 TIFF; a cover PNG (input | MMSE); README.md; and, for exact reproduction of
 * one posterior sample, sample.onnx ((y, ε) → x) with its own test ε and output. Every file's sha256 is in rdf.yaml.
 */
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { Document } from 'yaml';
import { encodeNpy, encodeTiff, writeFileAtomic } from '@divblur/imaging';
import type { SavedModel } from '@divblur/divblurring/contract';
import { DEFAULT_SEED } from '@divblur/divblurring/mmse-core';
import { buildGraph } from './export.ts';
import { readSavedModel } from './saved-model.ts';
import { buildMmseGraph, type MmseGraph } from './mmse-graph.ts';
import { bioimageioName, bioimageioRdf, describeNoise, type BioimageioAuthor, type PackagedFile } from './bioimageio-rdf.ts';
import { OnnxModelError } from './errors.ts';
import { fillNoise } from './noise.ts';
import { encodeGreyPng, toGreyBytes } from './png.ts';

export interface PackageOptions {
  readonly name: string;
  readonly description?: string;
  readonly authors?: readonly BioimageioAuthor[];
  /** SPDX identifier (default MIT, divblur's). */
  readonly license?: string;
  /** Provenance: the training run (also in the graphs' metadata). */
  readonly runId?: string;
  /** Side of the square test image (default the graph's smallest side, at least 64, on the 2^depth grid). */
  readonly testSizePx?: number;
  /** Posterior samples of the MMSE graph (default the MMSE core's) and its noise seed. */
  readonly samples?: number;
  readonly seed?: number;
  /** Test-time averaging in the graph, as `mmse()`'s option (default: what the service serves). */
  readonly dihedral?: boolean;
  /** rdf.yaml's timestamp and the zip entries' time (default now). */
  readonly timestamp?: Date;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A square test image in the model's units: its training mean ± one std, a smooth product of sines. */
function testImage(model: SavedModel, size: number): Float32Array {
  const { mean, std } = model.manifest.normalisation;
  const image = new Float32Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) image[r * size + c] = mean + std * Math.sin(r / 5) * Math.cos(c / 7);
  return image;
}

function packageReadme(model: SavedModel, graph: MmseGraph, name: string, options: PackageOptions): string {
  const { manifest } = model;
  const cell = 2 ** manifest.config.depth;
  return `# ${name}

A DivBlurring model exported by divblur ${manifest.divblurVersion}${options.runId ? ` (run ${options.runId})` : ''}: an unsupervised VAE trained
on noisy, blurred images alone, with the point-spread function in its likelihood. \`mmse.onnx\` computes the whole estimate:

| tensor | axes | what |
| --- | --- | --- |
| \`raw\` (input) | batch, channel (1), y, x; y, x ≥ ${graph.minSidePx} px, any size | the image in the training data's units, no preprocessing |
| \`mmse\` (output) | as \`raw\` | mean of ${graph.samples} posterior samples: the MMSE deconvolution |
| \`std\` (output) | as \`raw\` | per-pixel std of those samples: the uncertainty map |

Inside the graph: reflect padding by the PSF radius (${graph.contextMarginPx} px), ${graph.views.length} view(s) of the image (turns and mirrors the PSF is
symmetric under; the samples are split over them), one encoding per view, and an ONNX Loop over the samples whose
latent noise is drawn in the graph from a fixed seed (${graph.seed}): the same input gives the same output. Memory does not grow
with the number of samples. Tiled processing: crop ${graph.haloPx} px (the halo: receptive field plus PSF radius) from each side.

## Training data

Noise: ${describeNoise(manifest.noiseModel)} (data units). PSF: ${manifest.psf ? `${manifest.psf.height}×${manifest.psf.width} px (\`psf.npy\`)` : 'none (DivNoising)'}.
Penalty: ${manifest.penalty} (λ = ${manifest.lambda}, κ = ${manifest.kappa}). Everything divblur recorded is under \`config.divblur\` in rdf.yaml.

## Validation

\`test_input.npy\` through \`mmse.onnx\` in ONNX Runtime gives \`test_output_mmse.npy\` and \`test_output_std.npy\` within a
relative 1e-4 of their peak (\`config.bioimageio.reproducibility_tolerance\`). divblur tests that this graph's estimate
agrees with its service's MMSE of the same image within Monte-Carlo error at the same number of samples.
One posterior sample is reproducible exactly: \`sample.onnx\` with inputs \`y\` = \`test_input.npy\` and \`eps\` =
\`test_sample_eps.npy\` (shape [1, ${manifest.config.latentChannels}, H/${cell}, W/${cell}]) gives \`test_sample_output.npy\`.

## Using it (not tested by divblur)

- Fiji: with deepImageJ installed, Plugins › DeepImageJ › DeepImageJ Install Model from this zip, then DeepImageJ Run on an
  image of at least ${graph.minSidePx}×${graph.minSidePx} px in the training data's units.
- napari or Python: \`pip install "bioimageio.core[onnx]"\` (onnxruntime ≥ 1.14 reads opset 18), \`bioimageio test <this zip>\`,
  then \`bioimageio.core.predict(model="<this zip>", inputs=image)\` or a bioimage.io plugin of napari.
`;
}

/**
 * Builds the package of the saved model in `modelDir`; returns the zip's bytes (and writes it atomically when
 * `outPath` is given).
 */
export async function buildPackage(modelDir: string, options: PackageOptions, outPath?: string): Promise<Uint8Array> {
  const model = await readSavedModel(modelDir);
  const { config } = model.manifest;
  const cell = 2 ** config.depth;
  const graph = buildMmseGraph(model, { samples: options.samples, seed: options.seed, dihedral: options.dihedral, runId: options.runId });
  const size = options.testSizePx ?? cell * Math.ceil(Math.max(64, graph.minSidePx) / cell);
  if (!Number.isInteger(size) || size % cell !== 0 || size < graph.minSidePx) {
    throw new OnnxModelError('PACKAGE_TEST_SIZE', `the package's test image side must be a multiple of 2^depth = ${cell} and at least the graph's smallest side ${graph.minSidePx}, got ${size}`);
  }
  const input = testImage(model, size);
  const imageDims = [1, 1, size, size];
  const session = await ort.InferenceSession.create(graph.bytes);
  const estimate = await session.run({ raw: new ort.Tensor('float32', input, imageDims) });
  await session.release();
  const [mmse, std] = [estimate.mmse.data as Float32Array, estimate.std.data as Float32Array];

  const sampleBytes = buildGraph(model, 'sample', { runId: options.runId });
  const latentSide = size / cell;
  const eps = new Float32Array(config.latentChannels * latentSide * latentSide);
  fillNoise(eps, { seed: options.seed ?? DEFAULT_SEED, channels: config.latentChannels, planeWidth: latentSide, top: 0, left: 0, height: latentSide, width: latentSide }, 0, 1);
  const sampleSession = await ort.InferenceSession.create(sampleBytes);
  const sample = (await sampleSession.run({
    y: new ort.Tensor('float32', input, imageDims), eps: new ort.Tensor('float32', eps, [1, config.latentChannels, latentSide, latentSide]),
  })).x.data as Float32Array;
  await sampleSession.release();

  const plane = (data: Float32Array) => ({ data, count: 1, height: size, width: size });
  const cover = new Uint8Array(size * 2 * size);
  const [inBytes, outBytes] = [toGreyBytes(input), toGreyBytes(mmse)];
  for (let r = 0; r < size; r++) {
    cover.set(inBytes.subarray(r * size, (r + 1) * size), r * 2 * size);
    cover.set(outBytes.subarray(r * size, (r + 1) * size), r * 2 * size + size);
  }
  const { psf } = model.manifest;
  const files: Record<string, Uint8Array> = {
    'mmse.onnx': graph.bytes,
    'sample.onnx': sampleBytes,
    'test_input.npy': encodeNpy(plane(input), { shape: imageDims }),
    'test_output_mmse.npy': encodeNpy(plane(mmse), { shape: imageDims }),
    'test_output_std.npy': encodeNpy(plane(std), { shape: imageDims }),
    'sample_input.tif': encodeTiff(plane(input), { rank: 2 }),
    'sample_mmse.tif': encodeTiff(plane(mmse), { rank: 2 }),
    'sample_std.tif': encodeTiff(plane(std), { rank: 2 }),
    'test_sample_eps.npy': encodeNpy({ data: eps, count: config.latentChannels, height: latentSide, width: latentSide }, { shape: [1, config.latentChannels, latentSide, latentSide] }),
    'test_sample_output.npy': encodeNpy(plane(sample), { shape: imageDims }),
    'cover.png': encodeGreyPng(cover, size, 2 * size),
    ...(psf ? { 'psf.npy': encodeNpy({ data: Float32Array.from(psf.data), count: 1, height: psf.height, width: psf.width }, { rank: 2 }) } : {}),
  };
  const name = bioimageioName(options.name);
  files['README.md'] = new TextEncoder().encode(packageReadme(model, graph, name, options));
  const file = (source: string): PackagedFile => ({ source, sha256: sha256(files[source]) });
  const peak = (data: Float32Array) => data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const timestamp = options.timestamp ?? new Date();
  const rdf = bioimageioRdf({
    manifest: model.manifest, graph, name,
    description: options.description ?? `DivBlurring deconvolution (unsupervised VAE, PSF in the likelihood): the MMSE of ${graph.samples} posterior samples and its per-pixel std in one ONNX graph.`,
    authors: options.authors ?? [{ name: 'divblur' }], license: options.license ?? 'MIT', runId: options.runId,
    // ISO 8601 as Python's datetime.fromisoformat reads it (no 'Z' before Python 3.11).
    timestamp: timestamp.toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    files: {
      weights: file('mmse.onnx'), sampleGraph: file('sample.onnx'), documentation: 'README.md', cover: 'cover.png',
      testInput: file('test_input.npy'), testMmse: file('test_output_mmse.npy'), testStd: file('test_output_std.npy'),
      sampleInput: file('sample_input.tif'), sampleMmse: file('sample_mmse.tif'), sampleStd: file('sample_std.tif'),
      sampleEps: file('test_sample_eps.npy'), sampleOutput: file('test_sample_output.npy'), psf: psf ? file('psf.npy') : null,
    },
    peaks: { mmse: peak(mmse), std: peak(std) },
  });
  const yaml = new Document(rdf, { aliasDuplicateObjects: false });
  yaml.directives!.yaml.explicit = true; // %YAML 1.2: the format is YAML 1.2 (bioimage.io reads it with ruyaml)
  const zip = zipSync({ 'rdf.yaml': new TextEncoder().encode(yaml.toString({ lineWidth: 0 })), ...files }, { mtime: timestamp });
  if (outPath) await writeFileAtomic(outPath, zip);
  return zip;
}
