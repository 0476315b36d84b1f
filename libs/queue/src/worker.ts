import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { HandlerRegistrationError, JobPayloadError } from './errors.ts';
import { parseJob, type JobData, type JobName } from './job-payloads.ts';
import { jobNamesOf, type QueueName } from './queue-names.ts';

/** What a job file exports (`apps/<app>/src/jobs/<kind>.ts`): its kind and an idempotent processor. */
export interface JobHandler<N extends JobName = JobName> {
  name: N;
  /** `token` is the job's lock token (what `job.moveToWait(token)` needs to hand the job back). */
  process(data: JobData<N>, job: Job, token?: string): Promise<unknown>;
}

/** `{ name, process }` with the data type tied to the name. */
export function defineHandler<N extends JobName>(name: N, process: (data: JobData<N>, job: Job, token?: string) => Promise<unknown>): JobHandler<N> {
  return { name, process };
}

/**
 * The processor of one queue: checks at once that every job kind of the queue has exactly one
 * handler and that no handler belongs to another queue; then, per job, validates the payload
 * (an invalid one fails for good, without retries) and calls the kind's handler. Usable as a
 * sandboxed processor file's default export too.
 */
export function createProcessor(queueName: QueueName, handlers: readonly JobHandler<any>[]): (job: Job, token?: string) => Promise<unknown> {
  const expected = jobNamesOf(queueName);
  const byName = new Map<string, JobHandler>();
  const problems: string[] = [];
  for (const handler of handlers) {
    if (!expected.includes(handler.name)) problems.push(`"${handler.name}" is not a job of queue "${queueName}"`);
    else if (byName.has(handler.name)) problems.push(`"${handler.name}" has two handlers`);
    byName.set(handler.name, handler);
  }
  for (const name of expected) if (!byName.has(name)) problems.push(`"${name}" has no handler`);
  if (problems.length > 0) throw new HandlerRegistrationError(`queue "${queueName}": ${problems.join('; ')}`);

  return async (job: Job, token?: string) => {
    let payload;
    try {
      payload = parseJob(job.name, job.data);
    } catch (error) {
      if (error instanceof JobPayloadError) throw new UnrecoverableError(error.message);
      throw error;
    }
    return (byName.get(payload.name) as JobHandler).process(payload.data, job, token);
  };
}

export interface WorkerSettings {
  redis: Redis;
  prefix: string;
  concurrency?: number;
  /** Other BullMQ worker options (lockDuration, autorun…). */
  options?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
}

/** A BullMQ worker for one queue; throws `HandlerRegistrationError` before connecting if the handlers are wrong. */
export function createWorker(queueName: QueueName, handlers: readonly JobHandler<any>[], settings: WorkerSettings): Worker {
  const processor = createProcessor(queueName, handlers);
  return new Worker(queueName, processor, {
    ...settings.options,
    connection: settings.redis,
    prefix: settings.prefix,
    concurrency: settings.concurrency ?? 1,
  });
}

/**
 * Closes a worker on shutdown: gracefully (its active jobs finish) while its Redis connection is
 * ready, forced (active jobs left to BullMQ's stalled check, which retries them) when Redis is
 * away, because a graceful close then waits for Redis to come back, however long that takes.
 */
export async function closeWorker(worker: Worker, connection: Redis): Promise<void> {
  await worker.close(connection.status !== 'ready');
}
