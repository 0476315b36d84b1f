/** Typed errors of the method library; the API maps `DivblurError` subclasses to HTTP 400. */
export class DivblurError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration or option out of its domain (model shape, penalty, budget, σ ≤ 0 …). */
export class DivblurConfigError extends DivblurError {}

/** Why a saved model or checkpoint cannot be read or written (stable; libs/onnx passes it on as its error code). */
export type ModelFormatCode =
  'MODEL_NOT_FOUND' | 'MODEL_NOT_JSON' | 'MODEL_FORMAT' | 'MODEL_VERSION' | 'MODEL_CONFIG' | 'MODEL_NORMALISATION' | 'MODEL_NOISE' | 'MODEL_WEIGHTS';

/** A saved model or checkpoint that cannot be read: wrong format, version, sizes. */
export class ModelFormatError extends DivblurError {
  constructor(message: string, readonly code: ModelFormatCode = 'MODEL_FORMAT') {
    super(message);
  }
}

/** Training that cannot continue: posterior collapse after every restart, non-finite loss. */
export class TrainingError extends DivblurError {}
