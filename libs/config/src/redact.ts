import { stdSerializers } from 'pino';

export const REDACTED = '[Redacted]';

/**
 * Keys whose values are secrets wherever they appear. Blob keys (`noisyKey`) are not secrets,
 * so a bare `key` does not match; `accessKey`, `apiKey`, `privateKey` do; so do the query
 * parameters of presigned URLs (`X-Amz-Credential`, `X-Amz-Signature`, `X-Amz-Security-Token`).
 */
const SECRET_KEY = /pass(word|wd)?$|passphrase|secret|token|authorization|cookie|api[-_]?key|access[-_]?key|private[-_]?key|credential|signature|session[-_]?id/i;

/** `scheme://user:password@host` → `scheme://user:[Redacted]@host`; also a lone `scheme://token@host`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"']*)(?::([^\s/?#@"']*))?@/gi;

/**
 * An API key (libs/http's api-key.ts writes them `dbk_<lookup id>_<secret>`), or any piece of text that starts like
 * one: hidden whole wherever it appears (a header echoed in an error message, a key pasted into a name field).
 */
const API_KEY = /\bdbk_[0-9A-Za-z_-]*/g;

export function redactApiKeys(text: string): string {
  return text.replace(API_KEY, REDACTED);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Hides the password (or a lone token) of every URL in `text`; leaves the user name visible. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, (match, scheme: string, user: string, password: string | undefined) => {
    if (password !== undefined) return `${scheme}${user}:${REDACTED}@`;
    // `https://token@host` (no colon): a user name or a token, there is no telling; hide it.
    return user === '' ? match : `${scheme}${REDACTED}@`;
  });
}

/**
 * A copy of `value` with every secret hidden: values under secret-looking keys, URL credentials
 * inside strings, and the same inside errors (serialized first, so `message` and `stack` are scrubbed).
 */
export function redactSecrets(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactApiKeys(redactUrlCredentials(value));
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) return redactSecrets(stdSerializers.err(value), seen);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, seen));
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof URL) {
    return value instanceof URL ? redactUrlCredentials(value.href) : value;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && child !== undefined && child !== null ? REDACTED : redactSecrets(child, seen);
  }
  return copy;
}

/** `"someKey":"value"` inside a JSON line, the value with escapes. */
const JSON_STRING_MEMBER = /"((?:[^"\\]|\\.)*)":"((?:[^"\\]|\\.)*)"/g;

/**
 * The last line of defence on a serialized JSON log line: URL credentials and API keys anywhere, and string
 * values under secret-looking keys (this also covers child-logger bindings, which pino serializes
 * once at `child()` time, out of reach of `formatters.log`).
 */
export function redactJsonLine(line: string): string {
  return redactApiKeys(redactUrlCredentials(line)).replace(JSON_STRING_MEMBER, (member, key: string) =>
    isSecretKey(key) ? `"${key}":"${REDACTED}"` : member,
  );
}
