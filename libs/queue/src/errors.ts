/** Typed errors of the queue library. */
export class QueueError extends Error {
  /** Stable machine-readable code, e.g. `JOB_PAYLOAD_INVALID`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A job whose name or data does not match the payload schema. */
export class JobPayloadError extends QueueError {
  constructor(message: string) {
    super('JOB_PAYLOAD_INVALID', message);
  }
}

/** A worker set up with a job kind that has no handler, two handlers, or a handler for another queue. */
export class HandlerRegistrationError extends QueueError {
  constructor(message: string) {
    super('HANDLERS_INVALID', message);
  }
}

/** A run's parameters that cannot train: filters that do not match the depth, a patch not a multiple of 2^depth, no budget… */
export class RunParamsError extends QueueError {
  constructor(message: string) {
    super('RUN_PARAMS_INVALID', message);
  }
}

/** Redis is not connected now: a producer fails at once rather than wait (see `createProducerRedis`). */
export class QueueUnavailableError extends QueueError {
  constructor(message: string) {
    super('QUEUE_UNAVAILABLE', message);
  }
}
