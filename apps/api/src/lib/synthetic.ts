/** `{ synthetic: { preset, n, seed } }` → the report's simulated filaments, encoded as TIFF like an upload. */
import { encodeTiff, simulate, toStack } from '@divblur/imaging';
import type { DatasetFiles } from './dataset-ingest.ts';

export interface SyntheticRequest { preset: 'dataset1' | 'dataset2'; n: number; seed: number; size?: number }

export function simulateDataset(request: SyntheticRequest): { files: DatasetFiles; noiseSigma: number; pixelSizeNm: number; fwhmPx: number } {
  const simulated = simulate({ preset: request.preset, count: request.n, seed: request.seed, ...(request.size ? { size: request.size } : {}) });
  return {
    files: {
      noisy: encodeTiff(simulated.noisy),
      gt: encodeTiff(simulated.groundTruth),
      psf: encodeTiff(toStack([simulated.psf])),
    },
    noiseSigma: simulated.noiseSigma,
    pixelSizeNm: simulated.pixelSizeNm,
    fwhmPx: simulated.fwhmPx,
  };
}
