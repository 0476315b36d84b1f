/**
 * onnxruntime-node sessions for exported divblur graphs: checked on load (ONNX, divblur, format version),
 * intra-op threads = cores, full graph optimisation (Conv+Relu fusion, NCHWc layout), CUDA EP where its
 * provider library is installed, else CPU.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { decodeModel } from './onnx-builder.ts';
import { META_FORMAT, META_FORMAT_VERSION, META_ROLE, ONNX_FORMAT_VERSION } from './export.ts';
import type { GraphRole } from './export.ts';
import type { ModelConfig as NetworkConfig, Normalisation } from '@divblur/divblurring/contract';
import type { NoiseModel } from '@divblur/imaging';
import { OnnxModelError } from './errors.ts';

export interface SessionOptions {
  /** Threads inside one operator; default: the machine's cores. */
  readonly intraOpThreads?: number;
  /** 'cpu' forces the CPU EP even where CUDA exists. */
  readonly executionProvider?: 'auto' | 'cpu' | 'cuda';
  /**
   * Let the intra-op threads spin after a run (ORT's default) instead of sleeping. Off by default: every model has
   * two sessions, each with its own thread pool, and the encoder's threads spinning after its run took the cores
   * from the sampler's first batches (≈ 40 ms per encode at 128² on 2 cores; bench/results/mmse-dihedral.json).
   */
  readonly spinning?: boolean;
  /**
   * ONNX Runtime's memory pattern (default on): per input shape it plans and allocates one block for every
   * intermediate tensor of a run, on top of the arena. One 1100² tile of a 2048² page (48 samples, sampler calls
   * of 2, 1 thread) peaked at 2.0 GB with it and 1.4 GB without, in 80 s and 78 s, so batch pages run without it
   * (libs/batch BATCH_SESSION_OPTIONS); served images keep it.
   */
  readonly memoryPattern?: boolean;
}

export interface GraphSession {
  readonly session: ort.InferenceSession;
  readonly role: GraphRole;
  readonly metadata: Readonly<Record<string, string>>;
  readonly config: NetworkConfig;
  readonly normalisation: Normalisation;
  /** The noise model of the data the model was trained on (the outputs are in its units, offset kept). */
  readonly noiseModel: NoiseModel;
  readonly executionProvider: 'cpu' | 'cuda';
}

/** True when onnxruntime-node's CUDA provider library sits beside its binding (a GPU host's install). */
export function cudaAvailable(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const binDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** Reads the divblur metadata of ONNX bytes; typed errors for non-ONNX files and other format versions. */
export function readOnnxMetadata(bytes: Uint8Array, what: string): Record<string, string> {
  let props: { key?: string | null; value?: string | null }[];
  try {
    const model = decodeModel(bytes);
    if (!model.graph?.node?.length) throw new Error('no graph');
    props = model.metadataProps;
  } catch {
    throw new OnnxModelError('NOT_ONNX', `${what} is not an ONNX model file (${bytes.byteLength} bytes that do not parse as onnx.ModelProto with a graph)`);
  }
  const metadata = Object.fromEntries(props.map((p) => [p.key ?? '', p.value ?? '']));
  if (metadata[META_FORMAT] !== 'divblur-onnx') {
    throw new OnnxModelError('NOT_DIVBLUR', `${what} is ONNX but not exported by divblur (no ${META_FORMAT} metadata)`);
  }
  if (metadata[META_FORMAT_VERSION] !== String(ONNX_FORMAT_VERSION)) {
    throw new OnnxModelError('MODEL_VERSION',
      `${what} has divblur ONNX format version ${metadata[META_FORMAT_VERSION]}; this server reads version ${ONNX_FORMAT_VERSION}: re-export the model`);
  }
  return metadata;
}

export async function createGraphSession(source: string | Uint8Array, options: SessionOptions = {}): Promise<GraphSession> {
  const what = typeof source === 'string' ? source : 'the model bytes';
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source;
  } catch (cause) {
    throw new OnnxModelError('MODEL_NOT_FOUND', `cannot read ${what}: ${(cause as Error).message}`);
  }
  const metadata = readOnnxMetadata(bytes, what);
  const wantCuda = options.executionProvider === 'cuda' || (options.executionProvider !== 'cpu' && cudaAvailable());
  const executionProvider = wantCuda ? 'cuda' : 'cpu';
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: wantCuda ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: options.intraOpThreads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: options.memoryPattern ?? true,
    logSeverityLevel: 3,
    // onnxruntime_session_options_config_keys.h: session.intra_op.allow_spinning
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
  });
  return {
    session, metadata, executionProvider,
    role: metadata[META_ROLE] as GraphRole,
    config: JSON.parse(metadata['divblur.config']) as NetworkConfig,
    normalisation: JSON.parse(metadata['divblur.normalisation']) as Normalisation,
    // Graphs exported before the noise model was in the metadata: the report's Gaussian of their σ.
    noiseModel: (JSON.parse(metadata['divblur.noise_model'] ?? 'null') as NoiseModel | null)
      ?? { kind: 'gaussian', sigma: Number(JSON.parse(metadata['divblur.noise_sigma'] ?? 'null')), offset: 0 },
  };
}

/** What MMSE serving needs of one model: its encoder and its sampler graph. */
export interface ModelSessions {
  readonly modelId: string;
  readonly encoder: GraphSession;
  readonly sampler: GraphSession;
}

/** Loads `<dir>/encoder.onnx` and `<dir>/sampler.onnx` (as written by `exportModel`). */
export async function loadModelSessions(modelId: string, dir: string, options: SessionOptions = {}): Promise<ModelSessions> {
  const encoder = await createGraphSession(join(dir, 'encoder.onnx'), options);
  const sampler = await createGraphSession(join(dir, 'sampler.onnx'), options);
  if (encoder.role !== 'encoder' || sampler.role !== 'sampler') {
    throw new OnnxModelError('MODEL_ROLE', `${dir}: encoder.onnx is a ${encoder.role} graph, sampler.onnx a ${sampler.role} graph`);
  }
  return { modelId, encoder, sampler };
}

export async function releaseModelSessions(sessions: ModelSessions): Promise<void> {
  await sessions.encoder.session.release();
  await sessions.sampler.session.release();
}
