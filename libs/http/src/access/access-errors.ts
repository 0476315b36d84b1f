/**
 * The refusals of the access layer, in each service's one error shape (their error handlers map a `statusCode` and
 * a `code`): 401 with `WWW-Authenticate` (RFC 6750) without a key or with a bad one, 403 for a missing scope, 415
 * for a body a cross-site form could send, 429 past a rate limit.
 */
export class AccessError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const REALM = 'divblur';

export const missingKey = () => new AccessError(401, 'API_KEY_MISSING',
  'this route needs an API key: send Authorization: Bearer <key> (an admin makes one with divblur keys create)');
export const invalidKey = () => new AccessError(401, 'API_KEY_INVALID', 'the API key is not valid: unknown, revoked, or not sent as Authorization: Bearer <key>');
export const missingScope = (scope: string) => new AccessError(403, 'SCOPE_MISSING', `this route needs a key with the ${scope} scope`);
export const labWideKeyRequired = () => new AccessError(403, 'LAB_KEY_REQUIRED', 'this route needs an admin key that is not limited to a project');
export const formBodyRefused = (route: string, type: string) => new AccessError(415, 'MEDIA_TYPE_REFUSED',
  `${route} does not take ${type} (a cross-site form can send it): send application/json, or no body`);
export const rateLimited = (limit: number, after: string) => new AccessError(429, 'RATE_LIMITED',
  `more than ${limit} calls of this kind per minute with this key; retry in ${after}`);

/** Too many scrypt hashes of wrong secrets from this address or for this key (hash-attempts.ts); Retry-After says when. */
export class AttemptsLimitedError extends AccessError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'KEY_ATTEMPTS_LIMITED', `too many calls with a wrong secret from this address or for this key; retry in ${retryAfterSeconds} s`);
  }
}
export const attemptsLimited = (retryAfterSeconds: number) => new AttemptsLimitedError(retryAfterSeconds);
