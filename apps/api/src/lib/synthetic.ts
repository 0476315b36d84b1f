/** `{ synthetic: { preset, n, seed } }` → the report's simulated filaments, encoded as TIFF like an upload. */
import { encodeTiff, simulate, simulateCamera, toStack } from '@divblur/imaging';
import type { DatasetFiles } from './dataset-ingest.ts';

export interface SyntheticRequest { preset: 'dataset1' | 'dataset2' | 'camera'; n: number; seed: number; size?: number }

export function simulateDataset(request: SyntheticRequest): { files: DatasetFiles; noiseSigma?: number; pixelSizeNm: number; fwhmPx: number } {
  if (request.preset === 'camera') {
    // an acquisition as a camera writes it: uint16 ADU; its noise model is the client's to give or have estimated
    const camera = simulateCamera({ count: request.n, seed: request.seed, ...(request.size ? { size: request.size } : {}) });
    return {
      files: { noisy: encodeTiff(camera.noisy, { dtype: 'uint16' }), gt: encodeTiff(camera.groundTruth), psf: encodeTiff(toStack([camera.psf])) },
      pixelSizeNm: camera.pixelSizeNm,
      fwhmPx: camera.fwhmPx,
    };
  }
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
