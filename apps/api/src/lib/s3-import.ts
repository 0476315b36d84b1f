/**
 * Reads a user-given `s3://bucket/key` with the S3 endpoint and credentials of the configuration
 * (the lab's MinIO, or AWS with the default chain). One client per bucket, created on first use.
 * Only inside the allowlist (s3-allowlist.ts): a URI outside it is a 403 before S3 is asked
 * anything. What S3 says about an allowed URI — no such bucket or key, access denied, a bucket
 * elsewhere — is a 400 that names the URI; a store that cannot be reached stays a server error.
 */
import { BlobNotFoundError, parseS3Uri, S3BlobStore, type S3BlobStoreOptions } from '@divblur/storage';
import { ApiError, BadRequestError } from './errors.ts';
import { isS3Allowed, s3NotAllowed, type S3Allowlist } from './s3-allowlist.ts';

export type S3Connection = Omit<S3BlobStoreOptions, 'bucket' | 'partSizeBytes'>;

export interface S3Importer {
  read(uri: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** S3's answer about a URI as the client's error, or undefined when it is not about the URI. */
function uriError(uri: string, error: unknown): ApiError | undefined {
  if (error instanceof BlobNotFoundError) return new BadRequestError('S3_OBJECT_NOT_FOUND', `${uri} does not exist (no such bucket, or no such key in it)`);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 403) return new BadRequestError('S3_ACCESS_DENIED', `${uri} cannot be read with the service's S3 credentials (access denied)`);
  if (status === 301 || status === 400) return new BadRequestError('S3_BUCKET_UNREACHABLE', `${uri}: S3 refused the request for this bucket (HTTP ${status}: another region or an invalid name?)`);
  return undefined;
}

export function createS3Importer(connection: S3Connection, maxBytes: number, allowlist: S3Allowlist): S3Importer {
  const stores = new Map<string, S3BlobStore>();
  return {
    async read(uri) {
      const { bucket, key } = parseS3Uri(uri);
      if (!isS3Allowed(allowlist, bucket, key)) throw s3NotAllowed(uri);
      let store = stores.get(bucket);
      if (!store) { store = new S3BlobStore({ ...connection, bucket }); stores.set(bucket, store); }
      try {
        const info = await store.head(key);
        if (info.sizeBytes > maxBytes) {
          throw new ApiError(413, 'S3_OBJECT_TOO_LARGE', `${uri} is ${info.sizeBytes} bytes, more than the ${maxBytes}-byte limit`);
        }
        return await store.getBuffer(key);
      } catch (error) {
        throw uriError(uri, error) ?? error;
      }
    },
    async close() {
      await Promise.all([...stores.values()].map((s) => s.close()));
    },
  };
}
