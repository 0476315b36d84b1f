/**
 * The one error shape of both services (the API and the inference server): every 4xx and 5xx
 * body is `{ statusCode, code, error, message, requestId }` — a stable machine-readable `code`,
 * a message that says what is wrong, and the request id that the log lines of the request carry.
 * Its TypeBox schema documents every error response in both OpenAPI documents.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  code: Type.String({ description: 'stable machine-readable code, e.g. VALIDATION, NOT_FOUND, BAD_CURSOR' }),
  error: Type.String({ description: 'the HTTP reason phrase' }),
  message: Type.String({ description: 'what is wrong, for people' }),
  requestId: Type.String({ description: 'the X-Request-Id of the request; quote it in a bug report' }),
}, { additionalProperties: false, description: 'error' });
export type ErrorBody = Static<typeof ErrorResponse>;

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict',
  411: 'Length Required', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function reasonPhrase(statusCode: number): string {
  return REASONS[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error');
}

export function errorBody(statusCode: number, code: string, message: string, requestId: string): ErrorBody {
  return { statusCode, code, error: reasonPhrase(statusCode), message, requestId };
}

/** `{ 400: ErrorResponse, 404: ErrorResponse, … }` for a route's response schema. */
export function errorResponses(...statusCodes: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statusCodes.map((statusCode) => [statusCode, ErrorResponse]));
}
