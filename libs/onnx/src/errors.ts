/**
 * Typed errors of the ONNX library. `OnnxInputError` (bad image) and `OnnxModelError` (bad model file)
 * are the caller's fault and map to HTTP 400/422; anything else escaping this library is a bug.
 */
export class OnnxError extends Error {
  /** Stable machine-readable code, e.g. `INPUT_NAN`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An image the model cannot take: wrong rank, NaN/Inf, smaller than 8×8, data length not matching the shape. */
export class OnnxInputError extends OnnxError {}

/** A model that is not usable: not ONNX, not a divblur model, another format version, missing weights. */
export class OnnxModelError extends OnnxError {}

/** An option out of its domain: samples < 1, memory budget too small, tolerance ≤ 0. */
export class OnnxOptionError extends OnnxError {}
