/** Projects: groups of a lab's work; a dataset (and all that is made from it) and an API key may belong to one. */
import type { Db } from '../client.ts';
import type { Project } from '../../generated/prisma/client.ts';
import { isUuid } from './uuid.ts';

export interface ProjectRecord { id: string; name: string; createdAt: string }

export function projectRecord(row: Project): ProjectRecord {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString() };
}

export function projectRepository(db: Db) {
  return {
    /** The project of that name, created if there is none (two callers at once get the same row). */
    async ensure(name: string): Promise<ProjectRecord> {
      return projectRecord(await db.project.upsert({ where: { name }, create: { name }, update: {} }));
    },
    async get(id: string): Promise<ProjectRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.project.findUnique({ where: { id } });
      return row === null ? null : projectRecord(row);
    },
    async byName(name: string): Promise<ProjectRecord | null> {
      const row = await db.project.findUnique({ where: { name } });
      return row === null ? null : projectRecord(row);
    },
  };
}

export type ProjectRepository = ReturnType<typeof projectRepository>;
