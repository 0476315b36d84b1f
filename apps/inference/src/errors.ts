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

/** The model's run did not succeed (failed, cancelled, or not evaluated yet): not served unless asked for explicitly. */
export class ModelRunNotSucceededError extends InferenceError {
  constructor(modelId: string, runStatus: string, runError: string | null) {
    super(409, 'MODEL_RUN_NOT_SUCCEEDED', `model ${modelId} belongs to a run that is ${runStatus}${runError ? ` (${runError})` : ''}, `
      + 'so its output is not trusted; send allowUnsucceeded=true to deconvolve with it anyway');
  }
}

/** The client closed the connection before the answer: the deconvolution was abandoned (nginx's 499; never sent). */
export class ClientClosedError extends InferenceError {
  constructor() {
    super(499, 'CLIENT_CLOSED_REQUEST', 'the client closed the connection; the deconvolution was abandoned');
  }
}
