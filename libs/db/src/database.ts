/**
 * The apps' one way to Postgres: every query of the API, the trainer and the inference worker is a
 * method of a repository here (one concept per file under repositories/), on Prisma; raw SQL only
 * where Prisma cannot say it, typed and parameterised (`Prisma.sql`, run-page.ts).
 */
import type { Config } from '@divblur/config';
import { createDbWithPool, type Db, type DbOptions } from './client.ts';
import { baselineRepository } from './repositories/baselines.ts';
import { batchRepository } from './repositories/batches.ts';
import { checkpointRepository } from './repositories/checkpoints.ts';
import { datasetRepository } from './repositories/datasets.ts';
import { experimentRepository } from './repositories/experiments.ts';
import { lossPointRepository } from './repositories/loss-points.ts';
import { metricRepository } from './repositories/metrics.ts';
import { modelRepository } from './repositories/models.ts';
import { runRepository } from './repositories/runs.ts';
import { projectRepository } from './repositories/projects.ts';
import { apiKeyRepository } from './repositories/api-keys.ts';
import { auditEventRepository } from './repositories/audit-events.ts';
import { resourceProjectRepository } from './repositories/resource-projects.ts';

export function createRepositories(db: Db) {
  return {
    datasets: datasetRepository(db),
    experiments: experimentRepository(db),
    runs: runRepository(db),
    lossPoints: lossPointRepository(db),
    checkpoints: checkpointRepository(db),
    models: modelRepository(db),
    metrics: metricRepository(db),
    baselines: baselineRepository(db),
    batches: batchRepository(db),
    projects: projectRepository(db),
    apiKeys: apiKeyRepository(db),
    auditEvents: auditEventRepository(db),
    resourceProjects: resourceProjectRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

export interface Database extends Repositories {
  /**
   * A round trip on the driver's pool, for readiness: a server that is down fails with the
   * driver's own error (`connect ECONNREFUSED 127.0.0.1:5432`), not Prisma's wrapping of it.
   */
  ping(): Promise<void>;
  /** Closes the pool. */
  close(): Promise<void>;
  /** The Prisma client under the repositories (for tests that inspect rows). */
  readonly prisma: Db;
}

export function openDatabase(config: Pick<Config, 'databaseUrl'>, options: DbOptions = {}): Database {
  const { db, pool } = createDbWithPool(config, options);
  return {
    ...createRepositories(db),
    prisma: db,
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await db.$disconnect();
      // Prisma ends the pool only if it opened it; a process that only pinged still holds a client.
      if (!pool.ended) await pool.end();
    },
  };
}
