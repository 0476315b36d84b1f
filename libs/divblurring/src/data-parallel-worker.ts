/**
 * One worker shard of data-parallel.ts: loads the native backend with one oneDNN thread, rebuilds the trainer from shard 0's
 * state, then runs each step shard 0 publishes until it stops. A failure is written into the shared block, so that the
 * other shards stop at their next rendezvous with its message instead of waiting.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { markFailed, readInputs, rendezvous, shardContext, type WorkerInit } from './data-parallel.ts';
import { loadAddon } from '@divblur/tfjs-native';
import { initBackend } from './backend.ts';
import { checkpointHyperparameters } from './options.ts';
import { buildTrainer } from './trainer.ts';

const init = workerData as WorkerInit;
const port = parentPort as NonNullable<typeof parentPort>;
let started = false;
try {
  // initBackend, not the loader alone: it also keeps tfjs's "install the node backend" banner out of the log.
  const backend = await initBackend('native', undefined, { convPrecision: init.convPrecision });
  if (backend.convPrecision !== init.convPrecision) throw new Error(`convolutions in ${backend.convPrecision}, shard 0 has ${init.convPrecision}`);
  loadAddon()?.setThreads(1);
  const hyper = checkpointHyperparameters(init.checkpoint.hyperparameters);
  const { height, width } = { height: hyper.patchSize, width: hyper.patchSize };
  // The images stay with shard 0 (it draws the batches); the checkpoint carries the normalisation and the weights.
  const trainer = buildTrainer({ images: { data: new Float32Array(0), count: 0, height, width }, psf: init.psf }, hyper,
    init.totalSteps, init.checkpoint, shardContext(init.block, init.index));
  port.postMessage({ ready: true });
  started = true;
  while (rendezvous(init.block, Infinity)) trainer.runStep(readInputs(init.block));
  trainer.dispose();
} catch (error) {
  // Before it started, shard 0 is waiting for this message (and names the worker); after, only the shared block is read.
  if (started) markFailed(init.block, `data-parallel worker ${init.index}: ${(error as Error).message}`);
  else port.postMessage({ error: (error as Error).message });
}
