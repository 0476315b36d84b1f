import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simulate, simulateCamera, writeTiff, SIMULATION_PRESETS, ParameterError } from '@divblur/imaging';
import type { SimulationPreset } from '@divblur/imaging';

export interface SimulateArgs { out: string; preset: string; count: number; size: number; seed: number; sigma?: number }

export function checkPreset(preset: string): SimulationPreset | 'camera' {
  if (!(preset in SIMULATION_PRESETS) && preset !== 'camera') {
    throw new ParameterError('UNKNOWN_PRESET', `unknown preset '${preset}': use one of ${[...Object.keys(SIMULATION_PRESETS), 'camera'].join(', ')}`);
  }
  return preset as SimulationPreset | 'camera';
}

/** The camera preset: noisy.tif as uint16 ADU, gt.tif the signal above the offset (float32), meta.json the true noise model. */
async function simulateCameraFiles(args: SimulateArgs): Promise<void> {
  if (args.sigma !== undefined) throw new ParameterError('SIMULATION_SIGMA', 'the camera preset has no --sigma: its noise is Poisson–Gaussian (gain, read noise, offset)');
  const sim = simulateCamera({ count: args.count, size: args.size, seed: args.seed });
  await mkdir(args.out, { recursive: true });
  await writeTiff(join(args.out, 'noisy.tif'), sim.noisy, { dtype: 'uint16' });
  await writeTiff(join(args.out, 'gt.tif'), sim.groundTruth);
  await writeTiff(join(args.out, 'psf.tif'), { ...sim.psf, count: 1 });
  const meta = {
    preset: 'camera', count: args.count, size: args.size, seed: args.seed, noiseModel: sim.noiseModel,
    peakPhotons: sim.peakPhotons, backgroundPhotons: sim.backgroundPhotons, fwhmPx: sim.fwhmPx, pixelSizeNm: sim.pixelSizeNm,
  };
  await writeFile(join(args.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  const { gain, readNoise, offset } = sim.noiseModel;
  process.stdout.write(`wrote ${args.count} uint16 images of ${args.size}² (camera: gain ${gain} ADU/e⁻, read noise ${readNoise} ADU, offset ${offset} ADU, FWHM ${sim.fwhmPx} px) to ${args.out}\n`);
}

/** Writes noisy.tif, gt.tif, psf.tif and meta.json (σ, FWHM, pixel size, seed) into `out`. */
export async function simulateCommand(args: SimulateArgs): Promise<void> {
  const chosen = checkPreset(args.preset);
  if (chosen === 'camera') return simulateCameraFiles(args);
  const preset = chosen;
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
