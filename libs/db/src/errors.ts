/** Typed errors of the database library. */
export class DbError extends Error {
  /** Stable machine-readable code, e.g. `MIGRATION_CHECKSUM_MISMATCH`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The migrations on disk and in the database disagree (an applied file was edited, an applied
 * migration is unknown to this code, a new one sorts before an applied one), or one failed.
 * The database is left as it was before the failing migration (each runs in a transaction).
 */
export class MigrationError extends DbError {}

/**
 * Why `error` means that Postgres cannot be reached or cannot serve now (refused, timed out,
 * connection lost, shutting down, too many connections, a statement cancelled by its timeout), or
 * null for any other error. Read through Prisma's wrapping (its P1xxx codes, the driver adapter's
 * error kinds) and the driver's own errors (what `ping()` and an unwrapped pool error throw), so
 * that a caller can answer 503 instead of 500. The text names no host or credential.
 */
export function databaseUnavailableReason(error: unknown): string | null {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { code?: unknown; errorCode?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: unknown } }; cause?: unknown };
    const prismaCode = typeof e.code === 'string' ? e.code : typeof e.errorCode === 'string' ? e.errorCode : undefined;
    if (prismaCode !== undefined && PRISMA_UNAVAILABLE.has(prismaCode)) return `postgres is unavailable (${prismaCode})`;
    const adapterCause = e.meta?.driverAdapterError?.cause ?? ((e as { name?: unknown }).name === 'DriverAdapterError' ? e.cause : undefined);
    const reason = adapterReason(adapterCause);
    if (reason !== null) return reason;
    if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return `postgres is unavailable (${e.code})`;
    if (typeof e.message === 'string' && DRIVER_MESSAGES.test(e.message)) return `postgres is unavailable (${e.message.replace(/\s+/g, ' ').slice(0, 80)})`;
    current = e.cause;
  }
  return null;
}

/** Prisma's connection errors: can't reach, timed out, operations timed out, connection closed, pool timeout. */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
/** SQLSTATE class 08 (connection), 53 (insufficient resources), 57P01–57P03 (shutting down, cannot connect now), 57014 (statement timeout). */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[1-3]|57014)$/;
/** What pg throws itself: its connect timeout, a connection ended under a query, a client in a broken state. */
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection timeout|Connection ended|Client has encountered a connection error|Client was closed/i;
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist']);

function adapterReason(cause: unknown): string | null {
  if (cause === null || typeof cause !== 'object') return null;
  const { kind, code } = cause as { kind?: unknown; code?: unknown; originalCode?: unknown };
  if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return `postgres is unavailable (${kind})`;
  const sqlstate = typeof code === 'string' ? code : (cause as { originalCode?: unknown }).originalCode;
  if (kind === 'postgres' && typeof sqlstate === 'string' && UNAVAILABLE_SQLSTATE.test(sqlstate)) return `postgres is unavailable (SQLSTATE ${sqlstate})`;
  return null;
}
