/**
 * `{ synthetic: { preset, n, seed } }` → the report's simulated filaments, encoded as TIFF like an
 * upload; generated in a worker thread (`simulateDatasetOffThread`), with a size cap.
 */
import { DEFAULT_SIMULATION_SIZE, encodeTiff, simulate, simulateCamera, toStack } from '@divblur/imaging';
import { Worker } from 'node:worker_threads';
import type { DatasetFiles } from './dataset-ingest.ts';
import { BadRequestError } from './errors.ts';

export interface SyntheticRequest { preset: 'dataset1' | 'dataset2' | 'camera'; n: number; seed: number; size?: number }

export interface SimulatedDataset { files: DatasetFiles; noiseSigma?: number; pixelSizeNm: number; fwhmPx: number }

export function simulateDataset(request: SyntheticRequest): SimulatedDataset {
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

/**
 * Pixels (images × side²) a synthetic dataset may have: 100 images of 512², the largest the API
 * generates (about 11 s on one core, ~0.2 GB of float32 stacks). Larger ones are a simulation for
 * `divblur simulate` and an upload.
 */
export const MAX_SYNTHETIC_PIXELS = 100 * 512 * 512;

export class SyntheticTooLargeError extends BadRequestError {
  constructor(pixels: number) {
    super('SYNTHETIC_TOO_LARGE', `a synthetic dataset of ${pixels} pixels (n × size²) is larger than the ${MAX_SYNTHETIC_PIXELS} the API generates `
      + '(100 images of 512²); ask for fewer or smaller images, or simulate it with divblur simulate and upload it');
  }
}

const THREAD_ENTRY = new URL('./synthetic-worker.ts', import.meta.url).href;
/** Node 20 does not apply `--import tsx` to a worker thread's entry: the thread registers tsx itself, then imports it. */
const THREAD_BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => { register(); return import(require('node:worker_threads').workerData.entry); });`;

let running: Promise<unknown> = Promise.resolve();

/**
 * `simulateDataset` in a worker thread, off the request path: the event loop (health checks, other
 * requests) keeps answering while it runs. One at a time per process (their memory adds up);
 * refused above MAX_SYNTHETIC_PIXELS, before any work.
 */
export async function simulateDatasetOffThread(request: SyntheticRequest): Promise<SimulatedDataset> {
  const side = request.size ?? DEFAULT_SIMULATION_SIZE;
  const pixels = request.n * side * side;
  if (pixels > MAX_SYNTHETIC_PIXELS) throw new SyntheticTooLargeError(pixels);
  const work = running.catch(() => undefined).then(() => new Promise<SimulatedDataset>((resolve, reject) => {
    const worker = new Worker(THREAD_BOOTSTRAP, { eval: true, workerData: { entry: THREAD_ENTRY, request } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`the simulation thread exited with code ${code}`)); });
  }));
  running = work;
  return work;
}
