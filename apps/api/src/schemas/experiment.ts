/** Experiment and run request/response schemas. */
import { Type } from '@sinclair/typebox';
import { ExperimentSpec, Method, Penalty, Sweep } from '@divblur/queue';
import { RUN_STATUSES, type RunStatus } from '@divblur/db';
import { Text, Uuid } from './common.ts';

export const CreateExperimentBody = Type.Object({
  datasetId: Uuid,
  spec: ExperimentSpec,
  sweep: Type.Optional(Sweep),
}, { additionalProperties: false });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'a retry with the same key and body returns the first experiment' })),
});

/** libs/db's run lifecycle: queued → training → evaluating → succeeded (metrics present) | failed (error says why) | cancelled. */
export const RunStatusSchema = Type.Unsafe<RunStatus>({
  type: 'string', enum: [...RUN_STATUSES],
  description: 'queued → training → evaluating → succeeded (its metrics exist) | failed (error says why) | cancelled',
});

export const Experiment = Type.Object({
  id: Type.String(), datasetId: Type.String(), spec: Type.Unknown(), sweep: Type.Unknown(), status: Type.String(),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]), runCount: Type.Integer(), createdAt: Type.String(),
});

export const Run = Type.Object({
  id: Type.String(), experimentId: Type.String(), status: Type.String(), progress: Type.Number(),
  method: Method, penalty: Penalty, lambda: Type.Number(), kappa: Type.Number(), seed: Type.Integer(),
  params: Type.Unknown(), error: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(),
  psnrMmse: Type.Union([Type.Number(), Type.Null()]), psnrSamples: Type.Union([Type.Number(), Type.Null()]),
  ssim: Type.Union([Type.Number(), Type.Null()]), modelId: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedExperiment = Type.Object({
  experiment: Experiment, runs: Type.Array(Run), created: Type.Boolean(),
  warnings: Type.Optional(Type.Array(Type.String(), { description: 'what the experiment will do that the client may not expect; nothing is refused' })),
});
