/** Errors of the inference app that map to an HTTP status (the libs' typed errors are mapped in plugins/error-handler.ts). */
export class InferenceError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ModelNotFoundError extends InferenceError {
  constructor(modelId: string) {
    super(404, 'MODEL_NOT_FOUND', `no model with id ${modelId}`);
  }
}

/** Every deconvolution slot is busy: 429 with Retry-After. */
export class OverloadedError extends InferenceError {
  constructor(readonly retryAfterSeconds: number, inFlight: number) {
    super(429, 'OVERLOADED', `${inFlight} deconvolutions are running, the most this server runs at once; retry after ${retryAfterSeconds} s`);
  }
}
