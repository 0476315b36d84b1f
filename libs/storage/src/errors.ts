/**
 * Typed errors of the storage library; the API maps `BlobNotFoundError` to 404 and the other
 * `StorageError`s with `status` 4xx to that status. Anything else from a store is a 5xx.
 */
export class StorageError extends Error {
  /** Stable machine-readable code, e.g. `BLOB_NOT_FOUND`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No blob under that key (or no such bucket for an s3:// URI). */
export class BlobNotFoundError extends StorageError {
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super('BLOB_NOT_FOUND', `no blob at "${key}"`, options);
    this.key = key;
  }
}

/** A key that could escape the store's root or that S3 and a filesystem would not both accept. */
export class InvalidBlobKeyError extends StorageError {
  constructor(key: string, reason: string) {
    super('BLOB_KEY_INVALID', `invalid blob key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
  }
}

/** A byte range that starts past the end of the blob or is negative. */
export class BlobRangeError extends StorageError {
  constructor(message: string) {
    super('BLOB_RANGE_INVALID', message);
  }
}

/** Not an `s3://bucket/key` URI. */
export class InvalidS3UriError extends StorageError {
  constructor(uri: string, reason: string) {
    super('S3_URI_INVALID', `invalid S3 URI ${JSON.stringify(uri.slice(0, 200))}: ${reason}`);
  }
}

/** True when `head` finds the blob, false when it throws `BlobNotFoundError`; other errors propagate. */
export async function existsByHead(head: () => Promise<unknown>): Promise<boolean> {
  try {
    await head();
    return true;
  } catch (error) {
    if (error instanceof BlobNotFoundError) return false;
    throw error;
  }
}
