/**
 * A dependency (Postgres, Redis) that cannot be reached or did not answer in time is the server's
 * temporary condition, not a bug and not the client's fault: 503 with Retry-After and the reason,
 * in the one error shape, instead of a 500 or a hang. Each library says which of its errors mean
 * that (`databaseUnavailableReason` in libs/db, `redisUnavailableReason` in libs/queue); a service
 * passes those probes, named after the dependency, to `asServiceUnavailable`.
 */

/** What a client is told to wait before retrying: long enough for a restart or a failover, short for a LIMS's retry loop. */
export const RETRY_AFTER_SECONDS = 5;

export class ServiceUnavailableError extends Error {
  readonly statusCode = 503;
  /** `POSTGRES_UNAVAILABLE`, `REDIS_UNAVAILABLE`, … */
  readonly code: string;
  constructor(readonly dependency: string, reason: string, readonly retryAfterSeconds = RETRY_AFTER_SECONDS) {
    super(`${reason}; retry after ${retryAfterSeconds} s`);
    this.name = new.target.name;
    this.code = `${dependency.toUpperCase()}_UNAVAILABLE`;
  }
}

/** Why an error means the dependency is unavailable, or null. */
export type UnavailabilityProbe = (error: unknown) => string | null;

/**
 * The `ServiceUnavailableError` that `error` amounts to, or null: one already made, a probe's
 * match, or a deadline (libs/config's `DeadlineError`, code DEADLINE_EXCEEDED) on a call named
 * after a probed dependency.
 */
export function asServiceUnavailable(error: unknown, probes: Readonly<Record<string, UnavailabilityProbe>>): ServiceUnavailableError | null {
  if (error instanceof ServiceUnavailableError) return error;
  const deadline = error as { code?: unknown; what?: unknown; message?: unknown } | null;
  if (deadline?.code === 'DEADLINE_EXCEEDED' && typeof deadline.what === 'string' && deadline.what in probes) {
    return new ServiceUnavailableError(deadline.what, `${deadline.message}`);
  }
  for (const [dependency, probe] of Object.entries(probes)) {
    const reason = probe(error);
    if (reason !== null) return new ServiceUnavailableError(dependency, reason);
  }
  return null;
}
