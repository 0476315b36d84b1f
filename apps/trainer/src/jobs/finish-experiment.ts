/**
 * `finish-experiment`: the flow parent, run once every train-run child — and every `evaluate-run`
 * a trained run added to the flow — has finished one way or the other. Settles the experiment
 * from its runs: cancelled stays cancelled; any run succeeded → succeeded (failures counted in
 * `error`); none → failed. A run counts as succeeded only with its metrics: one that trained but
 * whose evaluation failed for good is marked failed first. Idempotent.
 */
import { UnrecoverableError } from 'bullmq';
import { defineHandler } from '@divblur/queue';
import type { Db } from '@divblur/db';

export const finishExperimentHandler = (db: Db) => defineHandler('finish-experiment', (data) => settleExperiment(db, data.experimentId));

export const NOT_EVALUATED = 'trained, but its evaluation did not complete (no metrics): see the inference worker\'s log';

export async function settleExperiment(db: Db, experimentId: string): Promise<{ status: string }> {
  const experiment = await db.experiment.findUnique({ where: { id: experimentId } });
  if (experiment === null) throw new UnrecoverableError(`experiment ${experimentId} does not exist`);
  if (experiment.status === 'cancelled') return { status: 'cancelled' };
  await db.run.updateMany({
    where: { experimentId, status: 'succeeded', metrics: { none: {} } },
    data: { status: 'failed', error: NOT_EVALUATED },
  });
  const groups = await db.run.groupBy({ by: ['status'], where: { experimentId }, _count: { _all: true } });
  const count = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
  const succeeded = count('succeeded');
  const failed = count('failed');
  const status = succeeded > 0 ? 'succeeded' : count('cancelled') > 0 && failed === 0 ? 'cancelled' : 'failed';
  const error = failed > 0 ? `${failed} of ${experiment.runCount} runs failed` : null;
  await db.experiment.update({ where: { id: experimentId }, data: { status, error, finishedAt: new Date() } });
  return { status };
}
