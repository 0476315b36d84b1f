/**
 * One attempt at a run, as the database and the job see it: started (training, one more attempt),
 * progressing (the row and the job about once a second; a run found anything but training, i.e.
 * cancelled, aborts `signal`), then trained (evaluating, the evaluation enqueued), cancelled,
 * interrupted (the process stops: queued again) or failed (`queued` while BullMQ retries remain).
 * Each write is one of libs/db's conditional transitions, so a cancel is never undone: a run that
 * is no longer training is not started, not progressed, not trained. The training itself is
 * run-training.ts; this file only records it.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@divblur/config';
import type { TrainingRun } from '@divblur/db';
import type { Progress } from '@divblur/divblurring';
import { siblingOptions } from '@divblur/queue';
import { evaluateJobId } from './job-ids.ts';
import type { TrainerServices } from './services.ts';

/** How often the run row and the job's progress are refreshed (and a cancellation noticed). */
export const PROGRESS_EVERY_MS = 1000;

/** The run's evaluation, a sibling in the experiment's flow: the experiment settles only once this run's metrics exist. */
export async function enqueueEvaluation(services: TrainerServices, job: Job, runId: string, modelId: string): Promise<void> {
  await services.queues.enqueue({ name: 'evaluate-run', data: { runId, modelId } }, { jobId: evaluateJobId(runId), ...siblingOptions(job) });
}

export class RunAttempt {
  private readonly stop = new AbortController();
  private readonly earlierTrainMs: number;
  private started = 0;
  private lastReport = 0;
  private reporting: Promise<void> = Promise.resolve();

  constructor(private readonly services: TrainerServices, private readonly run: TrainingRun, private readonly job: Job, private readonly log: Logger) {
    this.earlierTrainMs = run.trainMs ?? 0;
  }

  /** Aborted once the run is found cancelled (no longer training). */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** Training time of this run over all its attempts, ms. */
  trainMs(): number {
    return this.earlierTrainMs + Date.now() - this.started;
  }

  /** False when the run may not train (cancelled, or settled meanwhile): nothing was written. */
  async start(): Promise<boolean> {
    this.started = Date.now();
    return this.services.db.runs.start(this.run);
  }

  /** True while the run is still training; aborts `signal` otherwise. The check between the attempt's steps. */
  async stillTraining(): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    const status = await this.services.db.runs.status(this.run.id);
    if (status !== 'training') this.stop.abort(status);
    return status === 'training';
  }

  /** Called every step; reports about once a second and at the last step, in order, one report at a time. */
  progress(progress: Progress): void {
    if (!(Date.now() - this.lastReport >= PROGRESS_EVERY_MS || progress.step === progress.totalSteps)) return;
    this.lastReport = Date.now();
    const fraction = progress.step / Math.max(1, progress.totalSteps);
    this.reporting = this.reporting.then(async () => {
      await this.job.updateProgress({ step: progress.step, totalSteps: progress.totalSteps, loss: progress.loss.total, etaSeconds: progress.etaSeconds });
      const status = await this.services.db.runs.recordProgress(this.run.id, { fraction: Math.min(1, fraction), stepsDone: progress.step, trainMs: this.trainMs() });
      if (status !== 'training') this.stop.abort(status);
    }).catch((error) => this.log.warn({ err: error }, 'progress update failed'));
  }

  /** Resolves once every report so far is written. */
  reported(): Promise<void> {
    return this.reporting;
  }

  async cancelled(steps: number): Promise<void> {
    await this.services.db.runs.recordTrainTime(this.run.id, this.trainMs());
    this.log.info({ step: steps }, 'run cancelled while training');
  }

  /** The process is stopping: the run is queued again and resumes from its last checkpoint. */
  async interrupted(steps: number, reason: unknown): Promise<void> {
    await this.services.db.runs.requeue(this.run.id, this.trainMs());
    this.log.info({ step: steps, reason: String(reason) }, 'training interrupted; the run goes back to the queue');
  }

  /** Evaluating, and its evaluation enqueued; false (nothing enqueued) when the run was cancelled meanwhile. */
  async trained(result: { steps: number; noiseSigma: number; modelId: string; lossPoints: number }): Promise<boolean> {
    if (!(await this.services.db.runs.trained(this.run.id, { steps: result.steps, trainMs: this.trainMs(), noiseSigma: result.noiseSigma }))) {
      this.log.info({ steps: result.steps, modelId: result.modelId }, 'run trained, but it was cancelled meanwhile: not evaluated');
      return false;
    }
    await enqueueEvaluation(this.services, this.job, this.run.id, result.modelId);
    this.log.info({ steps: result.steps, modelId: result.modelId, lossPoints: result.lossPoints }, 'run trained and exported');
    return true;
  }

  /** Final when the error is unrecoverable or this was the job's last try. */
  async failed(error: unknown): Promise<void> {
    const attempts = this.job.opts.attempts ?? 1;
    const final = error instanceof UnrecoverableError || this.job.attemptsMade + 1 >= attempts;
    await this.services.db.runs.fail(this.run.id, (error as Error).message, final, this.trainMs());
    this.log.error({ err: error, final }, 'training failed');
  }
}
