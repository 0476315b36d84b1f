/**
 * Reads a user-given `s3://bucket/key` with the S3 endpoint and credentials of the configuration
 * (the lab's MinIO, or AWS with the default chain). One client per bucket, created on first use.
 */
import { parseS3Uri, S3BlobStore, type S3BlobStoreOptions } from '@divblur/storage';

export type S3Connection = Omit<S3BlobStoreOptions, 'bucket' | 'partSizeBytes'>;

export interface S3Importer {
  read(uri: string): Promise<Buffer>;
  close(): Promise<void>;
}

export function createS3Importer(connection: S3Connection, maxBytes: number): S3Importer {
  const stores = new Map<string, S3BlobStore>();
  return {
    async read(uri) {
      const { bucket, key } = parseS3Uri(uri);
      let store = stores.get(bucket);
      if (!store) { store = new S3BlobStore({ ...connection, bucket }); stores.set(bucket, store); }
      const info = await store.head(key); // BlobNotFoundError (→ 400) when the object or bucket is absent
      if (info.sizeBytes > maxBytes) {
        throw Object.assign(new Error(`${uri} is ${info.sizeBytes} bytes, more than the ${maxBytes}-byte limit`), { statusCode: 413, code: 'S3_OBJECT_TOO_LARGE' });
      }
      return store.getBuffer(key);
    },
    async close() {
      await Promise.all([...stores.values()].map((s) => s.close()));
    },
  };
}
