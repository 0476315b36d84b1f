/**
 * Checkpoints: weights, Adam state, step, RNG state, schedules and hyper-parameters, so that
 * resuming continues the very same loss sequence. On disk: checkpoint.json (everything but the
 * arrays, which it lists by name, shape and float32 offset) + tensors.bin (little-endian float32).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from './errors.ts';
import { writeFileAtomic, type RandomState } from './imaging.ts';
import type { Normalisation } from './architecture.ts';
import { float32FromLittleEndian, float32ToLittleEndian } from './model-format.ts';
import type { Hyperparameters } from './options.ts';
import type { PlateauState } from './schedule.ts';

export interface StoredTensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface Checkpoint {
  readonly format: 'divblur-checkpoint';
  readonly formatVersion: 1;
  readonly hyperparameters: Hyperparameters;
  readonly normalisation: Normalisation;
  /** Identifies the training data: resuming on other data is refused. */
  readonly dataFingerprint: { count: number; height: number; width: number; sum: number };
  readonly step: number;
  readonly totalSteps: number;
  readonly random: RandomState;
  readonly adamUpdates: number;
  readonly plateau: PlateauState;
  readonly klWindow: number[];
  readonly params: Record<string, StoredTensor>;
  readonly adamM: Record<string, StoredTensor>;
  readonly adamV: Record<string, StoredTensor>;
}

const GROUPS = ['params', 'adamM', 'adamV'] as const;

interface TensorEntry {
  group: (typeof GROUPS)[number];
  name: string;
  shape: number[];
  offset: number;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const group of GROUPS) {
    for (const [name, t] of Object.entries(checkpoint[group])) {
      entries.push({ group, name, shape: t.shape, offset });
      offset += size(t.shape);
    }
  }
  const bytes = new Uint8Array(4 * offset);
  const view = new DataView(bytes.buffer);
  for (const e of entries) float32ToLittleEndian(checkpoint[e.group][e.name].data, view, 4 * e.offset);
  const { params: _p, adamM: _m, adamV: _v, ...rest } = checkpoint;
  await writeFileAtomic(join(dir, 'tensors.bin'), bytes);
  await writeFileAtomic(join(dir, 'checkpoint.json'), Buffer.from(JSON.stringify({ ...rest, tensors: entries }, null, 1)));
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
  if (meta.format !== 'divblur-checkpoint' || meta.formatVersion !== 1) {
    throw new ModelFormatError(`${dir} is not a divblur checkpoint of format version 1`);
  }
  const bytes = await readFile(join(dir, 'tensors.bin'));
  const groups: Record<string, Record<string, StoredTensor>> = { params: {}, adamM: {}, adamV: {} };
  for (const e of meta.tensors as TensorEntry[]) {
    const count = size(e.shape);
    if (4 * (e.offset + count) > bytes.byteLength) throw new ModelFormatError(`${dir}/tensors.bin is shorter than ${e.group}/${e.name} needs`);
    groups[e.group][e.name] = { shape: e.shape, data: float32FromLittleEndian(bytes, 4 * e.offset, count) };
  }
  const { tensors: _t, ...rest } = meta;
  return { ...rest, params: groups.params, adamM: groups.adamM, adamV: groups.adamV } as Checkpoint;
}
