/**
 * What a log line says of an HTTP request and of its reply. Fastify logs `{ req: request }` and
 * `{ res: reply }`, objects whose method, url, ip and statusCode are getters on the prototype: the
 * logger turns them into these plain records before it redacts (a redacted copy keeps only own
 * properties, and the getters would be lost). Idempotent: a record serializes to itself.
 */
import { isSecretKey, REDACTED } from './redact.ts';

export interface RequestRecord {
  method?: string;
  /** Path and query, the values of secret-looking query parameters hidden. */
  url?: string;
  host?: string;
  remoteAddress?: string;
  remotePort?: number;
}

export interface ReplyRecord {
  statusCode?: number;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  remoteAddress?: string;
  remotePort?: number;
  headers?: { host?: string };
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** `/v1/x?token=abc&a=1` → `/v1/x?token=[Redacted]&a=1` (token, signature, credential, api_key…). */
export function redactQuery(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const query = url.slice(start + 1).split('&').map((part) => {
    const equals = part.indexOf('=');
    if (equals < 0) return part;
    let name = part.slice(0, equals);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // a malformed escape: judge the raw name
    }
    return isSecretKey(name) ? `${part.slice(0, equals)}=${REDACTED}` : part;
  });
  return `${url.slice(0, start)}?${query.join('&')}`;
}

export function serializeRequest(request: unknown): RequestRecord | unknown {
  if (request === null || typeof request !== 'object') return request;
  const source = request as RequestLike;
  const record: RequestRecord = {
    method: source.method,
    url: typeof source.url === 'string' ? redactQuery(source.url) : undefined,
    host: source.host ?? source.headers?.host,
    remoteAddress: source.ip ?? source.remoteAddress ?? source.socket?.remoteAddress,
    remotePort: source.remotePort ?? source.socket?.remotePort,
  };
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export function serializeReply(reply: unknown): ReplyRecord | unknown {
  if (reply === null || typeof reply !== 'object') return reply;
  const { statusCode } = reply as { statusCode?: number };
  return statusCode === undefined ? {} : { statusCode };
}

/** The merge object of a log call with `req` and `res` serialized (a shallow copy when there are any). */
export function serializeHttp(object: Record<string, unknown>): Record<string, unknown> {
  if (!('req' in object) && !('res' in object)) return object;
  const copy = { ...object };
  if ('req' in copy) copy.req = serializeRequest(copy.req);
  if ('res' in copy) copy.res = serializeReply(copy.res);
  return copy;
}

/**
 * Fastify's `childLoggerFactory`: the request's logger binds the method and the url (secret query
 * values hidden) beside Fastify's `reqId`, so that every line logged for a request — incoming,
 * handler lines, errors, and 'request completed' with its status code — says which request it is.
 */
export function requestChildLogger<L extends { child(bindings: Record<string, unknown>, options?: object): L }>(
  logger: L, bindings: Record<string, unknown>, options: object | undefined, raw: { method?: string; url?: string },
): L {
  return logger.child({ ...bindings, method: raw.method, url: raw.url === undefined ? undefined : redactQuery(raw.url) }, options);
}
