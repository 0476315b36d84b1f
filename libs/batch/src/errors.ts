/** Typed errors of the batch engine; `code` is stable. The API answers a `BatchRequestError` with its `statusCode`. */
export class BatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A request the batch path refuses before anything is written or queued (4xx). */
export class BatchRequestError extends BatchError {
  constructor(readonly statusCode: 400 | 404 | 409, code: string, message: string) {
    super(code, message);
  }
}

/** A page or stack that cannot be deconvolved as asked (a memory budget that leaves no tile, a page of another size…). */
export class BatchPlanError extends BatchError {}
