/** `Repository` on Postgres with node-postgres: plain SQL, one transaction where rows belong together. */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { NewExperiment, Repository } from './repository.ts';
import type { DatasetRecord, ExperimentRecord, LossPoint, MetricRecord, ModelRecord, RunRecord } from './types.ts';
import { buildRunPageSql } from './run-query.ts';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function datasetFromRow(row: Row): DatasetRecord {
  return {
    id: row.id, name: row.name, source: row.source, count: row.count, height: row.height, width: row.width,
    dtype: row.dtype, stats: row.stats, sha256: row.sha256, noisyKey: row.noisy_key, gtKey: row.gt_key, psfKey: row.psf_key,
    psfShape: row.psf_height === null ? null : [row.psf_height, row.psf_width], pixelSizeNm: row.pixel_size_nm, noiseSigma: row.noise_sigma, meta: row.meta,
    createdAt: row.created_at.toISOString(),
  };
}

function experimentFromRow(row: Row): ExperimentRecord {
  return {
    id: row.id, datasetId: row.dataset_id, spec: row.spec, sweep: row.sweep, status: row.status,
    idempotencyKey: row.idempotency_key, runCount: row.run_count, createdAt: row.created_at.toISOString(),
  };
}

export function runFromRow(row: Row): RunRecord {
  const params = {
    method: row.method, penalty: row.penalty, lambda: row.lambda, kappa: row.kappa,
    noiseSigma: row.noise_sigma ?? row.training?.noiseSigma ?? 'estimate', network: row.network, training: row.training,
  };
  return {
    id: row.id, experimentId: row.experiment_id, status: row.status, progress: row.progress,
    method: row.method, penalty: row.penalty, lambda: row.lambda, kappa: row.kappa, seed: row.seed, params,
    error: row.error, startedAt: iso(row.started_at), finishedAt: iso(row.finished_at), createdAt: row.created_at.toISOString(),
    psnrMmse: row.psnr_mmse, psnrSamples: row.psnr_samples, ssim: row.ssim, modelId: row.model_id ?? null,
  };
}

export function createPgRepository(pool: Pool): Repository {
  async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async function experimentWithRuns(id: string, created: boolean) {
    const experiment = (await pool.query('SELECT * FROM experiments WHERE id = $1', [id])).rows[0];
    const runs = (await pool.query('SELECT * FROM runs WHERE experiment_id = $1 ORDER BY ordinal', [id])).rows;
    return { experiment: experimentFromRow(experiment), runs: runs.map(runFromRow), created };
  }

  return {
    async createDataset(d) {
      const { rows } = await pool.query(
        `INSERT INTO datasets (id, name, source, count, height, width, dtype, stats, sha256, noisy_key, gt_key, psf_key, psf_height, psf_width,
           pixel_size_nm, noise_sigma, noise_sigma_source, meta)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING *`,
        [d.id, d.name, d.source, d.count, d.height, d.width, d.dtype, d.stats, d.sha256, d.noisyKey, d.gtKey, d.psfKey,
          d.psfShape?.[0] ?? null, d.psfShape?.[1] ?? null, d.pixelSizeNm, d.noiseSigma, d.noiseSigma === null ? null : 'given', d.meta]);
      return datasetFromRow(rows[0]);
    },
    async getDataset(id) {
      if (!isUuid(id)) return null;
      const { rows } = await pool.query('SELECT * FROM datasets WHERE id = $1', [id]);
      return rows[0] ? datasetFromRow(rows[0]) : null;
    },
    async listDatasets(limit, afterId) {
      const { rows } = await pool.query(
        `SELECT * FROM datasets WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`, [afterId && isUuid(afterId) ? afterId : null, limit]);
      return rows.map(datasetFromRow);
    },

    async createExperiment(e: NewExperiment) {
      const id = randomUUID();
      const inserted = await transaction(async (client) => {
        const { rows } = await client.query(
          `INSERT INTO experiments (id, dataset_id, spec, sweep, idempotency_key, run_count) VALUES ($1,$2,$3,$4,$5,$6)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
          [id, e.datasetId, e.spec, e.sweep, e.idempotencyKey, e.runs.length]);
        if (rows.length === 0) return false;
        // One multi-row INSERT for all runs, in sweep order (ordinal).
        const values: unknown[] = [];
        const columns = 11;
        const tuples = e.runs.map((run, i) => {
          values.push(randomUUID(), id, i, run.method, run.penalty, run.lambda, run.kappa, run.training.seed,
            typeof run.noiseSigma === 'number' ? run.noiseSigma : null, run.network, run.training);
          return `(${Array.from({ length: columns }, (_, c) => `$${i * columns + c + 1}`).join(',')})`;
        });
        await client.query(
          `INSERT INTO runs (id, experiment_id, ordinal, method, penalty, lambda, kappa, seed, noise_sigma, network, training) VALUES ${tuples.join(',')}`, values);
        return true;
      });
      if (inserted) return experimentWithRuns(id, true);
      const { rows } = await pool.query('SELECT id FROM experiments WHERE idempotency_key = $1', [e.idempotencyKey]);
      return experimentWithRuns(rows[0].id, false);
    },
    async getExperiment(id) {
      if (!isUuid(id)) return null;
      const { rows } = await pool.query('SELECT * FROM experiments WHERE id = $1', [id]);
      return rows[0] ? experimentFromRow(rows[0]) : null;
    },
    async listExperiments(limit, afterId, datasetId) {
      if (datasetId !== undefined && !isUuid(datasetId)) return [];
      const { rows } = await pool.query(
        `SELECT * FROM experiments WHERE ($1::uuid IS NULL OR id > $1::uuid) AND ($2::uuid IS NULL OR dataset_id = $2::uuid) ORDER BY id LIMIT $3`,
        [afterId && isUuid(afterId) ? afterId : null, datasetId ?? null, limit]);
      return rows.map(experimentFromRow);
    },
    async cancelExperiment(id) {
      return transaction(async (client) => {
        const { rows } = await client.query(
          `UPDATE runs SET status = 'cancelled', finished_at = now() WHERE experiment_id = $1 AND status IN ('queued','running') RETURNING id`, [id]);
        await client.query(`UPDATE experiments SET status = 'cancelled' WHERE id = $1 AND status IN ('queued','running')`, [id]);
        return rows.map((r) => r.id as string);
      });
    },
    async deleteExperiment(id) {
      await pool.query('DELETE FROM experiments WHERE id = $1', [id]);
    },

    async listRuns(query) {
      const { text, values } = buildRunPageSql(query);
      return (await pool.query(text, values)).rows.map((row) => ({
        ...runFromRow(row), sortKey: row.sort_key instanceof Date ? row.sort_key.toISOString() : (row.sort_key as number | null),
      }));
    },
    async runStatusCounts(experimentId) {
      if (!isUuid(experimentId)) return {};
      const { rows } = await pool.query('SELECT status, count(*)::int AS n FROM runs WHERE experiment_id = $1 GROUP BY status', [experimentId]);
      return Object.fromEntries(rows.map((row) => [row.status as string, row.n as number]));
    },
    async getRun(id) {
      if (!isUuid(id)) return null;
      const { rows } = await pool.query(
        `SELECT r.*, (SELECT m.id FROM models m WHERE m.run_id = r.id) AS model_id FROM runs r WHERE r.id = $1`, [id]);
      return rows[0] ? runFromRow(rows[0]) : null;
    },
    async lossPoints(runId) {
      const { rows } = await pool.query('SELECT step, total, data_term AS data, kl, penalty, beta FROM loss_points WHERE run_id = $1 ORDER BY step', [runId]);
      return rows as LossPoint[];
    },
    async metrics(runId) {
      const { rows } = await pool.query('SELECT * FROM metrics WHERE run_id = $1 ORDER BY image_set', [runId]);
      return rows.map((r): MetricRecord => ({
        runId: r.run_id, imageSet: r.image_set, psnrMmse: r.psnr_mmse, psnrSamples: r.psnr_samples, ssim: r.ssim,
        samples: r.samples, discrepancy: r.discrepancy, meanStd: r.mean_std, createdAt: r.created_at.toISOString(),
      }));
    },
    async baselines(datasetId) {
      const { rows } = await pool.query('SELECT * FROM baselines WHERE dataset_id = $1 ORDER BY method, image_set', [datasetId]);
      return rows.map((r) => ({ datasetId: r.dataset_id, method: r.method, imageSet: r.image_set, psnr: r.psnr, ssim: r.ssim, params: r.params }));
    },
    async getModel(id) {
      if (!isUuid(id)) return null;
      const { rows } = await pool.query('SELECT * FROM models WHERE id = $1', [id]);
      const r = rows[0];
      return r ? ({ id: r.id, runId: r.run_id, onnxKey: r.onnx_key, packageKey: r.package_key, sizeBytes: num(r.size_bytes), meta: r.meta, createdAt: r.created_at.toISOString() } satisfies ModelRecord) : null;
    },

    async ping() {
      await pool.query('SELECT 1');
    },
    async jobDurations() {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS count, coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)::float8 AS sum,
                coalesce(max(extract(epoch FROM finished_at - started_at)), 0)::float8 AS max
         FROM runs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND finished_at > now() - interval '1 day'`);
      return { train: { count: rows[0].count, sumSeconds: rows[0].sum, maxSeconds: rows[0].max } };
    },
  };
}

/** Ids are uuids: anything else is an unknown id (404), not a database error (500). */
export function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}
