/**
 * The trainer process: a BullMQ worker on the training queue whose processor is the sandboxed
 * file ./sandbox.ts (one child process per concurrent job), and an in-process worker settling
 * experiments (`finish-experiment`, cheap).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { Config, Logger } from '@divblur/config';
import { closeWorker, createRedis, createWorker, QUEUE_NAMES } from '@divblur/queue';
import { finishExperimentHandler } from './jobs/finish-experiment.ts';
import { createTrainerServices } from './services.ts';

export const SANDBOX_FILE = fileURLToPath(new URL('./sandbox.ts', import.meta.url));

export interface TrainerOptions {
  /** Runs trained at once (one child process each); default 1. */
  concurrency?: number;
  /** Job lock (ms): the parent renews it every half of it while the child trains. */
  lockDurationMs?: number;
}

export interface RunningTrainer {
  readonly training: Worker;
  readonly experiments: Worker;
  close(): Promise<void>;
}

/** The child runs TypeScript: make sure it loads tsx whatever flags this process was started with. */
function childExecArgv(): string[] {
  const argv = [...process.execArgv];
  const hasTsx = argv.some((arg, i) => (arg === '--import' && argv[i + 1] === 'tsx') || arg === '--import=tsx');
  return hasTsx ? argv : [...argv, '--import', 'tsx'];
}

export function startTrainer(config: Readonly<Config>, logger: Logger, options: TrainerOptions = {}): RunningTrainer {
  const redis = createRedis(config.redisUrl);
  const services = createTrainerServices(config, logger);
  const training = new Worker(QUEUE_NAMES.training, SANDBOX_FILE, {
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 60_000,
    useWorkerThreads: false,
    workerForkOptions: { execArgv: childExecArgv(), env: process.env },
  });
  const experiments = createWorker(QUEUE_NAMES.experiments, [finishExperimentHandler(services.db)], { redis, prefix: config.queuePrefix });
  for (const worker of [training, experiments]) {
    worker.on('failed', (job, error) => logger.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'job failed'));
    worker.on('completed', (job) => logger.info({ queue: worker.name, jobId: job.id }, 'job completed'));
    worker.on('error', (error) => logger.error({ queue: worker.name, err: error }, 'worker error'));
  }
  logger.info({ queues: [QUEUE_NAMES.training, QUEUE_NAMES.experiments], concurrency: options.concurrency ?? 1 }, 'trainer started');
  return {
    training, experiments,
    /**
     * Stops taking jobs and hands the active ones back: `close(true)` does not wait for a training
     * (it may take hours); it sends SIGTERM to each child, which stops after its current step, keeps
     * its checkpoint and moves its job back to the queue (jobs/train-run.ts), then exits.
     */
    async close() {
      await Promise.all([training.close(true), closeWorker(experiments, redis)]);
      redis.disconnect();
      await services.close();
    },
  };
}
