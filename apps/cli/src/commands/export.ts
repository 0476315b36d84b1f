import { buildPackage } from '@divblur/onnx';

export interface ExportArgs {
  model: string;
  bioimageio: string;
  name?: string;
  author?: string[];
  samples?: number;
  seed?: number;
  /** Test-time averaging in the graph (commander's --no-dihedral sets false). */
  dihedral: boolean;
}

/**
 * The model folder as a bioimage.io 0.5 zip (libs/onnx package.ts): the MMSE and its std in one ONNX graph, for
 * Fiji (deepImageJ) and napari (bioimageio.core) without divblur. The same package the API serves for a run's model.
 */
export async function exportCommand(args: ExportArgs): Promise<void> {
  const started = performance.now();
  const zip = await buildPackage(args.model, {
    name: args.name ?? `divblur model ${args.model.split(/[\\/]/).filter(Boolean).pop() ?? ''}`,
    authors: args.author?.map((name) => ({ name })), samples: args.samples, seed: args.seed, dihedral: args.dihedral,
  }, args.bioimageio);
  process.stdout.write(`wrote ${args.bioimageio}: bioimage.io model package, ${(zip.byteLength / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
