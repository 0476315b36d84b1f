/**
 * A bioimage.io-style model package (a zip a microscopist can load elsewhere): rdf.yaml describing the
 * deterministic graph `(y, eps) → x`, the ONNX weights (sample, encoder, decoder), a test input, its noise and
 * the expected output as .npy (float32, C order, full NCHW shapes), and a cover PNG (input | output).
 */
import { readFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '@divblur/imaging';
import type { ExportedFiles } from './export.ts';
import type { ModelConfig } from '@divblur/divblurring/contract';
import { OnnxModelError } from './errors.ts';
import { fillNoise } from './noise.ts';
import { DEFAULT_SAMPLES } from '@divblur/divblurring/mmse-core';
import { encodeGreyPng, toGreyBytes } from './png.ts';
import { readOnnxMetadata } from './session.ts';

/** .npy v1.0 of a float32 array of any shape (little-endian, C order). */
export function encodeNpyArray(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLength + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLength, true);
  out.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + headerLength);
  return out;
}

export interface PackageOptions {
  readonly name: string;
  readonly description?: string;
  /** Side of the square test image (a multiple of 2^depth); default 64. */
  readonly testSizePx?: number;
  readonly seed?: number;
}

function rdfYaml(options: PackageOptions, metadata: Record<string, string>, size: number, config: ModelConfig): string {
  const cell = 2 ** config.depth;
  const latent = [1, config.latentChannels, size / cell, size / cell];
  const quoted = (s: string) => JSON.stringify(s);
  return [
    'format_version: 0.4.10', 'type: model', `name: ${quoted(options.name)}`,
    `description: ${quoted(options.description ?? 'DivBlurring VAE deconvolution: one posterior sample x = g(mu(y) + sigma(y) * eps); average many eps for the MMSE')}`,
    'authors:', '  - name: divblur', 'license: MIT', 'tags: [deconvolution, denoising, fluorescence-microscopy, vae, divblurring]',
    'documentation: README.md', 'covers: [cover.png]', 'test_inputs: [test_input.npy, test_eps.npy]', 'test_outputs: [test_output.npy]',
    'inputs:',
    '  - name: y', '    description: raw image in data units (normalised inside the graph)', '    axes: bcyx', '    data_type: float32',
    `    shape: {min: [1, 1, ${2 * cell}, ${2 * cell}], step: [0, 0, ${cell}, ${cell}]}`,
    '  - name: eps', `    description: standard-normal latent noise, [b, latent, y/${cell}, x/${cell}]`, '    axes: bcyx', '    data_type: float32',
    `    shape: {min: [1, ${latent[1]}, 2, 2], step: [0, 0, 1, 1]}`,
    'outputs:',
    '  - name: x', '    description: one posterior sample of the deconvolved image, data units', '    axes: bcyx', '    data_type: float32',
    '    shape: {reference_tensor: y, scale: [1, 1, 1, 1], offset: [0, 0, 0, 0]}',
    'weights:', '  onnx:', '    source: sample.onnx', '    opset_version: 17',
    'config:', '  divblur:',
    ...Object.entries(metadata).map(([k, v]) => `    ${k.replace(/^divblur\./, '')}: ${quoted(v)}`),
    '    extra_weights: [encoder.onnx, decoder.onnx]',
  ].join('\n') + '\n';
}

/** Builds the zip from an export directory; returns its bytes (and writes it atomically when `outPath` is given). */
export async function buildPackage(exported: ExportedFiles, options: PackageOptions, outPath?: string): Promise<Uint8Array> {
  const sampleBytes = await readFile(exported.files.sample);
  const metadata = readOnnxMetadata(sampleBytes, exported.files.sample);
  const config = JSON.parse(metadata['divblur.config']) as ModelConfig;
  const size = options.testSizePx ?? 64;
  const input = new Float32Array(size * size);
  const { mean, std } = JSON.parse(metadata['divblur.normalisation']) as { mean: number; std: number };
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) input[r * size + c] = mean + std * Math.sin(r / 5) * Math.cos(c / 7);
  const cell = 2 ** config.depth;
  if (size % cell !== 0) throw new OnnxModelError('PACKAGE_TEST_SIZE', `the package's test image side ${size} must be a multiple of 2^depth = ${cell}`);
  const latentSide = size / cell;
  const latentDims = [1, config.latentChannels, latentSide, latentSide];
  const eps = new Float32Array(latentDims.reduce((a, b) => a * b, 1));
  fillNoise(eps, { seed: options.seed ?? 0, channels: config.latentChannels, planeWidth: latentSide, top: 0, left: 0, height: latentSide, width: latentSide }, 0, 1);
  const session = await ort.InferenceSession.create(sampleBytes);
  const out = await session.run({ y: new ort.Tensor('float32', input, [1, 1, size, size]), eps: new ort.Tensor('float32', eps, latentDims) });
  const output = out.x.data as Float32Array;
  await session.release();
  const cover = new Uint8Array(size * 2 * size);
  const [inBytes, outBytes] = [toGreyBytes(input), toGreyBytes(output)];
  for (let r = 0; r < size; r++) {
    cover.set(inBytes.subarray(r * size, (r + 1) * size), r * 2 * size);
    cover.set(outBytes.subarray(r * size, (r + 1) * size), r * 2 * size + size);
  }
  const zip = zipSync({
    'rdf.yaml': new TextEncoder().encode(rdfYaml(options, metadata, size, config)),
    'README.md': new TextEncoder().encode(`# ${options.name}\n\nInputs y [1,1,H,W] (H, W multiples of ${cell}) and eps [1,${config.latentChannels},H/${cell},W/${cell}] ~ N(0,1); output x = one posterior sample.\nThe MMSE estimate is the mean of x over many eps (divblur uses ${DEFAULT_SAMPLES}). encoder.onnx (y → mu, logvar) and decoder.onnx (z → x) are included for that.\n`),
    'sample.onnx': sampleBytes,
    'encoder.onnx': await readFile(exported.files.encoder),
    'decoder.onnx': await readFile(exported.files.decoder),
    'test_input.npy': encodeNpyArray(input, [1, 1, size, size]),
    'test_eps.npy': encodeNpyArray(eps, latentDims),
    'test_output.npy': encodeNpyArray(output, [1, 1, size, size]),
    'cover.png': encodeGreyPng(cover, size, 2 * size),
  });
  if (outPath) await writeFileAtomic(outPath, zip);
  return zip;
}
