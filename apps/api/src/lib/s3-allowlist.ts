/**
 * Where a user-given s3:// URI may be read from (libs/config's S3_IMPORT_ALLOW): a bucket and key prefix of the
 * allowlist, never the service's own blob bucket. Checked before any request to S3, so that the answer for a URI
 * outside it is the same whether the object exists or not.
 */
import type { S3ImportLocation } from '@divblur/config';
import { parseS3Prefix, type S3Sources } from '@divblur/storage';
import { ApiError } from './errors.ts';

export interface S3Allowlist {
  readonly locations: readonly S3ImportLocation[];
  /** The service's blob bucket (BLOB_STORE=s3): refused even if a location names it. */
  readonly ownBucket?: string;
}

/** Whether `key` (an object, or a listing prefix) in `bucket` lies inside the allowlist. */
export function isS3Allowed(allowlist: S3Allowlist, bucket: string, key: string): boolean {
  if (bucket === allowlist.ownBucket) return false;
  return allowlist.locations.some((location) => location.bucket === bucket && key.startsWith(location.prefix));
}

export function s3NotAllowed(uri: string): ApiError {
  return new ApiError(403, 'S3_LOCATION_NOT_ALLOWED', `${uri} is not in a location this service imports from (S3_IMPORT_ALLOW); ask the lab's admin to allow its bucket and prefix`);
}

/** A batch's `s3://bucket/prefix/` inputs, listed only inside the allowlist (403 before any S3 request otherwise). */
export function allowlistedListing(sources: Pick<S3Sources, 'list'>, allowlist: S3Allowlist): S3Sources['list'] {
  return async (prefixUri) => {
    const { bucket, key } = parseS3Prefix(prefixUri);
    if (!isS3Allowed(allowlist, bucket, key)) throw s3NotAllowed(prefixUri);
    return sources.list(prefixUri);
  };
}
