/**
 * Objects named by user-given s3:// URIs, read with the S3 endpoint and credentials of the configuration (the lab's
 * MinIO, or AWS with the default chain): a batch's `s3://bucket/prefix/` inputs are listed by the API and read by
 * the inference workers. One client per bucket, created on first use.
 */
import type { BlobInfo } from './blob-store.ts';
import { assertValidPrefix } from './blob-key.ts';
import { InvalidS3UriError } from './errors.ts';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.ts';
import { formatS3Uri, parseS3Uri, type S3Location } from './s3-uri.ts';

export type S3Connection = Omit<S3BlobStoreOptions, 'bucket' | 'partSizeBytes'>;

export interface S3Sources {
  /** Every object under `s3://bucket/prefix` (key order), with its URI. */
  list(prefixUri: string): Promise<(BlobInfo & { uri: string })[]>;
  /** The object's bytes; `BlobNotFoundError` when it (or its bucket) is absent. */
  read(uri: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** `s3://bucket/some/prefix/` → `{ bucket, key: 'some/prefix/' }` (the key may be empty or end in `/`). */
export function parseS3Prefix(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (match === null) throw new InvalidS3UriError(uri, 'expected s3://bucket/prefix/');
  const bucket = parseS3Uri(`s3://${match[1]}/x`).bucket;
  try {
    assertValidPrefix(match[2]);
  } catch (error) {
    throw new InvalidS3UriError(uri, (error as Error).message);
  }
  return { bucket, key: match[2] };
}

export function createS3Sources(connection: S3Connection): S3Sources {
  const stores = new Map<string, S3BlobStore>();
  const storeOf = (bucket: string) => {
    let store = stores.get(bucket);
    if (!store) {
      store = new S3BlobStore({ ...connection, bucket });
      stores.set(bucket, store);
    }
    return store;
  };
  return {
    async list(prefixUri) {
      const { bucket, key } = parseS3Prefix(prefixUri);
      const found: (BlobInfo & { uri: string })[] = [];
      for await (const blob of storeOf(bucket).list(key)) found.push({ ...blob, uri: formatS3Uri({ bucket, key: blob.key }) });
      return found;
    },
    async read(uri) {
      const { bucket, key } = parseS3Uri(uri);
      return storeOf(bucket).getBuffer(key);
    },
    async close() {
      await Promise.all([...stores.values()].map((store) => store.close()));
    },
  };
}
