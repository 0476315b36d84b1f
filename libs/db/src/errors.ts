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
