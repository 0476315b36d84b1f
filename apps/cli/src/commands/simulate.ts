import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simulate, writeTiff, SIMULATION_PRESETS, ParameterError } from '@divblur/imaging';
import type { SimulationPreset } from '@divblur/imaging';

export interface SimulateArgs { out: string; preset: string; count: number; size: number; seed: number; sigma?: number }

export function checkPreset(preset: string): SimulationPreset {
  if (!(preset in SIMULATION_PRESETS)) {
    throw new ParameterError('UNKNOWN_PRESET', `unknown preset '${preset}': use one of ${Object.keys(SIMULATION_PRESETS).join(', ')}`);
  }
  return preset as SimulationPreset;
}

/** Writes noisy.tif, gt.tif, psf.tif and meta.json (σ, FWHM, pixel size, seed) into `out`. */
export async function simulateCommand(args: SimulateArgs): Promise<void> {
  const preset = checkPreset(args.preset);
  const sim = simulate({ preset, count: args.count, size: args.size, seed: args.seed, noiseSigma: args.sigma });
  await mkdir(args.out, { recursive: true });
  await writeTiff(join(args.out, 'noisy.tif'), sim.noisy);
  await writeTiff(join(args.out, 'gt.tif'), sim.groundTruth);
  await writeTiff(join(args.out, 'psf.tif'), { ...sim.psf, count: 1 });
  const meta = {
    preset, count: args.count, size: args.size, seed: args.seed,
    noiseSigma: sim.noiseSigma, fwhmPx: sim.fwhmPx, pixelSizeNm: sim.pixelSizeNm,
  };
  await writeFile(join(args.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stdout.write(`wrote ${args.count} images of ${args.size}² (${preset}, σ ${sim.noiseSigma}, FWHM ${sim.fwhmPx} px) to ${args.out}\n`);
}
