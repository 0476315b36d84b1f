/**
 * API keys: a name, scopes, an optional project, and the scrypt hash of the secret part (libs/http's api-key.ts
 * makes and checks keys; nothing here sees a secret). Found by the key's public lookup id; revoked, never deleted.
 */
import type { Db } from '../client.ts';
import type { ApiKey, ApiScope, Project } from '../../generated/prisma/client.ts';
import { isUuid } from './uuid.ts';
import { afterCreated, createdOrder, type CreatedPage } from './created-page.ts';

export type { ApiScope };

export interface NewApiKey {
  name: string;
  lookupId: string;
  secretHash: string;
  scopes: readonly ApiScope[];
  projectId: string | null;
  createdById: string | null;
}

/** A key as listed: everything but its hash. */
export interface ApiKeyRecord {
  id: string; name: string; lookupId: string; scopes: ApiScope[];
  projectId: string | null; projectName: string | null; createdById: string | null;
  createdAt: string; lastUsedAt: string | null; revokedAt: string | null;
}

/** What a request's authentication needs: the record and the hash to check the secret against. */
export interface ApiKeyCredential extends ApiKeyRecord { secretHash: string }

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function apiKeyRecord(row: ApiKey & { project: Project | null }): ApiKeyRecord {
  return {
    id: row.id, name: row.name, lookupId: row.lookupId, scopes: row.scopes, projectId: row.projectId, projectName: row.project?.name ?? null,
    createdById: row.createdById, createdAt: row.createdAt.toISOString(), lastUsedAt: iso(row.lastUsedAt), revokedAt: iso(row.revokedAt),
  };
}

export function apiKeyRepository(db: Db) {
  return {
    async create(key: NewApiKey): Promise<ApiKeyRecord> {
      const row = await db.apiKey.create({ data: { ...key, scopes: [...key.scopes] }, include: { project: true } });
      return apiKeyRecord(row);
    },
    /** The key with this lookup id, revoked or not, with its hash; null when there is none. */
    async credential(lookupId: string): Promise<ApiKeyCredential | null> {
      const row = await db.apiKey.findUnique({ where: { lookupId }, include: { project: true } });
      return row === null ? null : { ...apiKeyRecord(row), secretHash: row.secretHash };
    },
    async get(id: string): Promise<ApiKeyRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.apiKey.findUnique({ where: { id }, include: { project: true } });
      return row === null ? null : apiKeyRecord(row);
    },
    /** Newest first (unless `descending: false`), keyset-paginated; revoked ones only with `revoked: true`. */
    async list(limit: number, page: CreatedPage & { revoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
      const rows = await db.apiKey.findMany({
        where: { ...afterCreated(page), ...(page.revoked ? {} : { revokedAt: null }) },
        orderBy: createdOrder(page), take: limit, include: { project: true },
      });
      return rows.map(apiKeyRecord);
    },
    /** Revokes the key now; false when it does not exist or was revoked already (the first revocation's time stays). */
    async revoke(id: string): Promise<boolean> {
      if (!isUuid(id)) return false;
      const { count } = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      return count === 1;
    },
    /** Records a use at `at` unless one within `resolutionMs` before it is recorded already (one write a minute, not one per request). */
    async touch(id: string, at: Date, resolutionMs: number): Promise<void> {
      await db.apiKey.updateMany({
        where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - resolutionMs) } }] },
        data: { lastUsedAt: at },
      });
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof apiKeyRepository>;
