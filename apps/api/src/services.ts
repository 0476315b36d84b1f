/**
 * What the routes need from the outside world, injected by `buildApp(deps)`: the database
 * (libs/db's repositories), the blob store, the queue, and a reader for s3:// URIs given by users.
 */
import type { Repositories } from '@divblur/db';
import type { BlobStore } from '@divblur/storage';

export interface ExperimentQueue {
  /** Enqueues one flow: a parent job for the experiment, a child per run. Idempotent per experiment id. */
  enqueueExperiment(experimentId: string, runIds: readonly string[]): Promise<void>;
  /** Removes the experiment's waiting jobs; running ones see the cancelled status and stop. */
  cancelExperiment(experimentId: string, runIds: readonly string[]): Promise<void>;
  /** A new evaluation of a trained run's model, on its own (no flow); 'pending' when one is waiting or running already. */
  enqueueEvaluation(runId: string, modelId: string): Promise<'queued' | 'pending'>;
}

export interface ApiServices {
  db: Repositories;
  blobs: BlobStore;
  queues: ExperimentQueue;
  /** The bytes of an `s3://bucket/key` object; throws `BlobNotFoundError` when absent. */
  s3Import: (uri: string) => Promise<Buffer>;
}
