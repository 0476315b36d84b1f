import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackImage, writableDtype, writeImageFile, type NoiseModel, type OutputDtype, type Stack } from '@divblur/imaging';
import { exportModel, loadModelSessions, mmse, releaseModelSessions } from '@divblur/onnx';
import { readStack } from '../files.ts';
import { createProgress } from '@divblur/terminal';
import type { BatchOptions } from '@divblur/batch/options';
import { deconvolveFolder } from './deconvolve-folder.ts';

export interface DeconvolveArgs {
  model: string; in: string; out: string; std?: string; samples: number; seed: number;
  /** Test-time averaging over the PSF's symmetries (commander's --no-dihedral sets false). */
  dihedral: boolean;
  /** Memory bound of the ONNX path in MiB (it tiles images that do not fit). */
  memoryMb: number;
  /** Sample type of the estimate: float32, the input's ('input'), uint16 or uint8. */
  dtype: 'float32' | 'input' | OutputDtype;
  /** Folder mode: the batch's tolerance (a number in data units, "default" or "none"). */
  tolerance: BatchOptions['tolerance'];
  /** Folder mode: also write each stack's std (<name>.std.tif). */
  withStd: boolean;
}

/**
 * The ONNX Runtime path, the one the inference service serves with: the model exported to a temporary folder,
 * each image tiled to the memory budget (tile cores equal the whole-image result, libs/onnx/src/tiled.ts).
 * bench/results/inference.json: 3.8–4.3× faster per sample than the tfjs path, 1.8 GB peak at 2048² (tfjs: 7.9 GB);
 * the tfjs path is a parity tool for tests and benchmarks since the MMSE core (issue 13), no longer an engine here.
 */
async function mmseWithOnnx(args: DeconvolveArgs, stack: Stack): Promise<{ mmse: Stack; std: Stack; noiseModel: NoiseModel }> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-onnx-'));
  const progress = createProgress('deconvolve', stack.count * args.samples, 'image {image}/{images}');
  try {
    const exported = await exportModel(args.model, dir);
    const sessions = await loadModelSessions(args.model, exported.dir);
    try {
      const pixels = stack.height * stack.width;
      const out = { mmse: new Float32Array(stack.count * pixels), std: new Float32Array(stack.count * pixels) };
      for (let n = 0; n < stack.count; n++) {
        const result = await mmse(sessions, stackImage(stack, n), {
          samples: args.samples, seed: args.seed, memoryBudgetBytes: args.memoryMb * 2 ** 20, dihedral: args.dihedral,
          onProgress: (done) => progress.update(n * args.samples + done, { image: n + 1, images: stack.count }),
        });
        out.mmse.set(result.mmse, n * pixels);
        out.std.set(result.std, n * pixels);
      }
      const shape = { count: stack.count, height: stack.height, width: stack.width };
      return { mmse: { data: out.mmse, ...shape }, std: { data: out.std, ...shape }, noiseModel: sessions.sampler.noiseModel };
    } finally {
      await releaseModelSessions(sessions);
    }
  } finally {
    progress.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * MMSE (mean of N posterior samples) of every image, and optionally the per-pixel std; the input's shape and units
 * (a camera model's estimate keeps the offset, as the decoder outputs it), float32 unless --dtype says otherwise.
 */
export async function deconvolveCommand(args: DeconvolveArgs): Promise<void> {
  if ((await stat(args.in)).isDirectory()) {
    const started = performance.now();
    const options: BatchOptions = {
      samples: args.samples, seed: args.seed, dihedral: args.dihedral, memoryBudgetBytes: args.memoryMb * 2 ** 20, tolerance: args.tolerance, std: args.withStd,
    };
    const done = await deconvolveFolder({ model: args.model, in: args.in, out: args.out, options, dtype: args.dtype });
    process.stdout.write(`wrote ${args.out}: ${done.pages} page(s) (${done.skipped} results already there, kept), ${done.failedInputs} file(s) failed (manifest.csv says why), ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return;
  }
  const { stack, rank, sourceDtype } = await readStack(args.in);
  const dtype = args.dtype === 'input' ? writableDtype(sourceDtype) : args.dtype;
  const started = performance.now();
  const result = await mmseWithOnnx(args, stack);
  await writeImageFile(args.out, result.mmse, { rank, dtype });
  if (args.std) await writeImageFile(args.std, result.std, { rank });
  const units = result.noiseModel.offset === 0 ? '' : `, ${dtype} in the input's units (offset ${result.noiseModel.offset.toPrecision(5)} kept)`;
  process.stdout.write(`wrote ${args.out}${args.std ? ` and ${args.std}` : ''}: ${stack.count} image(s), ${args.samples} samples${args.dihedral ? ' (averaged over the PSF\'s symmetries)' : ''}${units}, onnx, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
