/** The project a request's key is limited to, as the lists' `projectId` filter takes it: undefined for a lab-wide key. */
import type { FastifyRequest } from 'fastify';

export function projectScope(request: FastifyRequest): string | undefined {
  return request.apiKey?.projectId ?? undefined;
}

/** The project a row created by this request belongs to: the key's, or null (the lab's) for a lab-wide key. */
export function projectOfNewRows(request: FastifyRequest): string | null {
  return request.apiKey?.projectId ?? null;
}
