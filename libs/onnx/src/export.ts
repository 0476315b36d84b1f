/**
 * Export of a saved divblur model to ONNX, no Python: four graphs built from the trained weights, normalisation
 * and de-normalisation inside each (with the data's offset: a softplus output is positive above it), the noise
 * model and training provenance in metadata_props, dynamic batch and spatial dims.
 *   encoder.onnx  y → mu, logvar                  (y [N,1,H,W], H and W multiples of 4)
 *   decoder.onnx  z → x                           (z [N,L,H/4,W/4])
 *   sample.onnx   (y, eps) → x                    deterministic single graph for exchange: x = g(μ + σ·ε)
 *   sampler.onnx  (mu, logvar, eps) → x           serving path: one encoding, S samples per call, z formed in-graph
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder, encodeModel } from './onnx-builder.ts';
import { addDecoder, addEncoder, addReparameterisation } from './network-graph.ts';
import { readSavedModel } from './saved-model.ts';
import type { ModelManifest, SavedModel } from '@divblur/divblurring/contract';

/** Version of the ONNX files' contract (graph names, inputs, metadata keys); sessions refuse other versions. */
export const ONNX_FORMAT_VERSION = 1;
export const META_FORMAT = 'divblur.onnx_format';
export const META_FORMAT_VERSION = 'divblur.onnx_format_version';
export const META_ROLE = 'divblur.graph';

export type GraphRole = 'encoder' | 'decoder' | 'sample' | 'sampler';
export const GRAPH_ROLES: readonly GraphRole[] = ['encoder', 'decoder', 'sample', 'sampler'];

export interface ExportOptions {
  /** Provenance: the training run this model came from. */
  readonly runId?: string;
}

/** metadata_props: strings only (ONNX); numbers as JSON so that a consumer parses them back exactly. */
export function modelMetadata(manifest: ModelManifest, role: GraphRole, options: ExportOptions): Record<string, string> {
  const json = (value: unknown) => JSON.stringify(value ?? null);
  return {
    [META_FORMAT]: 'divblur-onnx',
    [META_FORMAT_VERSION]: String(ONNX_FORMAT_VERSION),
    [META_ROLE]: role,
    'divblur.version': manifest.divblurVersion,
    'divblur.run_id': options.runId ?? '',
    'divblur.method': manifest.method ?? '',
    'divblur.config': json(manifest.config),
    'divblur.normalisation': json(manifest.normalisation),
    'divblur.psf': json(manifest.psf),
    'divblur.noise_sigma': json(manifest.noiseSigma),
    // { kind: 'gaussian', sigma, offset } or { kind: 'poisson_gaussian', gain, readNoise, offset }: the outputs' units
    'divblur.noise_model': json(manifest.noiseModel),
    'divblur.penalty': manifest.penalty ?? 'none',
    'divblur.lambda': json(manifest.lambda),
    'divblur.kappa': json(manifest.kappa),
    'divblur.training': json(manifest.training),
  };
}

/** Builds one graph's ONNX bytes. */
export function buildGraph(model: SavedModel, role: GraphRole, options: ExportOptions = {}): Uint8Array {
  const { manifest, params } = model;
  const { config, normalisation } = manifest;
  const latent = config.latentChannels;
  const b = new GraphBuilder(`divblur_${role}`);
  const image = ['N', 1, 'H', 'W'];
  const code = ['N', latent, 'Hz', 'Wz'];
  if (role === 'encoder') {
    const y = b.input('y', image);
    addEncoder(b, params, config, normalisation, y, { mu: b.output('mu', code), logvar: b.output('logvar', code) });
  } else if (role === 'decoder') {
    addDecoder(b, params, config, normalisation, b.input('z', code), b.output('x', image));
  } else if (role === 'sample') {
    const y = b.input('y', image);
    const eps = b.input('eps', code);
    const mu = b.fresh('mu');
    const logvar = b.fresh('logvar');
    addEncoder(b, params, config, normalisation, y, { mu, logvar });
    addDecoder(b, params, config, normalisation, addReparameterisation(b, mu, logvar, eps), b.output('x', image));
  } else {
    const one = [1, latent, 'Hz', 'Wz'];
    const z = addReparameterisation(b, b.input('mu', one), b.input('logvar', one), b.input('eps', ['S', latent, 'Hz', 'Wz']));
    addDecoder(b, params, config, normalisation, z, b.output('x', ['S', 1, 'H', 'W']));
  }
  const doc = `divblur ${role} graph (NCHW float32; H, W multiples of ${2 ** config.depth})`;
  return encodeModel(b.graph(), modelMetadata(manifest, role, options), manifest.divblurVersion, doc);
}

export interface ExportedFiles {
  readonly dir: string;
  readonly files: Record<GraphRole, string>;
}

/** model dir → `<outDir>/{encoder,decoder,sample,sampler}.onnx`. */
export async function exportModel(modelDir: string, outDir: string, options: ExportOptions = {}): Promise<ExportedFiles> {
  const model = await readSavedModel(modelDir);
  await mkdir(outDir, { recursive: true });
  const files = {} as Record<GraphRole, string>;
  for (const role of GRAPH_ROLES) {
    files[role] = join(outDir, `${role}.onnx`);
    await writeFile(files[role], buildGraph(model, role, options));
  }
  return { dir: outDir, files };
}
