/**
 * The training of a run: the dataset's images from the blob store (the training split), the
 * run's parameters onto `TrainOptions` (libs/queue), the newest checkpoint to resume from, then
 * `trainModel` with its loss points and checkpoints stored as it goes, then the export (model
 * dir → ONNX → blobs → model row). How the run's row follows it is run-attempt.ts.
 */
import type { Logger } from '@divblur/config';
import type { ModelRecord, TrainingRun } from '@divblur/db';
import { disposeModel, initBackend, trainModel, type Progress } from '@divblur/divblurring';
import { datasetNoiseModelOf, runParamsFromRow, toTrainOptions } from '@divblur/queue';
import { readPsf, readStack, selectImages, splitImages } from '@divblur/storage';
import { backendPreferenceOf } from './backend-preference.ts';
import { latestCheckpoint, storeCheckpoint } from './checkpoint-store.ts';
import type { LossPointWriter } from './loss-writer.ts';
import { exportToBlobs } from './model-export.ts';
import type { TrainerServices } from './services.ts';

export interface TrainingHooks {
  onProgress(progress: Progress): void;
  /** Resolves once every progress report is written; awaited after the last loss points. */
  reported(): Promise<void>;
  /** Whether the run is still to be trained (not cancelled): asked before the first step and before the export. */
  stillTraining(): Promise<boolean>;
  /** Aborted: stop after the current step (a cancel, or the process stopping). */
  signal: AbortSignal;
  log: Logger;
}

export type TrainingOutcome =
  | { aborted: true; steps: number }
  | { aborted: false; steps: number; noiseSigma: number; model: ModelRecord };

export async function trainAndExport(services: TrainerServices, run: TrainingRun, losses: LossPointWriter, hooks: TrainingHooks): Promise<TrainingOutcome> {
  const { db, blobs, config } = services;
  const { dataset } = run;
  const log = hooks.log;
  const backend = await initBackend(backendPreferenceOf(config.backend), (message, fields) => log.info(fields, message), { convPrecision: config.convPrecision });
  const noisy = await readStack(blobs, dataset.noisyKey);
  const psf = await readPsf(blobs, dataset);
  const split = splitImages(noisy.count);
  const resumeFrom = await latestCheckpoint(db.checkpoints, blobs, run.id);
  if (resumeFrom) log.info({ step: resumeFrom.step }, 'resuming from checkpoint');
  const options = {
    ...toTrainOptions(runParamsFromRow(run.stored), {
      images: selectImages(noisy, split.trainIndices), psf, datasetNoiseSigma: dataset.noiseSigma, datasetNoiseModel: datasetNoiseModelOf(dataset.meta),
    }),
    ...(resumeFrom ? { resumeFrom } : {}),
  };
  // Loading took a while: a cancel meanwhile means no step is taken.
  if (hooks.signal.aborted || !(await hooks.stillTraining())) return { aborted: true, steps: resumeFrom?.step ?? 0 };

  const result = await trainModel(options, {
    onProgress: (progress) => {
      const { step, loss } = progress;
      losses.push({ step, total: loss.total, dataTerm: loss.data, kl: loss.kl, penalty: loss.penalty, beta: loss.beta });
      hooks.onProgress(progress);
    },
    // Every point up to the checkpoint's step is stored before the checkpoint: a resume starts after it.
    onCheckpoint: async (checkpoint) => {
      await losses.flush();
      await storeCheckpoint(db.checkpoints, blobs, run.id, checkpoint);
    },
    signal: hooks.signal,
    log: (message, fields) => log.info(fields, message),
    shards: config.trainShards,
  });
  await losses.flush();
  await hooks.reported();
  if (result.aborted || hooks.signal.aborted || !(await hooks.stillTraining())) {
    disposeModel(result.model);
    return { aborted: true, steps: result.steps };
  }
  try {
    const model = await exportToBlobs(db.models, blobs, run.id, result.model, {
      evaluation: split, backend: backend.engine, steps: result.steps, resumedFromStep: resumeFrom?.step ?? null, noiseSigma: result.model.noiseSigma,
      collapses: result.collapses.length, trainSeconds: result.trainSeconds,
    });
    return { aborted: false, steps: result.steps, noiseSigma: result.model.noiseSigma, model };
  } finally {
    disposeModel(result.model);
  }
}
