/** Typed errors of the method library; the API maps `DivblurError` subclasses to HTTP 400. */
export class DivblurError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration or option out of its domain (model shape, penalty, budget, σ ≤ 0 …). */
export class DivblurConfigError extends DivblurError {}

/** A saved model or checkpoint that cannot be read: wrong format, version, sizes. */
export class ModelFormatError extends DivblurError {}

/** Training that cannot continue: posterior collapse after every restart, non-finite loss. */
export class TrainingError extends DivblurError {}
