/** The database operations of the API. `createPgRepository` implements them on Postgres. */
import type { RunParams, ExperimentSpec, Sweep } from '@divblur/queue';
import type {
  BaselineRecord, DatasetRecord, ExperimentRecord, LossPoint, MetricRecord, ModelRecord, NewDataset, RunPageQuery, RunRecord,
} from './types.ts';

export interface NewExperiment {
  datasetId: string; spec: ExperimentSpec; sweep: Sweep | null; idempotencyKey: string | null; runs: readonly RunParams[];
}

export interface Repository {
  createDataset(dataset: NewDataset & { id: string }): Promise<DatasetRecord>;
  getDataset(id: string): Promise<DatasetRecord | null>;
  listDatasets(limit: number, afterId?: string): Promise<DatasetRecord[]>;

  /** Inserts the experiment and its runs in one transaction. With an idempotency key seen before, returns the first experiment and `created: false`. */
  createExperiment(experiment: NewExperiment): Promise<{ experiment: ExperimentRecord; runs: RunRecord[]; created: boolean }>;
  getExperiment(id: string): Promise<ExperimentRecord | null>;
  listExperiments(limit: number, afterId?: string, datasetId?: string): Promise<ExperimentRecord[]>;
  /** Marks the experiment and its not-yet-finished runs cancelled; returns the ids of the runs it changed. */
  cancelExperiment(id: string): Promise<string[]>;
  deleteExperiment(id: string): Promise<void>;

  /** A page of runs, each with the key it was sorted by (a number, an ISO time for `created`, null for a missing metric). */
  listRuns(query: RunPageQuery): Promise<Array<RunRecord & { sortKey: number | string | null }>>;
  /** Runs of an experiment per status. */
  runStatusCounts(experimentId: string): Promise<Record<string, number>>;
  getRun(id: string): Promise<RunRecord | null>;
  lossPoints(runId: string): Promise<LossPoint[]>;
  metrics(runId: string): Promise<MetricRecord[]>;
  baselines(datasetId: string): Promise<BaselineRecord[]>;
  getModel(id: string): Promise<ModelRecord | null>;

  ping(): Promise<void>;
  jobDurations(): Promise<Record<string, { count: number; sumSeconds: number; maxSeconds: number }>>;
}
