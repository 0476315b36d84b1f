/**
 * The worker thread of `simulateDatasetOffThread` (synthetic.ts): simulates one dataset and posts
 * its TIFF bytes back (transferred, not copied). A thread, so that the filament rendering and
 * blurring — seconds for a large request — never block the API's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { simulateDataset, type SyntheticRequest } from './synthetic.ts';

const result = simulateDataset((workerData as { request: SyntheticRequest }).request);
const buffers = [result.files.noisy, result.files.gt, result.files.psf].filter((bytes) => bytes !== undefined).map((bytes) => bytes.buffer as ArrayBuffer);
parentPort!.postMessage(result, buffers);
