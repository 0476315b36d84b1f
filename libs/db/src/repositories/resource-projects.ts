/**
 * Which project a resource belongs to, by id, for the access check of a key limited to one project. A dataset
 * carries its project; an experiment belongs to its dataset's, a run to its experiment's, a model to its run's, a
 * batch to its model's: one definition of belonging, followed here and in the lists' filters (`projectId`).
 */
import type { Db } from '../client.ts';
import { isUuid } from './uuid.ts';

export const PROJECT_RESOURCES = ['dataset', 'experiment', 'run', 'model', 'batch'] as const;
export type ProjectResource = typeof PROJECT_RESOURCES[number];

/** `{ projectId }` of the resource (null: the lab's), or null when there is no such resource. */
export type ResourceProject = { projectId: string | null } | null;

export function resourceProjectRepository(db: Db) {
  return {
    async projectOf(kind: ProjectResource, id: string): Promise<ResourceProject> {
      if (!isUuid(id)) return null;
      const dataset = { select: { projectId: true } } as const;
      switch (kind) {
        case 'dataset': {
          return db.dataset.findUnique({ where: { id }, select: { projectId: true } });
        }
        case 'experiment': {
          const row = await db.experiment.findUnique({ where: { id }, select: { dataset } });
          return row === null ? null : { projectId: row.dataset.projectId };
        }
        case 'run': {
          const row = await db.run.findUnique({ where: { id }, select: { experiment: { select: { dataset } } } });
          return row === null ? null : { projectId: row.experiment.dataset.projectId };
        }
        case 'model': {
          const row = await db.model.findUnique({ where: { id }, select: { run: { select: { experiment: { select: { dataset } } } } } });
          return row === null ? null : { projectId: row.run.experiment.dataset.projectId };
        }
        case 'batch': {
          const row = await db.batch.findUnique({ where: { id }, select: { model: { select: { run: { select: { experiment: { select: { dataset } } } } } } } });
          return row === null ? null : { projectId: row.model.run.experiment.dataset.projectId };
        }
      }
    },
  };
}

/** The batches of a project, as a Prisma filter on batches: their model's run's experiment's dataset is the project's (projectOf's 'batch'). */
export function batchesOfProject(projectId: string) {
  return { model: { run: { experiment: { dataset: { projectId } } } } } as const;
}

export type ResourceProjectRepository = ReturnType<typeof resourceProjectRepository>;
