/** A readiness check (/readyz of both services) that does not answer within this reads as down: a dependency that hangs must not hang the probe. */
export const READINESS_TIMEOUT_MS = 2000;

/** A call to another server that did not answer in time. */
export class DeadlineError extends Error {
  readonly code = 'DEADLINE_EXCEEDED';
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = new.target.name;
  }
}

/**
 * `work`, or a `DeadlineError` after `ms`: the bound on a call whose client has none of its own
 * (a BullMQ add waits for its connection to be ready, however long that takes). `work` itself is
 * not stopped; the caller decides what an unanswered call means.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms); });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
