/** The audit trail: one row per state-changing call of either service (who, which route, on what, with what result). */
import type { Db } from '../client.ts';
import type { AuditEvent, Prisma } from '../../generated/prisma/client.ts';
import { isUuid } from './uuid.ts';
import { afterCreated, createdOrder, type CreatedPage } from './created-page.ts';

export type AuditResult = 'succeeded' | 'refused' | 'failed';

export interface NewAuditEvent {
  keyId: string | null;
  service: string;
  method: string;
  route: string;
  targetId: string | null;
  statusCode: number;
  requestId: string;
}

export interface AuditEventRecord extends NewAuditEvent { id: string; result: AuditResult; createdAt: string }

export interface AuditFilter {
  keyId?: string; route?: string; method?: string; targetId?: string; result?: AuditResult;
  /** ISO times, inclusive / exclusive. */
  since?: string; until?: string;
}

export function auditResultOf(statusCode: number): AuditResult {
  if (statusCode >= 500) return 'failed';
  return statusCode >= 400 ? 'refused' : 'succeeded';
}

function auditEventRecord(row: AuditEvent): AuditEventRecord {
  return {
    id: row.id, keyId: row.keyId, service: row.service, method: row.method, route: row.route, targetId: row.targetId,
    statusCode: row.statusCode, result: row.result as AuditResult, requestId: row.requestId, createdAt: row.createdAt.toISOString(),
  };
}

export function auditEventRepository(db: Db) {
  return {
    async record(event: NewAuditEvent): Promise<void> {
      await db.auditEvent.create({ data: { ...event, result: auditResultOf(event.statusCode) } });
    },
    /** Newest first (unless `descending: false`), keyset-paginated, filtered. */
    async list(limit: number, filter: AuditFilter, page: CreatedPage = {}): Promise<AuditEventRecord[]> {
      if (filter.keyId !== undefined && !isUuid(filter.keyId)) return [];
      const createdAt: Prisma.DateTimeFilter = {
        ...(filter.since === undefined ? {} : { gte: new Date(filter.since) }),
        ...(filter.until === undefined ? {} : { lt: new Date(filter.until) }),
      };
      const rows = await db.auditEvent.findMany({
        where: {
          AND: [afterCreated(page), {
            ...(filter.keyId === undefined ? {} : { keyId: filter.keyId }),
            ...(filter.route === undefined ? {} : { route: filter.route }),
            ...(filter.method === undefined ? {} : { method: filter.method }),
            ...(filter.targetId === undefined ? {} : { targetId: filter.targetId }),
            ...(filter.result === undefined ? {} : { result: filter.result }),
            ...(Object.keys(createdAt).length === 0 ? {} : { createdAt }),
          }],
        },
        orderBy: createdOrder(page), take: limit,
      });
      return rows.map(auditEventRecord);
    },
  };
}

export type AuditEventRepository = ReturnType<typeof auditEventRepository>;
