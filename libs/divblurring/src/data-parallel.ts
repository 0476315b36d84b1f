/**
 * Data-parallel training on one machine: `shards` copies of the trainer, this thread and shards − 1 worker threads, each
 * with its own tfjs engine and one oneDNN thread, each computing the gradient of its rows of the batch. Gradients and loss
 * terms are summed through one SharedArrayBuffer every step, in shard order, so every shard gets the same sum and applies
 * the same Adam update to its own copy of the weights: the update equals the single-process step up to the order of the
 * float sums (data-parallel.test.ts: 20 steps within 1e-4). This thread draws the batch and the noise (the trainer's
 * Random, as single-process), checkpoints and exports; the workers start from its state. Free bits use the whole batch's
 * per-channel KL (loss.ts `shards`).
 *
 * Why threads and not processes: a step's barrier sits inside the gradient tape (free bits need the whole batch's KL
 * before the backward pass), which is synchronous; Atomics.wait on shared memory is the one synchronous rendezvous
 * Node has, and SharedArrayBuffer is shared between threads only.
 */
import { Worker } from 'node:worker_threads';
import type { ConvPrecision } from './backend.ts';
import type { Checkpoint } from './checkpoint.ts';
import { DivblurConfigError, TrainingError } from './errors.ts';
import type { Hyperparameters, TrainOptions } from './options.ts';
import { buildTrainer, type ShardContext, type ShardTrainer, type StepInputs, type Trainer } from './trainer.ts';

/** Int32 slots of the control block. */
const ARRIVED = 0;
const GENERATION = 1;
const FAILED = 2;
const STOP = 3;
const EPS_SEED = 4;
const MESSAGE_LENGTH = 5;
const CONTROL_INTS = 8;
const MESSAGE_BYTES = 2048;

/** How long a shard waits for the others at one rendezvous before it gives up (a stuck or dead worker). */
const RENDEZVOUS_TIMEOUT_MS = 120_000;

/** The shared memory of one data-parallel trainer (passed to each worker as is). */
export interface SharedBlock {
  readonly control: SharedArrayBuffer;
  /** beta, learningRate of the step (float64). */
  readonly scalars: SharedArrayBuffer;
  readonly message: SharedArrayBuffer;
  /** The step's whole batch, [B·P·P]. */
  readonly batch: SharedArrayBuffer;
  /** One slot of `slotLength` floats per shard. */
  readonly slots: SharedArrayBuffer;
  readonly slotLength: number;
  readonly count: number;
}

export interface WorkerInit {
  readonly block: SharedBlock;
  readonly index: number;
  readonly checkpoint: Checkpoint;
  readonly psf: TrainOptions['psf'];
  readonly totalSteps: number;
  readonly convPrecision: ConvPrecision;
}

function failureOf(block: SharedBlock): string {
  const control = new Int32Array(block.control);
  const length = Atomics.load(control, MESSAGE_LENGTH);
  return new TextDecoder().decode(new Uint8Array(block.message).slice(0, length)) || 'a data-parallel shard failed';
}

/** Marks the block failed (the others stop at their next rendezvous with this message). */
export function markFailed(block: SharedBlock, message: string): void {
  const control = new Int32Array(block.control);
  const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_BYTES);
  new Uint8Array(block.message).set(bytes);
  Atomics.store(control, MESSAGE_LENGTH, bytes.length);
  Atomics.store(control, FAILED, 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

/**
 * Waits until every shard arrived; throws if one failed or the others did not come within `timeoutMs`. Returns false
 * once the trainer stopped. Inside a step the wait is bounded (the shards compute alike); a worker waiting for the next
 * step waits as long as shard 0 takes between steps (checkpoints, a slow database), so it passes Infinity.
 */
export function rendezvous(block: SharedBlock, timeoutMs = RENDEZVOUS_TIMEOUT_MS): boolean {
  const control = new Int32Array(block.control);
  const generation = Atomics.load(control, GENERATION);
  if (Atomics.load(control, FAILED)) throw new TrainingError(failureOf(block));
  if (Atomics.add(control, ARRIVED, 1) === block.count - 1) {
    Atomics.store(control, ARRIVED, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
  } else {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(control, GENERATION) === generation) {
      if (Date.now() > deadline) throw new TrainingError(`a data-parallel shard did not answer within ${timeoutMs / 1000} s`);
      Atomics.wait(control, GENERATION, generation, 100);
    }
  }
  if (Atomics.load(control, FAILED)) throw new TrainingError(failureOf(block));
  return Atomics.load(control, STOP) === 0;
}

/** The ShardContext of shard `index` over `block`. */
export function shardContext(block: SharedBlock, index: number): ShardContext {
  const slots = new Float32Array(block.slots);
  return {
    index,
    count: block.count,
    sumAcrossShards(values) {
      if (values.length > block.slotLength) throw new RangeError(`exchange of ${values.length} floats exceeds the slot (${block.slotLength})`);
      slots.set(values, index * block.slotLength);
      rendezvous(block);
      const sum = Float32Array.from(slots.subarray(0, values.length));
      for (let shard = 1; shard < block.count; shard++) {
        const slot = slots.subarray(shard * block.slotLength, shard * block.slotLength + values.length);
        for (let i = 0; i < sum.length; i++) sum[i] += slot[i];
      }
      rendezvous(block); // nobody writes the next exchange before every shard has read this one
      return sum;
    },
  };
}

/** Writes a step's inputs into the block (shard 0). */
function publish(block: SharedBlock, inputs: StepInputs): void {
  new Float32Array(block.batch).set(inputs.batch);
  const scalars = new Float64Array(block.scalars);
  scalars[0] = inputs.beta;
  scalars[1] = inputs.learningRate;
  Atomics.store(new Int32Array(block.control), EPS_SEED, inputs.epsSeed);
}

/** Reads a step's inputs from the block (the other shards). */
export function readInputs(block: SharedBlock): StepInputs {
  const scalars = new Float64Array(block.scalars);
  return { batch: new Float32Array(block.batch), epsSeed: Atomics.load(new Int32Array(block.control), EPS_SEED), beta: scalars[0], learningRate: scalars[1] };
}

export interface DataParallelOptions {
  /** Shards, this thread included (≥ 2, dividing the batch). */
  readonly shards: number;
  readonly convPrecision?: ConvPrecision;
  /** Sets this thread's oneDNN threads (1 while the workers run; restored on dispose). */
  readonly setThreads?: (threads: number) => number;
}

/**
 * A Trainer whose steps run on `shards` threads. The workers load the native backend themselves; the caller has
 * loaded it on this thread. dispose() stops the workers.
 */
export async function createDataParallelTrainer(trainOptions: TrainOptions, hyper: Hyperparameters, totalSteps: number,
  options: DataParallelOptions, resume?: Checkpoint): Promise<Trainer> {
  const count = options.shards;
  if (!Number.isInteger(count) || count < 2) throw new DivblurConfigError(`data-parallel shards must be an integer ≥ 2, got ${count}`);
  if (hyper.batchSize % count !== 0) throw new DivblurConfigError(`batchSize ${hyper.batchSize} does not split into ${count} equal shards`);
  // The block needs the gradient length, which the trainer knows: it is built first with a context bound afterwards.
  let block: SharedBlock | null = null;
  let context: ShardContext | null = null;
  const lazy: ShardContext = {
    index: 0,
    count,
    sumAcrossShards: (values) => (context as ShardContext).sumAcrossShards(values),
    broadcast(inputs) {
      const shared = block as SharedBlock;
      publish(shared, inputs);
      rendezvous(shared);
    },
  };
  const main: ShardTrainer = buildTrainer(trainOptions, hyper, totalSteps, resume, lazy);
  const start = main.checkpoint();
  const gradientLength = Object.values(start.params).reduce((total, p) => total + p.data.length, 0);
  const slotLength = gradientLength + 4;
  const floats = Float32Array.BYTES_PER_ELEMENT;
  block = {
    control: new SharedArrayBuffer(CONTROL_INTS * 4),
    scalars: new SharedArrayBuffer(16),
    message: new SharedArrayBuffer(MESSAGE_BYTES),
    batch: new SharedArrayBuffer(hyper.batchSize * hyper.patchSize * hyper.patchSize * floats),
    slots: new SharedArrayBuffer(count * slotLength * floats),
    slotLength,
    count,
  };
  context = shardContext(block, 0);
  const shared = block;
  const workers: Worker[] = [];
  const savedThreads = options.setThreads?.(1);
  /** Stops the workers (they leave their loop at the next rendezvous) and gives this thread its oneDNN threads back at once. */
  const stop = async (): Promise<void> => {
    const control = new Int32Array(shared.control);
    Atomics.store(control, STOP, 1);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    if (savedThreads !== undefined) options.setThreads?.(savedThreads);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    for (let index = 1; index < count; index++) {
      const init: WorkerInit = { block: shared, index, checkpoint: start, psf: trainOptions.psf, totalSteps: main.totalSteps, convPrecision: options.convPrecision ?? 'f32' };
      const worker = new Worker(new URL('./data-parallel-worker.mjs', import.meta.url), { workerData: init });
      workers.push(worker);
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (message: { ready?: boolean; error?: string }) =>
          message.ready ? resolve() : reject(new TrainingError(`data-parallel worker ${index} did not start: ${message.error}`)));
        worker.once('error', (error) => reject(new TrainingError(`data-parallel worker ${index} did not start: ${error.message}`)));
        worker.once('exit', (code) => reject(new TrainingError(`data-parallel worker ${index} exited (${code}) before it started`)));
      });
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      // Seen only when this thread's event loop turns (between steps); a step in flight learns it at its rendezvous.
      worker.on('exit', (code) => { if (code !== 0) markFailed(shared, `data-parallel worker ${index} exited with code ${code}`); });
      worker.on('error', (error) => markFailed(shared, `data-parallel worker ${index}: ${error.message}`));
    }
  } catch (error) {
    await stop();
    main.dispose();
    throw error;
  }
  return {
    get hyperparameters() { return main.hyperparameters; },
    get normalisation() { return main.normalisation; },
    get step() { return main.step; },
    get totalSteps() { return main.totalSteps; },
    set totalSteps(value: number) { main.totalSteps = value; },
    get learningRate() { return main.learningRate; },
    get collapsed() { return main.collapsed; },
    get recentKlPerPixel() { return main.recentKlPerPixel; },
    nextBatch: () => main.nextBatch(),
    train(batch) {
      try {
        return main.train(batch);
      } catch (error) {
        markFailed(shared, `shard 0 failed: ${(error as Error).message}`);
        throw error;
      }
    },
    checkpoint: () => main.checkpoint(),
    model: (training) => main.model(training),
    dispose() {
      void stop();
      main.dispose();
    },
  };
}
