/**
 * Backend choice, first that loads: tfjs-node-gpu → tfjs-node → the native oneDNN kernels
 * on tfjs's cpu backend (./native-backend.ts, when present and built) → wasm (SIMD, one thread,
 * convolution gradients from conv.ts). 'cpu' (pure JS) is for tests only: it trains tiny networks.
 * The preference is passed in (libs/config reads DIVBLUR_BACKEND once); nothing here reads the environment.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendHasConvFilterGradient } from './conv.ts';
import { DivblurConfigError } from './errors.ts';

export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' | 'cpu' | 'wasm'. */
  readonly backend: string;
  /** What runs: 'tfjs-node-gpu' | 'tfjs-node' | 'native:<name>' | 'wasm' | 'cpu'. */
  readonly engine: string;
  /** Whether the convolution gradients come from conv.ts (no Conv2DBackpropFilter kernel). */
  readonly customConvGradients: boolean;
  /** 'bf16' where the native kernels run the wide convolutions in bf16 (native-backend.ts); 'f32' everywhere else. */
  readonly convPrecision: ConvPrecision;
}

/** f32; bf16 in every convolution pass; bf16 in the two backward passes only (the forward stays f32). */
export const CONV_PRECISIONS = ['f32', 'bf16', 'bf16-backward'] as const;
export type ConvPrecision = (typeof CONV_PRECISIONS)[number];

export interface BackendOptions {
  /** The native engine's convolution precision (ignored by the others); default 'auto' (native-backend.ts autoConvPrecision). */
  readonly convPrecision?: ConvPrecision | 'auto';
}

export type BackendLog = (message: string, fields: Record<string, unknown>) => void;

let active: BackendInfo | null = null;

async function importOptional(specifier: string): Promise<boolean> {
  try {
    await import(specifier); // a variable specifier: the packages are optional and absent here
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<string | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await importOptional(pkg)) && (await tf.setBackend('tensorflow'))) return pkg.replace('@tensorflow/', '');
  }
  return null;
}

async function tryNative(convPrecision: ConvPrecision | 'auto'): Promise<{ engine: string; convPrecision: ConvPrecision } | null> {
  const file = fileURLToPath(new URL('./native-backend.ts', import.meta.url));
  if (!existsSync(file)) return null;
  try {
    const module = (await import(file)) as typeof import('./native-backend.ts');
    if (!(await tf.setBackend('cpu'))) return null;
    const loaded = await module.tryLoadNativeBackend({ convPrecision });
    return loaded ? { engine: `native:${loaded.name}`, convPrecision: loaded.convPrecision } : null;
  } catch {
    return null;
  }
}

async function use(backend: string): Promise<boolean> {
  try {
    return await tf.setBackend(backend);
  } catch {
    return false;
  }
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js … install our node backend" on its
 * first tensor. Here that backend is divblur's own choice (its native kernels, or 'cpu' asked for), made after
 * tfjs-node was tried and logged by initBackend, so the advice only misleads. The first tensor is therefore written
 * under tfjs's PROD flag, which gates nothing but tfjs's console warnings (tfjs-core's log.ts), and the flag is put back:
 * later warnings still show. The scalar draws no random number and computes nothing.
 */
function withoutNodeBackendBanner(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    tf.env().set('PROD', prod);
  }
}

/** Selects and initialises the backend once per process; later calls with the same preference return it. */
export async function initBackend(preference: BackendPreference = 'auto', log?: BackendLog, options: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_PREFERENCES.includes(preference)) {
    throw new DivblurConfigError(`backend must be one of ${BACKEND_PREFERENCES.join('|')}, got ${preference}`);
  }
  const wanted = options.convPrecision ?? 'auto';
  if (wanted !== 'auto' && !CONV_PRECISIONS.includes(wanted)) {
    throw new DivblurConfigError(`convPrecision must be auto|${CONV_PRECISIONS.join('|')}, got ${options.convPrecision}`);
  }
  let engine: string | null = null;
  let convPrecision: ConvPrecision = 'f32';
  if (preference === 'auto' || preference === 'tensorflow') engine = await tryTensorflow();
  if (engine === null && (preference === 'auto' || preference === 'native')) {
    const native = await tryNative(wanted);
    if (native) ({ engine, convPrecision } = native);
  }
  if (engine === null && (preference === 'auto' || preference === 'wasm') && (await use('wasm'))) engine = 'wasm';
  if (engine === null && preference === 'cpu' && (await use('cpu'))) engine = 'cpu';
  if (engine === null) throw new DivblurConfigError(`backend '${preference}' is not available on this machine`);
  await tf.ready();
  if (tf.getBackend() === 'cpu') withoutNodeBackendBanner();
  active = { backend: tf.getBackend(), engine, customConvGradients: !backendHasConvFilterGradient(), convPrecision };
  log?.('tfjs backend selected', { ...active, preference });
  return active;
}

/** The backend chosen by initBackend, or null before it ran. */
export function activeBackend(): BackendInfo | null {
  return active;
}
