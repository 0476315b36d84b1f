/**
 * The other half of "an experiment's rows and its flow exist together": experiments whose rows
 * were written but whose flow was never marked added (the API died between the insert and the
 * enqueue, or Redis and then Postgres failed under the same request so the rows could not be
 * taken back) get their flow now. Run at startup and on a timer by every API process; the flow's
 * job ids are deterministic, so two processes reconciling the same experiment add it once, and an
 * experiment whose flow was in fact added is only marked.
 */
import type { Logger } from '@divblur/config';
import type { Repositories } from '@divblur/db';
import type { ExperimentQueue } from '../services.ts';

/** An experiment younger than this is its own request's to enqueue or take back (that request gives up within seconds). */
export const RECONCILE_GRACE_MS = 30_000;
export const RECONCILE_EVERY_MS = 60_000;
/** Experiments per round; the rest wait for the next. */
export const RECONCILE_BATCH = 100;

export interface ReconcileOptions {
  graceMs?: number;
  now?: () => number;
}

/** Enqueues the flow of every pending experiment older than the grace, oldest first, and marks it; stops at the first failure (Redis down). */
export async function reconcileExperiments(
  services: { db: Repositories; queues: ExperimentQueue }, options: ReconcileOptions = {},
): Promise<string[]> {
  const now = options.now?.() ?? Date.now();
  const pending = await services.db.experiments.pendingFlows(new Date(now - (options.graceMs ?? RECONCILE_GRACE_MS)), RECONCILE_BATCH);
  const enqueued: string[] = [];
  for (const { experimentId, runIds } of pending) {
    await services.queues.enqueueExperiment(experimentId, runIds);
    await services.db.experiments.markEnqueued(experimentId);
    enqueued.push(experimentId);
  }
  return enqueued;
}

export interface RunningReconciler {
  /** Resolves after the round in progress, if any; no round starts after it. */
  stop(): Promise<void>;
}

/** A round now, then one every `everyMs`, never two at once; a failed round is logged and retried on the next tick. */
export function startReconciler(
  services: { db: Repositories; queues: ExperimentQueue }, logger: Pick<Logger, 'info' | 'warn'>,
  options: ReconcileOptions & { everyMs?: number } = {},
): RunningReconciler {
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const run = () => {
    round = round.then(async () => {
      if (stopped) return;
      try {
        const enqueued = await reconcileExperiments(services, options);
        if (enqueued.length > 0) logger.info({ experiments: enqueued }, 'reconciled: enqueued the flows of experiments that had none');
      } catch (error) {
        logger.warn({ err: error }, 'reconciling experiments failed; retrying on the next round');
      }
    });
  };
  run();
  const timer = setInterval(run, options.everyMs ?? RECONCILE_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
    },
  };
}
