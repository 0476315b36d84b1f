import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  sizeBytes: number;
  lastModified?: Date;
}

export interface PutResult {
  key: string;
  sizeBytes: number;
  /** Hex SHA-256 of the bytes written, computed while streaming. */
  sha256: string;
}

/** A byte window of a blob: `lengthBytes` absent reads to the end. */
export interface ByteRange {
  offsetBytes: number;
  lengthBytes?: number;
}

export interface PutOptions {
  contentType?: string;
}

/**
 * Where datasets, checkpoints and models live. Keys are portable `/`-paths (see `assertValidKey`).
 *
 * `put` is atomic: readers see the old blob or the whole new one, and a failed upload (the
 * source stream errors, the connection drops) leaves nothing under the key.
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: Buffer | Uint8Array | Readable, options?: PutOptions): Promise<PutResult>;
  /** A stream of the blob (or of `range`); throws `BlobNotFoundError` before any byte if absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  getBuffer(key: string, range?: ByteRange): Promise<Buffer>;
  /** Throws `BlobNotFoundError` if absent. */
  head(key: string): Promise<BlobInfo>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Every blob whose key starts with `prefix`, in ascending key order. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Deletes every blob under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** A URI for people and logs: `file:///…` or `s3://bucket/key`. */
  uri(key: string): string;
  close(): Promise<void>;
}
