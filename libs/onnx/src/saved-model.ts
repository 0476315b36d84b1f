/**
 * Reads a saved divblur model directory (model.json + weights.bin, format "divblur-model" v1, the contract that
 * `divblur train` writes) without TensorFlow.js: the exporter needs only the numbers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxModelError } from './errors.ts';

export const MODEL_FORMAT = 'divblur-model';
export const MODEL_FORMAT_VERSION = 1;

/** The network and normalisation types are the method's own (tfjs-free module, type-only import). */
import type { ModelConfig as NetworkConfig, Normalisation } from '@divblur/divblurring/architecture';
export type { NetworkConfig, Normalisation };

export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Index (in float32 elements) into weights.bin. */
  readonly offset: number;
}

export interface ModelManifest {
  readonly format: string;
  readonly formatVersion: number;
  readonly divblurVersion: string;
  readonly config: NetworkConfig;
  readonly normalisation: Normalisation;
  readonly method?: string;
  readonly noiseSigma?: number;
  readonly penalty?: string;
  readonly lambda?: number;
  readonly kappa?: number;
  readonly psf?: { height: number; width: number; data: number[] } | null;
  readonly training?: Record<string, unknown>;
  readonly runId?: string;
  readonly weights: readonly WeightEntry[];
}

/** One parameter in tfjs layout (conv [kh,kw,cin,cout], convTranspose [kh,kw,cout,cin], bias [cout]). */
export interface Parameter {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SavedModel {
  readonly manifest: ModelManifest;
  readonly params: ReadonlyMap<string, Parameter>;
}

export async function readSavedModel(dir: string): Promise<SavedModel> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, 'model.json'), 'utf8');
  } catch (cause) {
    throw new OnnxModelError('MODEL_NOT_FOUND', `no model.json in ${dir}: ${(cause as Error).message}`);
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(manifestText) as ModelManifest;
  } catch {
    throw new OnnxModelError('MODEL_NOT_JSON', `${join(dir, 'model.json')} is not JSON`);
  }
  checkManifest(manifest);
  const bytes = await readFile(join(dir, 'weights.bin'));
  return { manifest, params: sliceWeights(manifest, bytes) };
}

export function checkManifest(manifest: ModelManifest): void {
  if (manifest?.format !== MODEL_FORMAT) {
    throw new OnnxModelError('MODEL_FORMAT', `model.json has format ${JSON.stringify(manifest?.format)}, expected "${MODEL_FORMAT}"`);
  }
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new OnnxModelError('MODEL_VERSION',
      `model format version ${manifest.formatVersion} is not supported: this exporter reads version ${MODEL_FORMAT_VERSION}`);
  }
  const { config, normalisation } = manifest;
  if (!config || config.kernelSize !== 3 || !Array.isArray(config.filters) || config.filters.length !== config.depth) {
    throw new OnnxModelError('MODEL_CONFIG', `unsupported network config ${JSON.stringify(config)}: needs kernelSize 3 and one filter count per level`);
  }
  if (!(normalisation?.std > 0) || !Number.isFinite(normalisation.mean)) {
    throw new OnnxModelError('MODEL_NORMALISATION', `normalisation ${JSON.stringify(normalisation)} needs a finite mean and std > 0`);
  }
}

/** Little-endian float32 views of weights.bin, checked against the manifest's shapes. */
export function sliceWeights(manifest: ModelManifest, bytes: Uint8Array): Map<string, Parameter> {
  const total = Math.floor(bytes.byteLength / 4);
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(bytes.subarray(0, total * 4)); // copy: the file buffer may be unaligned
  const params = new Map<string, Parameter>();
  for (const { name, shape, offset } of manifest.weights) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > total) {
      throw new OnnxModelError('MODEL_WEIGHTS', `weight ${name} [${shape}] at offset ${offset} runs past weights.bin (${total} floats)`);
    }
    params.set(name, { shape, data: all.subarray(offset, offset + size) });
  }
  return params;
}
