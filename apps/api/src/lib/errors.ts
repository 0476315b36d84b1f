/**
 * Errors the API itself raises. Each carries an HTTP status and a stable code; the error
 * handler (plugins/error-handler.ts) turns them, and the libraries' typed errors, into 4xx.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
  }
}

export class BadRequestError extends ApiError {
  constructor(code: string, message: string) { super(400, code, message); }
}

export class NotFoundError extends ApiError {
  constructor(resource: string, id: string) { super(404, 'NOT_FOUND', `${resource} ${id} does not exist`); }
}

export class ConflictError extends ApiError {
  constructor(code: string, message: string) { super(409, code, message); }
}
