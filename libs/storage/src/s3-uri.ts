import { InvalidS3UriError } from './errors.ts';
import { assertValidKey } from './blob-key.ts';

export interface S3Location {
  bucket: string;
  key: string;
}

/** Bucket naming rules of S3 (general purpose buckets): 3–63 chars, lowercase, digits, `.` and `-`. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/path/to/key` → `{ bucket, key }`. Percent-escapes in the key are decoded. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/i.exec(uri);
  if (match === null) throw new InvalidS3UriError(uri, 'expected s3://bucket/key');
  const [, bucket, rawKey] = match;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new InvalidS3UriError(uri, `"${bucket}" is not a valid bucket name (3–63 of a-z 0-9 . -)`);
  }
  let key: string;
  try {
    key = decodeURIComponent(rawKey);
  } catch {
    throw new InvalidS3UriError(uri, 'malformed percent-escape in the key');
  }
  try {
    assertValidKey(key);
  } catch (error) {
    throw new InvalidS3UriError(uri, (error as Error).message);
  }
  return { bucket, key };
}

export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}
