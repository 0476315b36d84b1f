import { InvalidBlobKeyError } from './errors.ts';

/** S3's "safe" characters plus the few that need no escaping on a POSIX filesystem. */
const SEGMENT = /^[A-Za-z0-9_(!'*)&$@=;:+,~ -][A-Za-z0-9._(!'*)&$@=;:+,~ -]*$/;
const MAX_KEY_BYTES = 1024;

/**
 * Checks a blob key: `/`-separated segments, none empty, none starting with `.` (so no `..`, no
 * hidden files, no clash with the local store's `.tmp`), no leading `/`, at most 1024 UTF-8 bytes
 * (S3's limit). The same rule in both stores keeps a key portable between them.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError(String(key), 'empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new InvalidBlobKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw new InvalidBlobKeyError(key, 'empty path segment (leading, trailing or double "/")');
    if (segment.startsWith('.')) throw new InvalidBlobKeyError(key, 'a segment starts with "." (no "..", no hidden names)');
    if (!SEGMENT.test(segment)) throw new InvalidBlobKeyError(key, 'characters outside A-Z a-z 0-9 and . _ - ( ) ! \' * & $ @ = ; : + , ~ space');
  }
}

/** A list prefix is a key or the start of one: the same rule, but it may be empty or end with `/`. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
