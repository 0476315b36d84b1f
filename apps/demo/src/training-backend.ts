/**
 * Which backend the demo's runs will train on, said before they start: a newcomer on the wasm fallback
 * waits about 7× longer per step (README, "The fast training path") and should learn at once how to get
 * the fast path. The choice is the trainer's own (libs/divblurring's `initBackend` with the trainer's
 * mapping of DIVBLUR_BACKEND), made here in the same environment the trainer child gets.
 */
import type { BackendName, Config } from '@divblur/config';
import { autoShards, DEFAULT_BATCH_SIZE, initBackend, type ConvPrecision } from '@divblur/divblurring';
import { backendPreferenceOf } from '@divblur/trainer';

/** The thread layout of a native training: data-parallel shards × threads each, and the convolutions' precision. */
export interface LayoutSummary {
  readonly shards: number;
  readonly convPrecision: ConvPrecision;
}

/** The line the demo prints for an engine name of `initBackend` ('native:onednn-2.6.3', 'wasm', 'tfjs-node-gpu'…). */
export function describeTrainingBackend(engine: string, requested: BackendName, layout?: LayoutSummary): string {
  if (engine.startsWith('native:')) {
    const threads = layout ? `: ${layout.shards} shard${layout.shards > 1 ? 's' : ''} × ${layout.shards > 1 ? '1 thread' : 'every core'}, ${layout.convPrecision} convolutions` : '';
    return `training backend: ${engine} (oneDNN kernels, the fast CPU path)${threads}\n`;
  }
  if (engine.startsWith('tfjs-node')) return `training backend: ${engine} (libtensorflow)\n`;
  const slow = `training backend: ${engine}, the fallback, about 7× slower per step than the native oneDNN path.\n`;
  if (requested !== 'auto') return `${slow}  It is the one DIVBLUR_BACKEND=${requested} asks for; unset DIVBLUR_BACKEND for the fast path.\n`;
  return `${slow}  For the fast path: scripts/setup.sh && npm ci (installs Debian's libdnnl-dev, then builds the kernels on it), `
    + 'then npm run demo again.\n';
}

export async function trainingBackendLine(config: Readonly<Config>): Promise<string> {
  const backend = await initBackend(backendPreferenceOf(config.backend), undefined, { convPrecision: config.convPrecision });
  // The trainer's own choice for the default batch (libs/divblurring train.ts), with DIVBLUR_TRAIN_SHARDS as it reads it.
  const shards = config.trainShards === 'auto' ? autoShards(DEFAULT_BATCH_SIZE, backend.engine) : config.trainShards;
  return describeTrainingBackend(backend.engine, config.backend, { shards, convPrecision: backend.convPrecision });
}
