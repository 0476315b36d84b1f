import { writeImageFile } from '@divblur/imaging';
import { deconvolveMmse, initBackend, loadModel } from '@divblur/divblurring';
import type { BackendPreference } from '@divblur/divblurring';
import { readStack } from '../files.ts';

export interface DeconvolveArgs { model: string; in: string; out: string; std?: string; samples: number; seed: number; backend: string }

/** MMSE (mean of N posterior samples) of every image, and optionally the per-pixel std; the input's shape, data units. */
export async function deconvolveCommand(args: DeconvolveArgs): Promise<void> {
  await initBackend(args.backend as BackendPreference, (message, fields) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`));
  const model = await loadModel(args.model);
  const { stack, rank } = await readStack(args.in);
  const started = performance.now();
  const result = await deconvolveMmse(model, stack, { samples: args.samples, seed: args.seed });
  await writeImageFile(args.out, result.mmse, { rank });
  if (args.std) await writeImageFile(args.std, result.std, { rank });
  process.stdout.write(`wrote ${args.out}${args.std ? ` and ${args.std}` : ''}: ${stack.count} image(s), ${args.samples} samples, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
