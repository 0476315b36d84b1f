/**
 * `finish-experiment`: the flow parent, run once every train-run child — and every `evaluate-run`
 * a trained run added to the flow — has finished one way or the other. Settles the experiment
 * from its runs: cancelled stays cancelled; any run succeeded → succeeded (failures counted in
 * `error`); none → failed. A run counts as succeeded only with its metrics: one that trained but
 * whose evaluation failed for good is marked failed first. Idempotent.
 */
import { UnrecoverableError } from 'bullmq';
import { defineHandler } from '@divblur/queue';
import type { Repositories } from '@divblur/db';

export const finishExperimentHandler = (db: Repositories) => defineHandler('finish-experiment', (data) => settleExperiment(db, data.experimentId));

export const NOT_EVALUATED = 'trained, but its evaluation did not complete (no metrics): see the inference worker\'s log';

export async function settleExperiment(db: Repositories, experimentId: string): Promise<{ status: string }> {
  const experiment = await db.experiments.get(experimentId);
  if (experiment === null) throw new UnrecoverableError(`experiment ${experimentId} does not exist`);
  if (experiment.status === 'cancelled') return { status: 'cancelled' };
  await db.runs.failUnevaluated(experimentId, NOT_EVALUATED);
  const counts = await db.runs.statusCounts(experimentId);
  const count = (status: string) => counts[status] ?? 0;
  const succeeded = count('succeeded');
  const failed = count('failed');
  const status = succeeded > 0 ? 'succeeded' : count('cancelled') > 0 && failed === 0 ? 'cancelled' : 'failed';
  const error = failed > 0 ? `${failed} of ${experiment.runCount} runs failed` : null;
  await db.experiments.finish(experimentId, status, error);
  return { status };
}
