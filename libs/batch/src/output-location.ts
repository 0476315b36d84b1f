/**
 * Where a batch may write. Until the S3 allowlist exists (the access-control issue), outputs go only to the service's
 * own blob store, under `deconvolutions/`: never among the datasets, models and checkpoints the service itself
 * keeps, and never to a bucket the service was not configured with. Then this is the one place to widen.
 */
import { assertValidPrefix, InvalidBlobKeyError } from '@divblur/storage';
import type { BatchOutput, BatchOutputRequest } from './batch-options.ts';
import { BatchRequestError } from './errors.ts';

/** Every batch output lies under this prefix of the blob store. */
export const OUTPUT_ROOT = 'deconvolutions/';

export interface OutputStore {
  readonly kind: 'local' | 's3';
  /** The bucket of an S3 store. */
  readonly bucket?: string;
  uri(key: string): string;
}

const notAllowed = (message: string) => new BatchRequestError(400, 'OUTPUT_NOT_ALLOWED', message);

/** The output of `request` for batch `batchId`, or a 400 naming what is not allowed. */
export function resolveOutputLocation(request: BatchOutputRequest, batchId: string, store: OutputStore): BatchOutput {
  let prefix = request.to ?? `${OUTPUT_ROOT}${batchId}/`;
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/i.exec(prefix);
  if (s3 !== null) {
    const [, bucket, key] = s3;
    if (store.kind !== 's3' || bucket !== store.bucket) {
      throw notAllowed(`output ${prefix}: outputs go to the service's own store${store.kind === 's3' ? ` (s3://${store.bucket}/${OUTPUT_ROOT}…)` : ''}; other buckets need the S3 allowlist`);
    }
    prefix = key;
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix)) {
    throw notAllowed(`output ${prefix}: give a blob prefix under ${OUTPUT_ROOT} or an s3:// URI`);
  }
  if (!prefix.endsWith('/')) prefix += '/';
  if (!prefix.startsWith(OUTPUT_ROOT) || prefix === OUTPUT_ROOT) {
    throw notAllowed(`output prefix "${prefix}" is not under ${OUTPUT_ROOT}: batches write only there (the service keeps its own data beside it)`);
  }
  try {
    assertValidPrefix(prefix);
  } catch (error) {
    if (error instanceof InvalidBlobKeyError) throw notAllowed(`output prefix: ${error.message}`);
    throw error;
  }
  return { prefix, uri: store.uri(prefix.slice(0, -1)) + '/', dtype: request.dtype };
}
