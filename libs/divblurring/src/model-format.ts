/**
 * The file half of the model contract, without TensorFlow.js: a saved model is a directory of
 *   model.json   { format: "divblur-model", formatVersion: 1, divblurVersion, config, normalisation, method,
 *                  noiseSigma, noiseModel?, penalty, lambda, kappa, training, psf: {height, width, data} | null,
 *                  weights: [{ name, shape, offset }] }      (offset: float32 index into weights.bin)
 *                noiseModel (@divblur/imaging noise-model.ts) is written when it is not the report's Gaussian of σ
 *                noiseSigma and offset 0, which a file without it means (all files before it); normalisation.offset
 *                likewise only when non-zero.
 *   weights.bin  the parameters of parameterShapes(config), little-endian float32, concatenated in that order.
 * One writer and one reader: saveModel / loadModel (saved-model.ts) wrap them in tfjs tensors, libs/onnx's exporter
 * reads the numbers, the test fixtures write random models with them.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkModelConfig, parameterShapes, type ModelConfig, type Normalisation } from './architecture.ts';
import { DivblurError, ModelFormatError } from './errors.ts';
import { checkNoiseModel, gaussianNoise, isPlainGaussian, NoiseModelError, writeFileAtomic, type NoiseModel } from './imaging.ts';

export const MODEL_FORMAT = 'divblur-model';
export const MODEL_FORMAT_VERSION = 1;
/** The release recorded in model.json's divblurVersion. */
export const DIVBLUR_VERSION = '0.1.0';

/** One parameter in tfjs layout (conv [k,k,cin,cout], up-conv [2,2,cout,cin], bias [cout]). */
export interface Parameter {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Index (in float32 elements) into weights.bin. */
  readonly offset: number;
}

/** Everything model.json says about a model besides the format fields and the weight index. */
export interface ModelRecord {
  readonly config: ModelConfig;
  readonly normalisation: Normalisation;
  readonly method: 'divblurring' | 'divnoising';
  readonly noiseSigma: number;
  /** Absent: the Gaussian of σ noiseSigma, offset 0. */
  readonly noiseModel?: NoiseModel;
  readonly penalty: string;
  readonly lambda: number;
  readonly kappa: number;
  /** Free-form record of how it was trained (steps, seed, hyper-parameters, backend, seconds). */
  readonly training: Record<string, unknown>;
  /** The PSF it was trained with, row-major; null for DivNoising. */
  readonly psf: { readonly height: number; readonly width: number; readonly data: ArrayLike<number> } | null;
}

export interface ModelManifest extends Omit<ModelRecord, 'psf' | 'noiseModel'> {
  readonly format: typeof MODEL_FORMAT;
  /** Always set once checked (checkManifest fills the Gaussian of σ noiseSigma for files without one). */
  readonly noiseModel: NoiseModel;
  readonly formatVersion: typeof MODEL_FORMAT_VERSION;
  readonly divblurVersion: string;
  readonly psf: { readonly height: number; readonly width: number; readonly data: number[] } | null;
  readonly weights: readonly WeightEntry[];
}

export interface SavedModel {
  readonly manifest: ModelManifest;
  /** Exactly the parameters of parameterShapes(manifest.config), by contract name. */
  readonly params: ReadonlyMap<string, Parameter>;
}

const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32Array → little-endian bytes at `byteOffset` (the platform may be big-endian). */
export function float32ToLittleEndian(values: Float32Array, out: DataView, byteOffset: number): void {
  for (let i = 0; i < values.length; i++) out.setFloat32(byteOffset + 4 * i, values[i], true);
}

/** `count` little-endian float32 from `bytes` at `byteOffset`, as a new array (a file buffer may be unaligned). */
export function float32FromLittleEndian(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  const values = new Float32Array(count);
  if (LITTLE_ENDIAN_PLATFORM) {
    new Uint8Array(values.buffer).set(bytes.subarray(byteOffset, byteOffset + 4 * count));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(byteOffset + 4 * i, true);
  }
  return values;
}

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Parsed model.json → a manifest whose config and normalisation can build a network (typed errors otherwise). */
export function checkManifest(value: unknown, where = 'model.json'): ModelManifest {
  const json = value as Partial<ModelManifest> | null;
  if (json?.format !== MODEL_FORMAT) {
    throw new ModelFormatError(`${where} has format ${JSON.stringify(json?.format)}, expected "${MODEL_FORMAT}"`, 'MODEL_FORMAT');
  }
  if (json.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`${where}: model format version ${json.formatVersion} is not supported, only ${MODEL_FORMAT_VERSION}`, 'MODEL_VERSION');
  }
  try {
    checkModelConfig(json.config as ModelConfig);
  } catch (error) {
    if (!(error instanceof DivblurError) && !(error instanceof TypeError)) throw error;
    throw new ModelFormatError(`${where}: unsupported network config ${JSON.stringify(json.config)}: ${error.message}`, 'MODEL_CONFIG');
  }
  const norm = json.normalisation;
  if (!(norm !== undefined && norm.std > 0 && Number.isFinite(norm.std) && Number.isFinite(norm.mean))) {
    throw new ModelFormatError(`${where}: normalisation ${JSON.stringify(norm)} needs a finite mean and a finite std > 0`, 'MODEL_NORMALISATION');
  }
  if (norm.offset !== undefined && !Number.isFinite(norm.offset)) {
    throw new ModelFormatError(`${where}: normalisation offset ${JSON.stringify(norm.offset)} must be a finite number`, 'MODEL_NORMALISATION');
  }
  if (!Array.isArray(json.weights)) throw new ModelFormatError(`${where} lists no weights`, 'MODEL_WEIGHTS');
  // Files written before `training` was recorded read as an empty record, as loadModel always did; files
  // without a noise model were trained with the report's Gaussian of their σ.
  return { ...json, psf: json.psf ?? null, training: json.training ?? {}, noiseModel: checkedNoiseModel(json, where) } as ModelManifest;
}

function checkedNoiseModel(json: Partial<ModelManifest>, where: string): NoiseModel {
  if (json.noiseModel === undefined) {
    if (!(typeof json.noiseSigma === 'number' && json.noiseSigma > 0)) {
      throw new ModelFormatError(`${where}: noiseSigma ${JSON.stringify(json.noiseSigma)} must be a number > 0 when there is no noiseModel`, 'MODEL_NOISE');
    }
    return gaussianNoise(json.noiseSigma);
  }
  try {
    return checkNoiseModel(json.noiseModel);
  } catch (error) {
    if (!(error instanceof NoiseModelError) && !(error instanceof TypeError)) throw error;
    throw new ModelFormatError(`${where}: noise model ${JSON.stringify(json.noiseModel)}: ${error.message}`, 'MODEL_NOISE');
  }
}

/** The weight index and weights.bin bytes of `params` (every parameter of `config`, in the contract's order). */
export function encodeWeights(config: ModelConfig, params: ReadonlyMap<string, Parameter>): { weights: WeightEntry[]; bytes: Uint8Array } {
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const [name, shape] of parameterShapes(config)) {
    const param = params.get(name);
    if (!param || param.shape.join() !== shape.join() || param.data.length !== elements(shape)) {
      throw new ModelFormatError(`parameter ${name} must have shape [${shape}], got [${param?.shape}]`, 'MODEL_WEIGHTS');
    }
    weights.push({ name, shape, offset });
    offset += param.data.length;
  }
  const bytes = new Uint8Array(4 * offset);
  const view = new DataView(bytes.buffer);
  for (const w of weights) float32ToLittleEndian((params.get(w.name) as Parameter).data, view, 4 * w.offset);
  return { weights, bytes };
}

/** weights.bin → the contract's parameters, each checked against the manifest's index and the config's shapes. */
export function decodeWeights(manifest: ModelManifest, bytes: Uint8Array): Map<string, Parameter> {
  const entries = new Map(manifest.weights.map((w) => [w.name, w]));
  const params = new Map<string, Parameter>();
  for (const [name, shape] of parameterShapes(manifest.config)) {
    const entry = entries.get(name);
    if (!entry || !Array.isArray(entry.shape) || entry.shape.join() !== shape.join()) {
      throw new ModelFormatError(`weight ${name} is missing or not of shape [${shape}] (got [${entry?.shape}])`, 'MODEL_WEIGHTS');
    }
    const count = elements(shape);
    if (!Number.isInteger(entry.offset) || entry.offset < 0 || 4 * (entry.offset + count) > bytes.byteLength) {
      throw new ModelFormatError(`weight ${name} [${shape}] at offset ${entry.offset} runs past weights.bin (${Math.floor(bytes.byteLength / 4)} floats)`, 'MODEL_WEIGHTS');
    }
    params.set(name, { shape, data: float32FromLittleEndian(bytes, 4 * entry.offset, count) });
  }
  return params;
}

/** Writes `dir`/weights.bin then `dir`/model.json, each atomically; returns the manifest written. */
export async function writeSavedModel(dir: string, record: ModelRecord, params: ReadonlyMap<string, Parameter>): Promise<ModelManifest> {
  const { weights, bytes } = encodeWeights(record.config, params);
  const { psf } = record;
  // Field order is the file's: the bytes of a model saved before this module existed are reproduced exactly.
  const manifest: Omit<ModelManifest, 'noiseModel'> & { noiseModel?: NoiseModel } = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    divblurVersion: DIVBLUR_VERSION,
    config: record.config,
    normalisation: record.normalisation,
    method: record.method,
    noiseSigma: record.noiseSigma,
    ...(writesNoiseModel(record) ? { noiseModel: record.noiseModel } : {}),
    penalty: record.penalty,
    lambda: record.lambda,
    kappa: record.kappa,
    training: record.training,
    psf: psf ? { height: psf.height, width: psf.width, data: Array.from(psf.data) } : null,
    weights,
  };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'weights.bin'), bytes);
  await writeFileAtomic(join(dir, 'model.json'), Buffer.from(JSON.stringify(manifest, null, 1)));
  return { ...manifest, noiseModel: record.noiseModel ?? gaussianNoise(record.noiseSigma) };
}

/** Whether model.json must say its noise model: anything but the Gaussian of σ noiseSigma with offset 0. */
function writesNoiseModel(record: ModelRecord): record is ModelRecord & { noiseModel: NoiseModel } {
  const model = record.noiseModel;
  return model !== undefined && !(isPlainGaussian(model) && model.sigma === record.noiseSigma);
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    throw new ModelFormatError(`cannot read ${join(dir, name)}: ${(error as Error).message}`, 'MODEL_NOT_FOUND');
  }
}

/** Reads and checks a saved model directory. */
export async function readSavedModel(dir: string): Promise<SavedModel> {
  const path = join(dir, 'model.json');
  let json: unknown;
  try {
    json = JSON.parse((await readIn(dir, 'model.json')).toString('utf8'));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`${path} is not JSON: ${(error as Error).message}`, 'MODEL_NOT_JSON');
  }
  const manifest = checkManifest(json, path);
  return { manifest, params: decodeWeights(manifest, await readIn(dir, 'weights.bin')) };
}
