/**
 * The model directory (the contract with the CLI and libs/onnx):
 *   model.json  { format: "divblur-model", formatVersion: 1, divblurVersion, config, normalisation, method,
 *                 noiseSigma, penalty, lambda, kappa, psf: {height, width, data} | null, training,
 *                 weights: [{ name, shape, offset }] }      (offset: float32 index into weights.bin)
 *   weights.bin all parameters, little-endian float32, concatenated in the order of "weights".
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { float32ToLittleEndian } from './checkpoint.ts';
import { ModelFormatError } from './errors.ts';
import { writeFileAtomic } from './imaging.ts';
import { checkModelConfig, parameterShapes, type ModelConfig } from './model.ts';
import type { TrainedModel } from './trained-model.ts';

export const DIVBLUR_VERSION = '0.1.0';

interface WeightEntry {
  name: string;
  shape: number[];
  offset: number;
}

export async function saveModel(dir: string, model: TrainedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const [name, shape] of parameterShapes(model.config)) {
    const t = model.params[name];
    if (!t || t.shape.join() !== shape.join()) throw new ModelFormatError(`parameter ${name} must have shape [${shape}], got [${t?.shape}]`);
    weights.push({ name, shape, offset });
    offset += t.size;
  }
  const bytes = new Uint8Array(4 * offset);
  const view = new DataView(bytes.buffer);
  for (const w of weights) float32ToLittleEndian(model.params[w.name].dataSync() as Float32Array, view, 4 * w.offset);
  const { params: _params, psf, ...rest } = model;
  const json = {
    format: 'divblur-model',
    formatVersion: 1,
    divblurVersion: DIVBLUR_VERSION,
    ...rest,
    psf: psf ? { height: psf.height, width: psf.width, data: Array.from(psf.data) } : null,
    weights,
  };
  await writeFileAtomic(join(dir, 'weights.bin'), bytes);
  await writeFileAtomic(join(dir, 'model.json'), Buffer.from(JSON.stringify(json, null, 1)));
}

export async function loadModel(dir: string): Promise<TrainedModel> {
  let json;
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  } catch (error) {
    throw new ModelFormatError(`cannot read ${join(dir, 'model.json')}: ${(error as Error).message}`);
  }
  if (json.format !== 'divblur-model' || json.formatVersion !== 1) {
    throw new ModelFormatError(`${dir} holds no divblur model of format version 1 (format ${json.format}, version ${json.formatVersion})`);
  }
  const config = checkModelConfig(json.config as ModelConfig);
  const bytes = await readFile(join(dir, 'weights.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = new Map((json.weights as WeightEntry[]).map((w) => [w.name, w]));
  const params: Record<string, tf.Tensor> = {};
  for (const [name, shape] of parameterShapes(config)) {
    const entry = entries.get(name);
    if (!entry || entry.shape.join() !== shape.join()) throw new ModelFormatError(`weight ${name} missing or not of shape [${shape}]`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (4 * (entry.offset + count) > bytes.byteLength) throw new ModelFormatError(`weights.bin is too short for ${name}`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * (entry.offset + i), true);
    params[name] = tf.tensor(data, shape);
  }
  const psf = json.psf ? { height: json.psf.height, width: json.psf.width, data: Float32Array.from(json.psf.data) } : null;
  return {
    config,
    normalisation: json.normalisation,
    params,
    method: json.method,
    noiseSigma: json.noiseSigma,
    penalty: json.penalty,
    lambda: json.lambda,
    kappa: json.kappa,
    psf,
    training: json.training ?? {},
  };
}
