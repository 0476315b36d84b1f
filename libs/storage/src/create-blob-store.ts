import type { BlobStoreConfig } from '@divblur/config';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';

/** The store the configuration names (`BLOB_STORE=local|s3`). */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  if (config.kind === 'local') return new LocalBlobStore(config.dir);
  return new S3BlobStore(config);
}
